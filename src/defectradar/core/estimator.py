"""The estimator contract and its parameter constraints, shared by every method.

Contract (STYLE.md): ``__init__`` stores settings only; ``fit(data) -> self`` learns; learned
values end in ``_``; ``summary`` is a DataFrame; ``to_dict()`` is JSON-safe.  Parameters are
declared in ``_parameter_constraints`` (name -> (check, explanation)) and validated in ``fit``
with :func:`check_params`, so a bad setting fails with the parameter's name and what it
accepts; a contract test (``tests/test_parameter_contract.py``) checks every parameter has a
constraint.  Detectors, fitters and the text model all validate this way.
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar, Mapping

from defectradar.errors import InputError

Constraint = tuple[Callable[[Any], bool], str]


def positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and math.isfinite(value)


def non_negative(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and math.isfinite(value)


def positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def probability(value) -> bool:
    return isinstance(value, (int, float)) and 0 < value < 1


def boolean(value) -> bool:
    return isinstance(value, bool)


def int_at_least(low: int) -> Constraint:
    """A whole number from ``low`` up."""
    return (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low, f"a whole number >= {low}")


def one_of(*options) -> Constraint:
    return (lambda v: v in options, f"one of {', '.join(map(str, options))}")


def check_params(owner: str, constraints: Mapping[str, Constraint], values: Mapping[str, Any]) -> None:
    """Raise :class:`InputError` naming the first of ``values`` its constraint refuses.

    >>> check_params("ears-c1", {"alpha": (probability, "a probability")}, {"alpha": 2})
    Traceback (most recent call last):
    ...
    defectradar.errors.InputError: ears-c1: parameter alpha=2 must be a probability
    """
    for name, (check, explanation) in constraints.items():
        value = values[name]
        if not check(value):
            raise InputError(f"{owner}: parameter {name}={value!r} must be {explanation}")


class Estimator:
    """Base class: parameter storage, validation and JSON output."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    method: ClassVar[str] = ""

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._parameter_constraints}

    def _validate_params(self) -> None:
        check_params(self.method or type(self).__name__, self._parameter_constraints, self.get_params())

    def _begin_fit(self) -> None:
        """What every ``fit`` does first: check the parameters and forget the last fit, so a
        failed refit never leaves the previous results looking current."""
        self._validate_params()
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)

    def _check_fitted(self) -> None:
        if not any(name.endswith("_") and not name.startswith("_") for name in vars(self)):
            raise InputError(f"{type(self).__name__} is not fitted yet; call fit() first")
