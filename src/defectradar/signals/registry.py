"""The temporal detectors by method name: the CLI, scans and back-tests find them here.

Built-in methods register the same way a plugin would (:func:`register_detector`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from defectradar.errors import InputError
from defectradar.signals.base import TemporalDetector

# method name -> "module:Class", imported on first use (statsmodels is slow to import).
_BUILTIN = {
    "ears-c1": "defectradar.signals.ears:EarsC1",
    "ears-c2": "defectradar.signals.ears:EarsC2",
    "ears-c3": "defectradar.signals.ears:EarsC3",
    "cusum": "defectradar.signals.cusum:Cusum",
    "farrington": "defectradar.signals.farrington:Farrington",
    "glr-poisson": "defectradar.signals.glr:GlrPoisson",
    "glr-nb": "defectradar.signals.glr:GlrNegBin",
    "bursts": "defectradar.signals.bursts:KleinbergBursts",
    "nb-excess": "defectradar.signals.calibrated:NbExcess",
}
_REGISTERED: dict[str, Callable[..., TemporalDetector]] = {}


def register_detector(method: str, factory: Callable[..., TemporalDetector]) -> None:
    _REGISTERED[method] = factory


def methods() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTERED})


def detector(method: str, **params) -> TemporalDetector:
    """A detector for ``method`` with ``params`` (validated when it is fitted)."""
    if method in _REGISTERED:
        return _REGISTERED[method](**params)
    if method not in _BUILTIN:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(methods())}")
    module, name = _BUILTIN[method].split(":")
    cls = getattr(import_module(module), name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise InputError(f"{method}: {exc}; its parameters are {', '.join(cls._parameter_constraints)}") from None
