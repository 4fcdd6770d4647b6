"""The temporal detectors by method name: the CLI, scans and back-tests find them here.

The detectors live in the one registry (:mod:`defectradar.registry`, kind ``detectors``) as
factories: ``factory(**params)`` gives an unfitted detector.  :func:`register_builtins` puts the
built-in methods there the way a plug-in's registrar would; :func:`register_detector` and
:func:`detector` are the short ways in and out.
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from defectradar import registry
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


class LazyDetector:
    """A detector class named by ``"module:Class"``, imported when first asked for.

    Registering the name instead of the class keeps ``import defectradar.signals.registry``
    cheap: listing the methods must not import statsmodels.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self._cls: type[TemporalDetector] | None = None

    def load(self) -> type[TemporalDetector]:
        if self._cls is None:
            module, name = self.target.split(":")
            self._cls = getattr(import_module(module), name)
        return self._cls

    def __call__(self, **params) -> TemporalDetector:
        return self.load()(**params)

    def __repr__(self) -> str:
        return f"LazyDetector({self.target!r})"


def register_builtins(reg: registry.Registry) -> None:
    """Register the built-in temporal detectors in ``reg``."""
    for method, target in _BUILTIN.items():
        reg.register("detectors", method, LazyDetector(target))


def register_detector(method: str, factory: Callable[..., TemporalDetector], *, replace: bool = False) -> None:
    """Register ``factory`` (a detector class, or a callable taking its parameters) as ``method``.

    A name already taken is refused unless ``replace``; see :meth:`defectradar.registry.Registry.register`.
    """
    if not callable(factory):
        raise InputError(f"detector {method!r}: the factory must be callable (a detector class), "
                         f"not {type(factory).__name__}")
    registry.register("detectors", method, factory, replace=replace)


def methods() -> list[str]:
    """The registered method names, sorted."""
    return registry.names("detectors")


def detector(method: str, **params) -> TemporalDetector:
    """A detector for ``method`` with ``params`` (validated when it is fitted)."""
    factory = registry.default().find("detectors", method)
    if factory is None:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(methods())}")
    cls = factory.load() if isinstance(factory, LazyDetector) else factory
    try:
        return cls(**params)
    except TypeError as exc:
        constraints = getattr(cls, "_parameter_constraints", None)
        if constraints is None:       # a plug-in's factory that declares no parameters: its own error
            raise
        raise InputError(f"{method}: {exc}; its parameters are {', '.join(constraints)}") from None
