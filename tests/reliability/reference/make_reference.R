## Reference values for tests/reliability/test_survival_reference.py.
##
## Run from the repository root (R >= 4.2 with survival and jsonlite):
##   Rscript tests/reliability/reference/make_reference.R
## Writes tests/reliability/reference/{aml,lung,valveseat}.json (numbers at 15 significant
## digits, NA -> null).  Produced with R 4.2.2 Patched, survival 3.5.3, jsonlite 1.8.4.
##
## Data sets are the survival package's own (aml, lung, valveSeat); each JSON file carries the
## data it was computed from so the Python tests need no R.
suppressMessages({library(survival); library(jsonlite)})
out_dir <- "tests/reliability/reference"
z <- qnorm(0.975)  # 1.959963984540054; the 95% normal quantile used for every Wald interval
## survreg's default rel.tolerance is 1e-9 on the log-likelihood, which leaves the estimates
## ~1e-6 from the optimum; tighten it so the reference is the MLE to ~1e-10.
ctl <- survreg.control(rel.tolerance = 1e-13, maxiter = 200)

write_json_file <- function(x, name) {
  txt <- toJSON(x, digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE)
  writeLines(txt, file.path(out_dir, name))
}

## Weibull by maximum likelihood: survreg fits log T = mu + sigma * W (W standard minimum
## extreme value), so shape = 1 / sigma and scale = exp(mu).
weibull_ref <- function(time, event, w = NULL, ages) {
  d <- data.frame(time = time, event = event, w = if (is.null(w)) rep(1, length(time)) else w)
  fit <- if (is.null(w)) survreg(Surv(time, event) ~ 1, data = d, dist = "weibull", control = ctl)
         else survreg(Surv(time, event) ~ 1, data = d, dist = "weibull", weights = w, control = ctl)
  mu <- unname(coef(fit)); sigma <- fit$scale
  shape <- 1 / sigma; scale <- exp(mu)
  V <- unname(vcov(fit))                      # of (Intercept, Log(scale)) = (log scale, log sigma)
  se_mu <- sqrt(V[1, 1]); se_ls <- sqrt(V[2, 2])
  ## (log shape, log scale) = (-log sigma, mu): swap order and flip the sign of the covariance
  cov_log <- matrix(c(V[2, 2], -V[1, 2], -V[1, 2], V[1, 1]), 2, 2)
  ## log-likelihood on the time scale, by hand, to confirm survreg's loglik includes the Jacobian
  ll_hand <- sum(d$w * ifelse(d$event == 1, dweibull(d$time, shape, scale, log = TRUE),
                              pweibull(d$time, shape, scale, lower.tail = FALSE, log.p = TRUE)))
  list(n = sum(d$w), failures = sum(d$w * d$event),
       shape = shape, scale = scale, intercept = mu, log_sigma = log(sigma),
       loglik = fit$loglik[2], loglik_by_hand = ll_hand, iterations = fit$iter,
       vcov_intercept_logsigma = V, cov_log_shape_log_scale = cov_log,
       scale_ci = exp(mu + c(-1, 1) * z * se_mu),
       shape_ci = sort(exp(-(log(sigma) + c(-1, 1) * z * se_ls))),
       b10 = scale * (-log(0.9))^(1 / shape),
       ages = ages, probability_of_failure = pweibull(ages, shape, scale))
}

## survfit rows: one per distinct time (event or censoring), as survfit reports them.
km_rows <- function(fit) {
  list(time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
       surv = fit$surv, std_err = fit$std.err, lower = fit$lower, upper = fit$upper)
}
km_ref <- function(time, event, w = NULL, types = c("log", "log-log", "plain")) {
  d <- data.frame(time = time, event = event, w = if (is.null(w)) rep(1, length(time)) else w)
  res <- list()
  for (ct in types) {
    fit <- if (is.null(w)) survfit(Surv(time, event) ~ 1, data = d, conf.type = ct)
           else survfit(Surv(time, event) ~ 1, data = d, weights = w, conf.type = ct)
    res[[ct]] <- km_rows(fit)
  }
  res
}
logrank_ref <- function(time, event, group) {
  sd <- survdiff(Surv(time, event) ~ group)
  df <- length(sd$n) - 1
  list(groups = sub("^group=", "", names(sd$n)), chisq = sd$chisq, df = df,
       p = pchisq(sd$chisq, df, lower.tail = FALSE), observed = sd$obs, expected = sd$exp)
}

