"""Which disproportionality results count as a signal: configurable, documented thresholds.

Defaults are the usual published criteria:

==========  ======================================================  ==================================
rule        fires when                                              reference
==========  ======================================================  ==================================
``evans``   PRR >= 2 and Yates chi-square >= 4 and n >= 3           Evans, Waller & Davis (2001)
``ror``     lower 95 % limit of the ROR > 1                         van Puijenbroek et al. (2002)
``ic``      IC025 > 0 (Norén's shrinkage IC)                        Norén, Hopstadius & Bate (2013)
``ebgm``    EB05 >= 2                                               Szarfman, Machado & O'Neill (2002)
==========  ======================================================  ==================================

A pair is a signal when **any** enabled rule fires (``combine="any"``, the default: each rule is
a screen in its own right and the analyst sees which fired) or, with ``combine="all"``, when
every enabled rule fires.  A statistic that is NaN (undefined for the table, see
:mod:`defectradar.signals.disproportionality`) never fires its rule; +inf compares as larger
than any threshold.

Optional false-discovery-rate control: with ``fdr_q`` set, the p-values of the *uncorrected*
chi-square are adjusted by Benjamini & Hochberg (1995) over all pairs with a p-value, and a pair
stays a signal only if, in addition, its adjusted p-value is ``<= fdr_q``.  (The chi-square test
is two-sided; the rules above supply the direction.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from defectradar.errors import InputError

RULES = ("evans", "ror", "ic", "ebgm")
# The result columns each rule reads.
RULE_COLUMNS = {"evans": ("prr", "chi2", "n"), "ror": ("ror_lower",), "ic": ("ic025",), "ebgm": ("eb05",)}


@dataclass(frozen=True)
class SignalRules:
    """Thresholds, which rules are on, and how they combine.

    Parameters
    ----------
    evans, ror, ic, ebgm
        Turn each rule on or off.
    prr_min, chi2_min, n_min
        Evans: ``prr >= prr_min and chi2 >= chi2_min and n >= n_min`` (chi2 Yates-corrected).
    ror_lower_min
        ROR: ``ror_lower > ror_lower_min``.
    ic025_min
        IC: ``ic025 > ic025_min``.
    eb05_min
        EBGM: ``eb05 >= eb05_min``.
    combine
        ``"any"`` (default) or ``"all"`` of the enabled rules.
    fdr_q
        ``None`` (default) or a level q in (0, 1) for Benjamini-Hochberg control on the
        uncorrected chi-square p-values (column ``chi2_p``).

    Examples
    --------
    >>> rules = SignalRules(ebgm=False, combine="all")
    >>> SignalRules.from_dict(rules.to_dict()) == rules
    True
    """

    evans: bool = True
    prr_min: float = 2.0
    chi2_min: float = 4.0
    n_min: int = 3
    ror: bool = True
    ror_lower_min: float = 1.0
    ic: bool = True
    ic025_min: float = 0.0
    ebgm: bool = True
    eb05_min: float = 2.0
    combine: str = "any"
    fdr_q: float | None = None

    def __post_init__(self) -> None:
        for name in RULES:
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"signal rules: {name} must be True or False, not {getattr(self, name)!r}")
        for name in ("prr_min", "chi2_min", "n_min", "ror_lower_min", "ic025_min", "eb05_min"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"signal rules: {name} must be a finite number, not {value!r}")
        if self.combine not in ("any", "all"):
            raise InputError(f"signal rules: combine must be 'any' or 'all', not {self.combine!r}")
        if self.fdr_q is not None and not (isinstance(self.fdr_q, (int, float)) and 0 < self.fdr_q < 1):
            raise InputError(f"signal rules: fdr_q must be None or a level between 0 and 1, not {self.fdr_q!r}")
        if not self.enabled:
            raise InputError("signal rules: every rule is switched off; enable at least one of "
                             + ", ".join(RULES))

    @property
    def enabled(self) -> list[str]:
        """The names of the rules that are on, in a fixed order."""
        return [name for name in RULES if getattr(self, name)]

    def apply(self, results: pd.DataFrame) -> pd.DataFrame:
        """Evaluate the rules on disproportionality results (one row per pair).

        Parameters
        ----------
        results
            Columns as :class:`~defectradar.signals.disproportionality.Disproportionality` gives
            (``prr``, ``chi2``, ``n``, ``ror_lower``, ``ic025``, ``chi2_p``) plus ``eb05`` when
            the EBGM rule is on.

        Returns
        -------
        pandas.DataFrame
            Same index as ``results``; a boolean ``rule_<name>`` column per enabled rule,
            ``rules_fired`` (comma-separated names, ``""`` if none), ``chi2_p_adjusted`` when
            ``fdr_q`` is set, and the boolean ``signal``.
        """
        needed = {c for name in self.enabled for c in RULE_COLUMNS[name]} | ({"chi2_p"} if self.fdr_q else set())
        missing = sorted(needed - set(results.columns))
        if missing:
            hint = " (fit an MGPS model or set ebgm=False)" if "eb05" in missing else ""
            raise InputError(f"signal rules: results lack column {', '.join(map(repr, missing))}{hint}")
        col = {c: results[c].to_numpy(dtype=float) for c in needed}
        with np.errstate(invalid="ignore"):
            fired = {
                "evans": lambda: (col["prr"] >= self.prr_min) & (col["chi2"] >= self.chi2_min)
                & (col["n"] >= self.n_min),
                "ror": lambda: col["ror_lower"] > self.ror_lower_min,
                "ic": lambda: col["ic025"] > self.ic025_min,
                "ebgm": lambda: col["eb05"] >= self.eb05_min,
            }
            flags = {name: fired[name]() for name in self.enabled}
        out = pd.DataFrame({f"rule_{name}": value for name, value in flags.items()}, index=results.index)
        stacked = np.column_stack(list(flags.values()))
        signal = stacked.any(axis=1) if self.combine == "any" else stacked.all(axis=1)
        names = np.array(self.enabled, dtype=object)
        out["rules_fired"] = [",".join(names[row]) for row in stacked]
        if self.fdr_q is not None:
            adjusted = benjamini_hochberg(col["chi2_p"])
            out["chi2_p_adjusted"] = adjusted
            signal = signal & (adjusted <= self.fdr_q)
        out["signal"] = signal
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SignalRules":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"signal rules: unknown setting {', '.join(map(repr, unknown))}; "
                             f"known settings are {', '.join(sorted(known))}")
        return cls(**data)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values; NaN stays NaN and is not counted in m.

    .. math::  \\tilde p_{(i)} = \\min_{j \\ge i} \\min\\left(1, \\frac{m\\, p_{(j)}}{j}\\right)

    A pair is rejected at level q when its adjusted p-value is ``<= q``.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return adjusted
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    values = np.empty(m)
    values[order] = np.minimum(ranked, 1.0)
    adjusted[ok] = values
    return adjusted
