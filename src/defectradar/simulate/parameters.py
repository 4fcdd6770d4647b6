"""The numbers that define the simulated world: products, hazards, defects, policies, posting.

Everything a reader may want to tune or check against the truth file lives here, so the
modules that simulate only say *how* a world is drawn, never *what* it contains.  Rates are at
``scale=1``; ``--scale`` multiplies volumes (units sold, background and burst posts) but never
probabilities or hazards, so every rate in the world is independent of the scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

OBSERVATION_END = date(2022, 12, 31)
# Products whose sales begin in this span are simulated (the Mi 11 era and its comparators).
LAUNCH_SPAN = (date(2020, 1, 1), date(2021, 12, 31))

# Failure-mode ids of the built-in taxonomy; the column order of every hazard matrix.
MODES: tuple[str, ...] = (
    "wifi", "cellular", "other_radio", "motherboard", "screen_burn_in", "display", "overheating",
    "battery", "charging", "camera", "audio", "software", "biometrics", "build", "safety",
    "other_defect",
)
MODE_INDEX = {mode: index for index, mode in enumerate(MODES)}

# Province -> share of units.  Weights follow the provinces' rough shares of smartphone sales.
REGIONS: tuple[tuple[str, float], ...] = (
    ("广东", 0.19), ("江苏", 0.13), ("浙江", 0.12), ("山东", 0.13), ("北京", 0.10),
    ("上海", 0.10), ("四川", 0.11), ("湖北", 0.12),
)
CHANNELS = ("online", "offline")


@dataclass(frozen=True)
class SalesPlan:
    """How one product sells at scale 1.

    ``units`` is the expected total over its sales window; the monthly curve peaks in the launch
    month and decays with ``decay_months`` (e-folding time), with bumps for the 618 (June) and
    Singles' Day (November) shopping festivals.  ``quality`` multiplies every baseline hazard.
    ``tacs`` are the 8-digit type allocation codes that start the model's IMEIs.
    """

    units: int
    decay_months: float
    online_share: float
    quality: float
    tacs: tuple[str, ...]


# Popular models sell more: the Mi 11 and the iPhones lead, niche flagships trail.
PRODUCT_PLANS: dict[str, SalesPlan] = {
    "xiaomi-11": SalesPlan(36_000, 6.0, 0.62, 1.00, ("86462105", "86462106", "86973005")),
    "xiaomi-11-pro": SalesPlan(10_000, 6.0, 0.60, 1.00, ("86532305", "86532306", "86532307")),
    "xiaomi-11-ultra": SalesPlan(14_000, 7.0, 0.58, 1.00, ("86533405", "86533406", "86533407")),
    "xiaomi-12": SalesPlan(18_000, 7.0, 0.60, 0.95, ("86784906", "86784907", "86784908")),
    "xiaomi-10": SalesPlan(14_000, 6.0, 0.60, 1.05, ("86775604", "86775605", "86775606")),
    "redmi-k40": SalesPlan(22_000, 6.0, 0.75, 1.10, ("86212805", "86212806", "86212807")),
    "redmi-note-10-pro": SalesPlan(12_000, 8.0, 0.70, 1.15, ("86839705", "86839706", "86839707")),
    "huawei-mate-40-pro": SalesPlan(14_000, 9.0, 0.35, 0.90, ("86860105", "86860106", "86860107")),
    "huawei-p40": SalesPlan(10_000, 7.0, 0.40, 0.95, ("86725304", "86725305", "86725306")),
    "honor-50": SalesPlan(12_000, 7.0, 0.45, 1.05, ("86097005", "86097006", "86097007")),
    "oppo-find-x3-pro": SalesPlan(8_000, 7.0, 0.40, 1.00, ("86916405", "86916406", "86916407")),
    "vivo-x60-pro": SalesPlan(7_000, 6.0, 0.40, 1.00, ("86591205", "86591206", "86591207")),
    "oneplus-9-pro": SalesPlan(6_000, 7.0, 0.70, 1.10, ("86204905", "86204906", "86204907")),
    "iphone-12": SalesPlan(30_000, 14.0, 0.50, 0.80, ("35305311", "35330811", "35440211")),
    "iphone-13": SalesPlan(28_000, 14.0, 0.50, 0.80, ("35046522", "35190422", "35384322")),
    "galaxy-s21": SalesPlan(5_000, 7.0, 0.45, 0.95, ("35086512", "35356612", "35765812")),
}
LAUNCH_MONTH_BOOST = 1.6        # pre-orders land in the launch month
FESTIVAL_BOOST = {6: 1.4, 11: 1.7}


@dataclass(frozen=True)
class ModeHazard:
    """A baseline Weibull hazard given as the probability of failing within the first year."""

    first_year_probability: float
    shape: float


# Baseline hazards shared by every model (times the model's ``quality``): about 4.4 % of units
# fail in some way within their first year.  Battery wear rises with age (shape 2.5); display
# and software faults show infant mortality (shape < 1).
BASELINE_HAZARDS: dict[str, ModeHazard] = {
    "wifi": ModeHazard(0.0015, 1.0),
    "cellular": ModeHazard(0.0030, 1.0),
    "other_radio": ModeHazard(0.0010, 1.0),
    "motherboard": ModeHazard(0.0030, 1.2),
    "screen_burn_in": ModeHazard(0.0005, 2.0),
    "display": ModeHazard(0.0060, 0.9),
    "overheating": ModeHazard(0.0020, 1.0),
    "battery": ModeHazard(0.0040, 2.5),
    "charging": ModeHazard(0.0040, 1.1),
    "camera": ModeHazard(0.0030, 1.0),
    "audio": ModeHazard(0.0030, 1.0),
    "software": ModeHazard(0.0040, 0.8),
    "biometrics": ModeHazard(0.0020, 1.0),
    "build": ModeHazard(0.0020, 1.0),
    "safety": ModeHazard(0.0002, 1.0),
    "other_defect": ModeHazard(0.0030, 1.0),
}


@dataclass(frozen=True)
class InjectedDefect:
    """A design defect of one product: a Weibull time to failure (days of age) for one mode.

    For affected units (sold on or after ``hazard_start``, default the launch date) the defect
    Weibull *replaces* the baseline hazard of ``mode``, so the time to the first failure of that
    mode is exactly ``Weibull(shape, scale_days)`` in age, right-censored at the observation end.
    """

    group: str
    product_id: str
    mode: str
    shape: float
    scale_days: float
    repair_failure: float
    description: str
    hazard_start: date | None = None


MI11_SERIES = ("xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra")
DEFECTS: tuple[InjectedDefect, ...] = (
    # About 18 % of Mi 11 units lose Wi-Fi by 18 months of age, 7.7 % by 12 months.
    InjectedDefect("mi11-wifi", "xiaomi-11", "wifi", 2.2, 1150.0, 0.40,
                   "Wi-Fi dies (toggle greyed out, MAC 02:00:00:00:00:00); a board-level fault"),
    InjectedDefect("mi11-wifi", "xiaomi-11-pro", "wifi", 2.2, 1700.0, 0.40,
                   "Wi-Fi dies, the same board-level fault as the Mi 11, rarer"),
    InjectedDefect("mi11-wifi", "xiaomi-11-ultra", "wifi", 2.2, 2000.0, 0.40,
                   "Wi-Fi dies, the same board-level fault as the Mi 11, rarer"),
    # "Burnt board": the phone dies, a mainboard repair wipes the owner's data every time.
    InjectedDefect("mi11-motherboard", "xiaomi-11", "motherboard", 1.5, 3500.0, 0.35,
                   "burnt motherboard: sudden death or boot loop; data lost on every board repair"),
    InjectedDefect("mi11-motherboard", "xiaomi-11-pro", "motherboard", 1.5, 4500.0, 0.35,
                   "burnt motherboard, as on the Mi 11"),
    InjectedDefect("mi11-motherboard", "xiaomi-11-ultra", "motherboard", 1.5, 4500.0, 0.35,
                   "burnt motherboard, as on the Mi 11"),
    InjectedDefect("ultra-burn-in", "xiaomi-11-ultra", "screen_burn_in", 1.8, 6000.0, 0.15,
                   "mild OLED burn-in (status bar, keyboard ghosting)"),
    InjectedDefect("mi11-overheating", "xiaomi-11", "overheating", 1.0, 12000.0, 0.20,
                   "Snapdragon 888 runs hot; mostly complaints, many visits find no fault"),
)



@dataclass(frozen=True)
class UnnamedDefect:
    """A defect whose complaints use words no rule of the taxonomy knows: a new failure mode.

    Units of ``product_id`` sold on or after ``hazard_start`` are affected with probability
    ``affected_share``; an affected unit shows the fault at ``Weibull(shape, scale_days)`` days
    of age, and its owner posts about it once with probability ``post_probability`` (within
    ``POST_DELAY_DAYS``).  The phone keeps working, so nobody takes it to a service centre: the
    defect lives in posts only.  Its phrases are ``UNNAMED_SYMPTOMS_*[defect_id]``; the truth of
    those posts lists no failure mode and names the defect (``unnamed_defect``).
    """

    defect_id: str
    product_id: str
    hazard_start: date
    affected_share: float
    shape: float
    scale_days: float
    post_probability: float
    description: str


UNNAMED_DEFECTS: tuple[UnnamedDefect, ...] = (
    # A new back-cover adhesive from April 2022 smells (胶水味, "glue smell"); the taxonomy has no
    # odour mode, so rules give these posts no mode: the emerging-term detector's test case.
    UnnamedDefect("x12-odour", "xiaomi-12", date(2022, 4, 1), 0.5, 1.5, 45.0, 0.04,
                  "a new back-cover adhesive gives off a pungent glue smell; the phone works, owners complain"),
)

# --- service -------------------------------------------------------------------------------
# Share of failures whose owner takes the phone to a service centre (dead Wi-Fi or a dead board
# sends nearly everyone; a warm phone or a laggy system often does not).
REACH_PROBABILITY: dict[str, float] = {
    "wifi": 0.95, "cellular": 0.88, "other_radio": 0.75, "motherboard": 0.97,
    "screen_burn_in": 0.85, "display": 0.92, "overheating": 0.65, "battery": 0.85,
    "charging": 0.87, "camera": 0.85, "audio": 0.82, "software": 0.70, "biometrics": 0.80,
    "build": 0.85, "safety": 0.97, "other_defect": 0.80,
}
# Delay from failure to the visit, 0-10 days, most within a few days.
VISIT_DELAY_WEIGHTS = tuple(0.72 ** d for d in range(11))
REPAIR_FAILURE_BASELINE = 0.10          # a repair that does not cure the fault
REPAIR_FAILURE_BY_MODE = {"wifi": 0.12, "motherboard": 0.15, "software": 0.15}
RECURRENCE_AFTER_FAILED_REPAIR = {"defect": (1.3, 110.0), "baseline": (1.3, 200.0)}  # shape, scale
REFUSAL_PROBABILITY = 0.03              # water damage, unauthorised opening
NO_FAULT_FOUND = {"overheating": 0.35, "software": 0.15, "battery": 0.08}
NO_FAULT_FOUND_DEFAULT = 0.03
REVISIT_AFTER_NO_FAULT = 0.6
HEALTHY_CHECKUP_PER_YEAR = 0.004        # owners of working phones asking for a check
REFUND_WITHIN_DAYS = 7                  # China three-guarantees (三包): refund within 7 days,
REPLACE_WITHIN_DAYS = 15                # replacement within 15 days, replacement after two
WARRANTY_DAYS = 365                     # failed repairs within the one-year warranty.

# Xiaomi's remedies for the Mi 11 series Wi-Fi fault, by the date of the service visit.
EXCHANGE_FROM = date(2021, 8, 6)
REPAIR_ONLY_FROM = date(2022, 9, 15)
POLICIES: tuple[dict, ...] = (
    {"policy_id": "xiaomi-mi11-wifi-board-repair", "maker": "Xiaomi", "product_ids": list(MI11_SERIES),
     "failure_mode": "wifi", "effective_from": "2021-01-01", "effective_to": "2021-08-05",
     "remedy": "repair", "data_wiped": True,
     "description": "Wi-Fi faults are fixed by a mainboard repair; the owner's data is wiped."},
    {"policy_id": "xiaomi-mi11-wifi-exchange", "maker": "Xiaomi", "product_ids": list(MI11_SERIES),
     "failure_mode": "wifi", "effective_from": "2021-08-06", "effective_to": "2022-09-14",
     "remedy": "replace", "data_wiped": False,
     "description": "Units with the Wi-Fi fault are exchanged for a new unit; a repeat failure "
                    "is exchanged again or refunded."},
    {"policy_id": "xiaomi-mi11-wifi-repair-only", "maker": "Xiaomi", "product_ids": list(MI11_SERIES),
     "failure_mode": "wifi", "effective_from": "2022-09-15", "effective_to": None,
     "remedy": "repair", "data_wiped": True,
     "description": "Exchanges end: only a mainboard repair is offered, never a replacement or "
                    "refund, however often the fault recurs."},
    {"policy_id": "cn-three-guarantees", "maker": None, "product_ids": None, "failure_mode": None,
     "effective_from": "2015-01-01", "effective_to": None, "remedy": "repair|replace|refund",
     "data_wiped": None,
     "description": "Other faults and models: refund possible within 7 days of purchase, "
                    "replacement within 15 days and after two failed repairs within the "
                    "one-year warranty; repair otherwise. The Mi 11 series Wi-Fi policies above "
                    "replace this for that fault (the maker does not honour the two-repair rule "
                    "from 2022-09-15)."},
)

# --- social posts -------------------------------------------------------------------------
POST_PROBABILITY_BY_FAILURE = (0.04, 0.15, 0.35)     # after the 1st, 2nd, 3rd+ failure
POST_DELAY_DAYS = 14
ENGLISH_SHARE = 0.25
TRADITIONAL_SHARE = 0.12                              # of Chinese posts
BURST_TOPIC = "小米11WiFi门"
BURST_START, BURST_PEAK, BURST_END = date(2022, 9, 16), date(2022, 9, 21), date(2022, 10, 5)
BURST_POSTS = 1800                                   # non-owner posts at scale 1
BURST_OWNER_MULTIPLIER = 3.0                         # owners post more while the topic trends
BACKGROUND_START = date(2020, 2, 1)
BACKGROUND_POSTS_PER_DAY = 4.0                       # at scale 1
WEEKDAY_FACTOR = (0.92, 0.90, 0.92, 0.95, 1.05, 1.18, 1.08)   # Monday .. Sunday
# Planted personal data in owner posts (probabilities per post, independent).
PLANTED_IDENTIFIERS = {"phone": 0.03, "imei": 0.02, "email": 0.012, "person_id": 0.006}
PLANTED_IN_BACKGROUND = {"phone": 0.004, "email": 0.003}
