## Reference values for tests/signals/test_{ears,cusum,glr,farrington}.py.
##
## Run from the repository root (R >= 4.2 with the 'surveillance' package):
##   Rscript tests/signals/reference/make_reference.R /work/shared/data/epysurv-salmonella-newport
## Writes tests/signals/reference/{ears,cusum,glr,farrington}.csv and versions.txt.
##
## Data: weekly Salmonella Newport counts in Germany (surveillance's salmNewport summed over
## the 16 states), 2004-01-05 .. 2012-12-31 = 470 weeks.  History is 2004-2010 (weeks 1..365),
## the monitored range is the 105 test weeks 366..470.  The sts object is built from the counts
## alone (epochAsDate = FALSE), so Farrington's reference weeks are found by going back
## freq = 52 periods per year, as defectradar does.
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args)) args[1] else "../shared/data/epysurv-salmonella-newport"
out_dir <- "tests/signals/reference"
train <- read.csv(file.path(data_dir, "salmonella_train.csv"))
test <- read.csv(file.path(data_dir, "salmonella_test.csv"))
x <- c(train$n_cases, test$n_cases)
weeks <- c(train$X, test$X)
s <- sts(observed = x, start = c(2004, 1), frequency = 52)
dp <- sts2disProg(s)
rng <- 366:470
num <- function(v) sprintf("%.17g", as.numeric(v))
flag <- function(v) as.integer(as.logical(v))
write_ref <- function(df, name) write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE)
base <- data.frame(period = weeks[rng], count = x[rng])

## --- EARS (earsC) ---------------------------------------------------------------------
ears <- base
for (m in c("C1", "C2", "C3")) {
  r <- earsC(s, control = list(range = rng, method = m))            # alpha default: 0.001 / C3 0.025
  ears[[paste0(m, "_upperbound")]] <- num(upperbound(r))
  ears[[paste0(m, "_alarm")]] <- flag(alarms(r))
  r <- earsC(s, control = list(range = rng, method = m, alpha = 0.01, baseline = 10, minSigma = 0.5))
  ears[[paste0(m, "_b10_ms05_a01_upperbound")]] <- num(upperbound(r))
  ears[[paste0(m, "_b10_ms05_a01_alarm")]] <- flag(alarms(r))
}
write_ref(ears, "ears.csv")

## --- CUSUM (algo.cusum, the function behind cusum()) ------------------------------------
cus <- base
for (tr in c("standard", "rossi", "anscombe")) {
  r <- algo.cusum(dp, control = list(range = rng, trans = tr))      # k = 1.04, h = 2.26, m = mean(history)
  cus[[paste0(tr, "_m")]] <- num(rep(r$control$m, length.out = length(rng)))
  cus[[paste0(tr, "_cusum")]] <- num(r$cusum)
  cus[[paste0(tr, "_upperbound")]] <- num(r$upperbound)
  cus[[paste0(tr, "_alarm")]] <- flag(r$alarm)
}
r <- algo.cusum(dp, control = list(range = rng, m = "glm", k = 0.5, h = 4))
cus$glm_m <- num(r$control$m); cus$glm_cusum <- num(r$cusum)
cus$glm_upperbound <- num(r$upperbound); cus$glm_alarm <- flag(r$alarm)
write_ref(cus, "cusum.csv")

