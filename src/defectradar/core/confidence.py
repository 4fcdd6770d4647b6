"""The standard normal quantile of a confidence level, checked once for every interval.

Wald intervals (Weibull, Kaplan-Meier, MCF, the warranty forecast) and the PRR/ROR intervals
all need :math:`z = \\Phi^{-1}(1/2 + c/2)` for a two-sided level :math:`c`; the one-sided
limits of EARS and Farrington need :math:`\\Phi^{-1}(c)`.

>>> round(z_for(0.95), 4), round(z_for(0.975, two_sided=False), 4)
(1.96, 1.96)
"""

from __future__ import annotations

import math
from numbers import Real

from scipy import stats

from defectradar.errors import InputError


def z_for(level: float, *, two_sided: bool = True, name: str = "confidence") -> float:
    r"""The normal quantile for confidence ``level`` (0 < level < 1).

    Two-sided (default): :math:`z = \Phi^{-1}(1/2 + c/2)`, so :math:`\pm z` holds ``level`` of
    the mass (1.96 for 0.95).  One-sided: :math:`z = \Phi^{-1}(c)` (1.645 for 0.95).  ``name``
    is how the level is called in the error message.
    """
    if isinstance(level, bool) or not isinstance(level, Real) or not 0 < float(level) < 1 \
            or not math.isfinite(float(level)):
        raise InputError(f"{name} must be between 0 and 1, not {level!r} (e.g. 0.95)")
    quantile = 0.5 + float(level) / 2 if two_sided else float(level)
    return float(stats.norm.ppf(quantile))
