# Reference values for analysis/stats: R's wilcox.test (two-sample,
# Mann-Whitney), printed with full precision. Run: Rscript wilcox.R
# The outputs are copied into stats_test.go; the Go code never makes them.
show <- function(name, x, y, alt, exact = NULL, correct = TRUE, conf = FALSE) {
  r <- suppressWarnings(wilcox.test(x, y, alternative = alt, exact = exact,
                                    correct = correct, conf.int = conf))
  est <- if (conf) sprintf("%.10g", r$estimate) else "NA"
  cat(sprintf("%s alt=%s W=%.10g p=%.10g estimate=%s method=%s\n",
              name, alt, r$statistic, r$p.value, est, r$method))
}
# R's own example (Hollander & Wolfe, p. 69): permeability constants.
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
show("hw", x, y, "greater")
show("hw", x, y, "two.sided", conf = TRUE)
show("hw", x, y, "less")
show("hw-normal", x, y, "greater", exact = FALSE, correct = FALSE)
show("hw-normal-cc", x, y, "two.sided", exact = FALSE, correct = TRUE)
# Ties: success rates sampled from a canary and its primary.
canary  <- c(99.1, 99.2, 99.2, 99.0, 99.3, 99.1, 99.2, 99.4, 99.0, 99.2)
primary <- c(99.9, 99.95, 99.95, 100, 99.9, 99.95, 100, 99.9, 99.95, 100)
show("rates", canary, primary, "less")
show("rates", canary, primary, "two.sided")
show("rates-nocc", canary, primary, "less", correct = FALSE)
# Overlapping with ties across the samples.
a <- c(1, 2, 2, 3, 3, 3, 4, 5)
b <- c(2, 3, 3, 4, 4, 5, 5, 6, 6)
show("ties", a, b, "less")
show("ties", a, b, "greater")
show("ties", a, b, "two.sided")
# Small exact cases.
show("tiny", c(1.1, 2.2, 3.3), c(4.4, 5.5, 6.6), "less", conf = TRUE)
show("tiny", c(1.1, 2.2, 3.3), c(4.4, 5.5, 6.6), "two.sided")
show("small", c(3.1, 5.2, 2.7, 8.8, 4.4, 6.1), c(1.9, 2.3, 4.0, 0.8, 3.5), "greater", conf = TRUE)
show("small", c(3.1, 5.2, 2.7, 8.8, 4.4, 6.1), c(1.9, 2.3, 4.0, 0.8, 3.5), "two.sided")
# Larger samples without ties (n = 50 and 60: normal approximation).
set.seed(42)
l1 <- round(rnorm(50, 10, 2), 6); l2 <- round(rnorm(60, 11, 2), 6)
cat("large1 <- c(", paste(sprintf("%.6f", l1), collapse = ", "), ")\n")
cat("large2 <- c(", paste(sprintf("%.6f", l2), collapse = ", "), ")\n")
show("large", l1, l2, "less")
show("large", l1, l2, "two.sided")
# Equal samples: no difference at all.
show("same", c(5, 5, 5, 5, 5), c(5, 5, 5, 5, 5), "two.sided")
show("same", c(1, 2, 3, 4, 5), c(1, 2, 3, 4, 5), "two.sided", conf = TRUE)