## ------------------------------------------------------------------------------------ aml
aml_ages <- c(12, 24, 48)   # weeks
a <- aml
aml_out <- list(
  source = "survival::aml (weeks; status 1 = relapse)",
  z = z,
  data = list(time = a$time, event = a$status, group = as.character(a$x)),
  weibull = list(
    all = weibull_ref(a$time, a$status, ages = aml_ages),
    Maintained = with(subset(a, x == "Maintained"), weibull_ref(time, status, ages = aml_ages)),
    Nonmaintained = with(subset(a, x == "Nonmaintained"), weibull_ref(time, status, ages = aml_ages))),
  survfit = km_ref(a$time, a$status),
  survfit_by_group = list(
    Maintained = with(subset(a, x == "Maintained"), km_ref(time, status, types = "log")),
    Nonmaintained = with(subset(a, x == "Nonmaintained"), km_ref(time, status, types = "log"))),
  survdiff = logrank_ref(a$time, a$status, a$x))
write_json_file(aml_out, "aml.json")

## ----------------------------------------------------------------------------------- lung
lung_ages <- c(180, 365, 730)  # days
l <- data.frame(time = lung$time, event = lung$status - 1, sex = ifelse(lung$sex == 1, "male", "female"))
## frequency-weighted ("cohort") form: one row per distinct (time, event) with its count
agg <- aggregate(list(w = rep(1, nrow(l))), by = list(time = l$time, event = l$event), FUN = sum)
agg <- agg[order(agg$time, agg$event), ]
lw_weib <- weibull_ref(agg$time, agg$event, w = agg$w, ages = lung_ages)
lw_km <- km_ref(agg$time, agg$event, w = agg$w, types = "log")
lung_out <- list(
  source = "survival::lung (days; event = status - 1; sex 1 = male, 2 = female)",
  z = z,
  data = list(time = l$time, event = l$event, sex = l$sex),
  weibull = list(
    all = weibull_ref(l$time, l$event, ages = lung_ages),
    male = with(subset(l, sex == "male"), weibull_ref(time, event, ages = lung_ages)),
    female = with(subset(l, sex == "female"), weibull_ref(time, event, ages = lung_ages))),
  survfit = km_ref(l$time, l$event, types = "log"),
  survdiff = logrank_ref(l$time, l$event, l$sex),
  weighted = list(data = list(time = agg$time, event = agg$event, w = agg$w),
                  weibull = lw_weib, survfit = lw_km))
write_json_file(lung_out, "lung.json")

