# Reference upper tails P(X >= x) of the negative binomial (size r, mean m) and Poisson (r = Inf),
# for tests/signals/test_calibrated.py.  Run: Rscript tests/signals/reference/nb_tails.R > tests/signals/reference/nb_tails.csv
cases <- data.frame(
  x = c(8, 30, 1, 3, 15, 50, 120, 4, 12, 1, 7, 40),
  m = c(2, 10, 0.2, 0.5, 3.3, 20, 60, 0.5, 3, 0.05, 1.7, 25),
  r = c(5, 3, 0.7, 1.5, 2.2, 8, 12.5, Inf, Inf, Inf, Inf, Inf)
)
p <- ifelse(is.infinite(cases$r), ppois(cases$x - 1, cases$m, lower.tail = FALSE),
            pnbinom(cases$x - 1, size = ifelse(is.infinite(cases$r), 1, cases$r), mu = cases$m, lower.tail = FALSE))
cat("x,m,r,tail\n")
for (i in seq_len(nrow(cases))) cat(sprintf("%d,%s,%s,%.17g\n", cases$x[i], format(cases$m[i]), ifelse(is.infinite(cases$r[i]), "inf", format(cases$r[i])), p[i]))