## --- GLR (algo.glrpois / algo.glrnb: intercept change, dir = "inc") -----------------------
glr <- base
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 5, ret = "value"))
glr$pois_mu0 <- num(r$control$mu0); glr$pois_value <- num(r$upperbound); glr$pois_alarm <- flag(r$alarm)
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 5, ret = "cases"))
glr$pois_cases <- num(r$upperbound)
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 3, M = 8, ret = "value"))
glr$pois_M8_value <- num(r$upperbound); glr$pois_M8_alarm <- flag(r$alarm)
r <- suppressMessages(algo.glrnb(dp, control = list(range = rng, c.ARL = 5, ret = "value")))
glr$nb_mu0 <- num(r$control$mu0); glr$nb_alpha <- num(rep(r$control$alpha, length(rng)))
glr$nb_value <- num(r$upperbound); glr$nb_alarm <- flag(r$alarm)
r <- suppressMessages(algo.glrnb(dp, control = list(range = rng, c.ARL = 3, M = 8, alpha = 0.2, ret = "value")))
glr$nb_M8_a02_mu0 <- num(r$control$mu0)
glr$nb_M8_a02_value <- num(r$upperbound); glr$nb_M8_a02_alarm <- flag(r$alarm)
## Burn-in after each (re)start, Mtilde = 3: glr_cusum, glr_cusum_window and glr_nb_window
## differ in the first period they score and in the change points they consider.
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 5, Mtilde = 3, ret = "value"))
glr$pois_Mt3_value <- num(r$upperbound); glr$pois_Mt3_alarm <- flag(r$alarm)
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 3, M = 8, Mtilde = 3, ret = "value"))
glr$pois_M8_Mt3_value <- num(r$upperbound); glr$pois_M8_Mt3_alarm <- flag(r$alarm)
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 3, M = 8, Mtilde = 3, ret = "cases"))
glr$pois_M8_Mt3_cases <- num(r$upperbound)
r <- suppressMessages(algo.glrnb(dp, control = list(range = rng, c.ARL = 3, M = 8, Mtilde = 3, alpha = 0.2,
                                                    ret = "value")))
glr$nb_M8_Mt3_a02_value <- num(r$upperbound); glr$nb_M8_Mt3_a02_alarm <- flag(r$alarm)
## Baseline model with two harmonics and a linear trend (estimateGLRNbHook's mu0 list).
r <- algo.glrpois(dp, control = list(range = rng, c.ARL = 5, mu0 = list(S = 2, trend = TRUE), ret = "value"))
glr$pois_S2_trend_mu0 <- num(r$control$mu0)
glr$pois_S2_trend_value <- num(r$upperbound); glr$pois_S2_trend_alarm <- flag(r$alarm)
## Negative binomial "cases" (found by brute force in algo.glrnb).
r <- suppressMessages(algo.glrnb(dp, control = list(range = rng, c.ARL = 5, alpha = 0.2, ret = "value")))
glr$nb_a02_value <- num(r$upperbound); glr$nb_a02_alarm <- flag(r$alarm)
r <- suppressMessages(algo.glrnb(dp, control = list(range = rng, c.ARL = 5, alpha = 0.2, ret = "cases")))
glr$nb_a02_cases <- num(r$upperbound)
write_ref(glr, "glr.csv")

## --- Farrington flexible / Noufaily (farringtonFlexible) --------------------------------
far <- base
variants <- list(
  delta = list(),                                                   # b = 5, w = 3, noPeriods = 1, alpha = 0.05
  noufaily = list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin", alpha = 0.01),
  muan = list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "muan", alpha = 0.01),
  b3w2 = list(b = 3, w = 2, reweight = FALSE, trend = TRUE, powertrans = "1/2")
)
for (v in names(variants)) {
  ctl <- modifyList(list(range = rng), variants[[v]])
  r <- farringtonFlexible(s, control = ctl)
  far[[paste0(v, "_expected")]] <- num(r@control$expected)
  far[[paste0(v, "_upperbound")]] <- num(upperbound(r))
  far[[paste0(v, "_alarm")]] <- flag(alarms(r))
  far[[paste0(v, "_phi")]] <- num(r@control$phiVector)
  far[[paste0(v, "_trend")]] <- num(r@control$trend)
  far[[paste0(v, "_score")]] <- num(r@control$score)
}
write_ref(far, "farrington.csv")

writeLines(c(R.version.string, paste("surveillance", packageVersion("surveillance")),
             paste("MASS", packageVersion("MASS"))), file.path(out_dir, "versions.txt"))