## ------------------------------------------------------------------------------ valveSeat
## Counting-process form as in the survival vignette ("survival", section Repeated events):
## one (time1, time2] interval per engine between successive inspections.  Engines 328 (day 653)
## and 402 (day 139) had two seats replaced at the same visit, which gives a zero-length
## interval; as the vignette does, the first of the pair is moved back by 0.01 day.  That splits
## one tied event time t into t - 0.01 and t with the same risk set, so the Nelson increments add
## up to the same d/r and the per-engine influence terms add up to the same total: cumhaz and
## std.chaz at t are unchanged, only an extra row at t - 0.01 appears.  We drop those rows (and
## add their n.event into t) to get one row per distinct event time of the original data.
valve_vdata <- function(vs) {
  vdata <- with(vs, data.frame(id = id, time2 = time, status = status))
  first <- !duplicated(vdata$id)
  vdata$time1 <- ifelse(first, 0, c(0, vdata$time2[-nrow(vdata)]))
  double <- which(vdata$time1 == vdata$time2)
  vdata$time1[double] <- vdata$time1[double] - .01
  vdata$time2[double - 1] <- vdata$time1[double]
  vdata
}
## Nelson's MCF and Lawless & Nadeau (1995) robust variance by hand, ties kept as they are:
##   MCF(t) = sum_{t_k <= t} d_k / r_k,
##   Var(t) = sum_i [ sum_{t_k <= t} delta_i(t_k) (n_ik - d_k / r_k) / r_k ]^2,
## r_k = engines still under observation at t_k (end of observation >= t_k).
mcf_by_hand <- function(vs) {
  ends <- vs$time[vs$status == 0]; names(ends) <- vs$id[vs$status == 0]
  tk <- sort(unique(vs$time[vs$status == 1]))
  ids <- names(ends)
  r <- sapply(tk, function(t) sum(ends >= t))
  d <- sapply(tk, function(t) sum(vs$status == 1 & vs$time == t))
  infl <- matrix(0, length(ids), length(tk))
  for (i in seq_along(ids)) {
    nik <- sapply(tk, function(t) sum(vs$id == ids[i] & vs$status == 1 & vs$time == t))
    infl[i, ] <- cumsum((ends[i] >= tk) * (nik - d / r) / r)
  }
  mcf <- cumsum(d / r); se <- sqrt(colSums(infl^2))
  data.frame(time = tk, n_risk = r, n_event = d, mcf = mcf, se = se)
}
mcf_survfit <- function(vs) {
  vdata <- valve_vdata(vs)
  fit <- survfit(Surv(time1, time2, status) ~ 1, data = vdata, id = id, robust = TRUE)
  tab <- data.frame(time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
                    mcf = fit$cumhaz, se = fit$std.chaz)
  tab <- tab[tab$n_event > 0, ]
  shifted <- tab$time != round(tab$time)       # the t - 0.01 rows
  for (k in which(shifted)) {
    j <- which(tab$time == round(tab$time[k]))
    tab$n_event[j] <- tab$n_event[j] + tab$n_event[k]
  }
  tab <- tab[!shifted, ]
  rownames(tab) <- NULL
  tab
}
mcf_ref <- function(vs) {
  hand <- mcf_by_hand(vs); sf <- mcf_survfit(vs)
  stopifnot(identical(hand$time, sf$time), all(hand$n_risk == sf$n_risk),
            all(hand$n_event == sf$n_event))
  list(time = sf$time, n_risk = sf$n_risk, n_event = sf$n_event,
       mcf = sf$mcf, se = sf$se,
       normal_lower = sf$mcf - z * sf$se, normal_upper = sf$mcf + z * sf$se,
       log_lower = sf$mcf * exp(-z * sf$se / sf$mcf), log_upper = sf$mcf * exp(z * sf$se / sf$mcf),
       mcf_by_hand = hand$mcf, se_by_hand = hand$se,
       max_abs_diff_mcf = max(abs(hand$mcf - sf$mcf)), max_abs_diff_se = max(abs(hand$se - sf$se)),
       last_observation = max(vs$time))
}
vs <- valveSeat
grp_a <- subset(vs, id < 400); grp_b <- subset(vs, id >= 400)
m_all <- mcf_ref(vs); m_a <- mcf_ref(grp_a); m_b <- mcf_ref(grp_b)
## Two-sample comparison (independent engines): at every pooled event time, each MCF is its
## right-continuous step function (0 with se 0 before its first event, carried forward after
## its last); se of the difference = sqrt(se_a^2 + se_b^2).  `both_observed` marks times no
## later than both groups' last observation -- beyond that one MCF is an extrapolation.
step_at <- function(m, t, what) {
  k <- findInterval(t, m$time); ifelse(k == 0, 0, m[[what]][pmax(k, 1)])
}
pooled <- sort(unique(c(m_a$time, m_b$time)))
diff <- step_at(m_a, pooled, "mcf") - step_at(m_b, pooled, "mcf")
dse <- sqrt(step_at(m_a, pooled, "se")^2 + step_at(m_b, pooled, "se")^2)
compare <- list(time = pooled, mcf_a = step_at(m_a, pooled, "mcf"), mcf_b = step_at(m_b, pooled, "mcf"),
                difference = diff, se = dse, lower = diff - z * dse, upper = diff + z * dse,
                both_observed = pooled <= min(m_a$last_observation, m_b$last_observation))
valve_out <- list(
  source = "survival::valveSeat (days; status 1 = valve-seat replacement, 0 = end of observation)",
  z = z,
  data = list(id = vs$id, time = vs$time, status = vs$status),
  mcf = m_all,
  groups = list(rule = "a: id < 400, b: id >= 400", a = m_a, b = m_b),
  compare = compare)
write_json_file(valve_out, "valveseat.json")

## echo the cross-checks so a run shows them
cat("aml loglik survreg vs by hand:", aml_out$weibull$all$loglik, aml_out$weibull$all$loglik_by_hand, "\n")
cat("valveSeat MCF survfit vs by hand, max |diff| mcf, se:", m_all$max_abs_diff_mcf, m_all$max_abs_diff_se, "\n")
cat("groups a/b max |diff| se:", m_a$max_abs_diff_se, m_b$max_abs_diff_se, "\n")
