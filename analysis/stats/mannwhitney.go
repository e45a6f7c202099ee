package stats

import (
	"errors"
	"math"
	"slices"
)

// ErrNoSamples is returned when a sample is empty.
var ErrNoSamples = errors.New("stats: empty sample")

// Alternative is the alternative hypothesis of a test, as R names it.
type Alternative int

const (
	// TwoSided: x and y differ in location.
	TwoSided Alternative = iota
	// Less: x is shifted to the left of y (smaller values).
	Less
	// Greater: x is shifted to the right of y (larger values).
	Greater
)

// exactLimit is R's bound: the exact distribution is used when both
// samples are smaller than this and there are no ties.
const exactLimit = 50

// Test is the outcome of a Mann-Whitney U test.
type Test struct {
	// W is the statistic R reports: the number of pairs (x_i, y_j) with
	// x_i > y_j, ties counting one half.
	W float64
	// P is the p-value of the alternative. It is 1 when the samples have
	// no variance at all (every value equal), where R gives NaN.
	P float64
	// Exact reports whether P comes from the exact distribution of W
	// rather than the normal approximation.
	Exact bool
}

// MannWhitney runs the two-sample Mann-Whitney U test of x against y with
// R's defaults (wilcox.test(x, y, alternative): exact when both samples
// have fewer than 50 values and no ties, else the normal approximation with
// the tie correction and a continuity correction).
func MannWhitney(x, y []float64, alt Alternative) (Test, error) {
	return mannWhitney(x, y, alt, true, true)
}

func mannWhitney(x, y []float64, alt Alternative, exactAllowed, correct bool) (Test, error) {
	n, m := len(x), len(y)
	if n == 0 || m == 0 {
		return Test{}, ErrNoSamples
	}
	ranks, ties := rank(x, y)
	var rx float64
	for i := range n {
		rx += ranks[i]
	}
	w := rx - float64(n*(n+1))/2
	if exactAllowed && n < exactLimit && m < exactLimit && !ties.any {
		return Test{W: w, P: exactP(w, n, m, alt), Exact: true}, nil
	}
	return Test{W: w, P: normalP(w, n, m, ties.sum, alt, correct)}, nil
}

type tieInfo struct {
	any bool
	// sum is Σ(t³ - t) over the groups of t tied values.
	sum float64
}

// rank returns the mid-ranks of x followed by y in their joint order.
func rank(x, y []float64) ([]float64, tieInfo) {
	type item struct {
		v float64
		i int
	}
	all := make([]item, 0, len(x)+len(y))
	for i, v := range x {
		all = append(all, item{v, i})
	}
	for i, v := range y {
		all = append(all, item{v, len(x) + i})
	}
	slices.SortFunc(all, func(a, b item) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(all))
	var ti tieInfo
	for lo := 0; lo < len(all); {
		hi := lo + 1
		for hi < len(all) && all[hi].v == all[lo].v {
			hi++
		}
		mid := float64(lo+hi+1) / 2 // mean of ranks lo+1 .. hi
		for k := lo; k < hi; k++ {
			ranks[all[k].i] = mid
		}
		if t := float64(hi - lo); t > 1 {
			ti.any = true
			ti.sum += t*t*t - t
		}
		lo = hi
	}
	return ranks, ti
}

// normalP is R's large-sample p-value with the tie correction of the
// variance and, when correct, the continuity correction.
func normalP(w float64, n, m int, tieSum float64, alt Alternative, correct bool) float64 {
	fn, fm := float64(n), float64(m)
	z := w - fn*fm/2
	sigma := math.Sqrt(fn * fm / 12 * ((fn + fm + 1) - tieSum/((fn+fm)*(fn+fm-1))))
	if sigma == 0 {
		return 1
	}
	cc := 0.0
	if correct {
		switch alt {
		case TwoSided:
			if z > 0 {
				cc = 0.5
			} else if z < 0 {
				cc = -0.5
			}
		case Greater:
			cc = 0.5
		case Less:
			cc = -0.5
		}
	}
	z = (z - cc) / sigma
	switch alt {
	case Less:
		return pnorm(z)
	case Greater:
		return pnorm(-z)
	}
	return math.Min(1, 2*math.Min(pnorm(z), pnorm(-z)))
}

// pnorm is the standard normal distribution function.
func pnorm(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// exactP is the p-value from the exact distribution of W.
func exactP(w float64, n, m int, alt Alternative) float64 {
	cdf := wilcoxCDF(n, m)
	at := func(q float64) float64 { // P(W <= q)
		k := int(math.Floor(q + 1e-7))
		switch {
		case k < 0:
			return 0
		case k >= len(cdf):
			return 1
		}
		return cdf[k]
	}
	switch alt {
	case Less:
		return at(w)
	case Greater:
		return 1 - at(w-1)
	}
	var p float64
	if w > float64(n*m)/2 {
		p = 1 - at(w-1)
	} else {
		p = at(w)
	}
	return math.Min(1, 2*p)
}

// wilcoxCDF returns P(W <= u) for u = 0 .. n*m under the null hypothesis.
// The counts of W are the coefficients of the Gaussian binomial
// [n+m choose n]_q, built with [N, k] = [N-1, k-1] + q^k [N-1, k].
func wilcoxCDF(n, m int) []float64 {
	size := n*m + 1
	// row[k] is [N choose k]_q for the current N, k = 0 .. n.
	row := make([][]float64, n+1)
	row[0] = []float64{1}
	for N := 1; N <= n+m; N++ {
		for k := min(N, n); k >= 1; k-- {
			next := make([]float64, min(size, k*(N-k)+1))
			if prev := row[k-1]; prev != nil {
				copy(next, prev)
			}
			if prev := row[k]; prev != nil {
				for i, c := range prev {
					if i+k < len(next) {
						next[i+k] += c
					}
				}
			}
			row[k] = next
		}
	}
	counts := row[n]
	cdf := make([]float64, size)
	var total, acc float64
	for _, c := range counts {
		total += c
	}
	for i := range size {
		if i < len(counts) {
			acc += counts[i]
		}
		cdf[i] = acc / total
	}
	return cdf
}
