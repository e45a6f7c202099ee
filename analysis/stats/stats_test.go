package stats

import (
	"math"
	"testing"
)

// The expected values below are R 4.2's output of testdata/wilcox.R
// (testdata/wilcox.out), copied by hand; nothing here is computed with
// this package.

var (
	hwX     = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	hwY     = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	canary  = []float64{99.1, 99.2, 99.2, 99.0, 99.3, 99.1, 99.2, 99.4, 99.0, 99.2}
	primary = []float64{99.9, 99.95, 99.95, 100, 99.9, 99.95, 100, 99.9, 99.95, 100}
	tiesA   = []float64{1, 2, 2, 3, 3, 3, 4, 5}
	tiesB   = []float64{2, 3, 3, 4, 4, 5, 5, 6, 6}
	tinyX   = []float64{1.1, 2.2, 3.3}
	tinyY   = []float64{4.4, 5.5, 6.6}
	smallX  = []float64{3.1, 5.2, 2.7, 8.8, 4.4, 6.1}
	smallY  = []float64{1.9, 2.3, 4.0, 0.8, 3.5}
	large1  = []float64{12.741917, 8.870604, 10.726257, 11.265725, 10.808537, 9.787751, 13.023044, 9.810682, 14.036847, 9.874572, 12.609739, 14.573291, 7.222279, 9.442422, 9.733357, 11.271901, 9.431494, 4.687089, 5.119066, 12.640227, 9.386723, 6.437383, 9.656165, 12.429349, 13.790387, 9.139062, 9.485461, 6.473674, 10.920195, 8.720010, 10.910900, 11.409675, 12.070207, 8.782147, 11.009910, 6.565983, 8.431082, 8.298185, 5.171585, 10.072245, 10.411997, 9.277885, 11.516326, 8.546590, 7.263438, 10.865636, 8.377214, 12.888203, 9.137108, 11.311296}
	large2  = []float64{11.643851, 9.432322, 14.151455, 12.285799, 11.179521, 11.553101, 12.358578, 11.179666, 5.013820, 11.569766, 10.265531, 11.370461, 12.163647, 13.799474, 9.545416, 13.605085, 11.671696, 13.077012, 12.841457, 12.441756, 8.913762, 10.819627, 12.247036, 9.092953, 9.914342, 12.161993, 12.536357, 11.927535, 9.228447, 8.800438, 14.025414, 11.515843, 11.176880, 10.758207, 8.611342, 12.223994, 10.565720, 10.634487, 12.866693, 12.643546, 13.784233, 10.047652, 12.300697, 13.782221, 8.778422, 9.278415, 8.736523, 8.081572, 11.159965, 12.306409, 13.401931, 13.089502, 8.993583, 14.696964, 9.666453, 11.211028, 10.155488, 10.755300, 11.376386, 11.238322}
)

func TestMannWhitneyAgainstR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		x, y    []float64
		alt     Alternative
		exact   bool // allowed (R's default)
		correct bool
		w, p    float64
		isExact bool
	}{
		{"hw greater", hwX, hwY, Greater, true, true, 35, 0.1272061272, true},
		{"hw two-sided", hwX, hwY, TwoSided, true, true, 35, 0.2544122544, true},
		{"hw less", hwX, hwY, Less, true, true, 35, 0.8967698968, true},
		{"hw normal", hwX, hwY, Greater, false, false, 35, 0.110335681, false},
		{"hw normal continuity", hwX, hwY, TwoSided, false, true, 35, 0.2446236051, false},
		{"rates less", canary, primary, Less, true, true, 0, 7.69231713e-05, false},
		{"rates two-sided", canary, primary, TwoSided, true, true, 0, 0.0001538463426, false},
		{"rates less no continuity", canary, primary, Less, true, false, 0, 6.591694449e-05, false},
		{"ties less", tiesA, tiesB, Less, true, true, 17, 0.03458642031, false},
		{"ties greater", tiesA, tiesB, Greater, true, true, 17, 0.9722869572, false},
		{"ties two-sided", tiesA, tiesB, TwoSided, true, true, 17, 0.06917284062, false},
		{"tiny less", tinyX, tinyY, Less, true, true, 0, 0.05, true},
		{"tiny two-sided", tinyX, tinyY, TwoSided, true, true, 0, 0.1, true},
		{"small greater", smallX, smallY, Greater, true, true, 26, 0.02597402597, true},
		{"small two-sided", smallX, smallY, TwoSided, true, true, 26, 0.05194805195, true},
		{"large less", large1, large2, Less, true, true, 987, 0.001047095741, false},
		{"large two-sided", large1, large2, TwoSided, true, true, 987, 0.002094191482, false},
		{"identical with ties", []float64{1, 2, 3, 4, 5}, []float64{1, 2, 3, 4, 5}, TwoSided, true, true, 12.5, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mannWhitney(tt.x, tt.y, tt.alt, tt.exact, tt.correct)
			if err != nil {
				t.Fatal(err)
			}
			if got.W != tt.w {
				t.Errorf("W = %v, R says %v", got.W, tt.w)
			}
			if math.Abs(got.P-tt.p) > 1e-9*math.Max(1, tt.p) && math.Abs(got.P-tt.p)/tt.p > 1e-8 {
				t.Errorf("p = %.10g, R says %.10g", got.P, tt.p)
			}
			if got.Exact != tt.isExact {
				t.Errorf("exact = %v, R used the exact test: %v", got.Exact, tt.isExact)
			}
		})
	}
}

// R's defaults are what MannWhitney uses.
func TestMannWhitneyDefaults(t *testing.T) {
	t.Parallel()
	got, err := MannWhitney(hwX, hwY, Greater)
	if err != nil || !got.Exact || math.Abs(got.P-0.1272061272) > 1e-9 {
		t.Errorf("MannWhitney(hw, greater) = %+v, %v; R: exact, p = 0.1272061272", got, err)
	}
	got, err = MannWhitney(canary, primary, Less)
	if err != nil || got.Exact || math.Abs(got.P-7.69231713e-05) > 1e-12 {
		t.Errorf("MannWhitney(rates, less) = %+v, %v; R: normal with continuity, p = 7.69231713e-05", got, err)
	}
}

// Every value equal: R says p = NaN (no variance); no evidence of a
// difference is p = 1 here.
func TestMannWhitneyNoVariance(t *testing.T) {
	t.Parallel()
	same := []float64{5, 5, 5, 5, 5}
	for _, alt := range []Alternative{TwoSided, Less, Greater} {
		got, err := MannWhitney(same, same, alt)
		if err != nil || got.P != 1 || got.W != 12.5 {
			t.Errorf("alt %d: %+v, %v; want W = 12.5 (R), p = 1", alt, got, err)
		}
	}
}

func TestMannWhitneyEmpty(t *testing.T) {
	t.Parallel()
	if _, err := MannWhitney(nil, []float64{1}, Less); err != ErrNoSamples {
		t.Errorf("err = %v, want ErrNoSamples", err)
	}
}

func TestHodgesLehmannAgainstR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x, y []float64
		want float64 // R: wilcox.test(x, y, conf.int = TRUE)$estimate, exact test
	}{
		{"hw", hwX, hwY, 0.305},
		{"tiny", tinyX, tinyY, -3.3},
		{"small", smallX, smallY, 2.2},
		{"identical", []float64{1, 2, 3, 4, 5}, []float64{1, 2, 3, 4, 5}, 0},
	}
	for _, tt := range tests {
		if got := HodgesLehmann(tt.x, tt.y); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: HodgesLehmann = %v, R says %v", tt.name, got, tt.want)
		}
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		x    []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(tt.x); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}
