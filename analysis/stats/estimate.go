package stats

import "slices"

// Median returns the median of x (the mean of the two middle values for an
// even count); NaN-free input is assumed. It is 0 for an empty x.
func Median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// HodgesLehmann returns the Hodges-Lehmann estimate of the shift of x
// relative to y: the median of all pairwise differences x_i - y_j. It is
// the "difference in location" R's wilcox.test(conf.int = TRUE) reports
// for the exact test. It is 0 when a sample is empty.
func HodgesLehmann(x, y []float64) float64 {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			d = append(d, a-b)
		}
	}
	return Median(d)
}
