// Package stats holds the statistics gitcanary judges a canary against its
// primary with: the two-sample Mann-Whitney U test (Wilcoxon rank sum), as
// R's wilcox.test computes it — exact below 50 samples per side when there
// are no ties, otherwise the normal approximation with tie and continuity
// corrections — and the Hodges-Lehmann estimate of the shift between the
// two samples.
//
// The package is pure: no I/O, no clock, no randomness. Its tests compare
// against values printed by R (testdata/wilcox.R and wilcox.out).
package stats
