"""Issue 17, item 7: every estimator declares a constraint for exactly its constructor's parameters.

The older contract tests compared ``_parameter_constraints`` with ``get_params()``, which is built
from ``_parameter_constraints`` and so could never fail.  These check the constraints against the
constructor's signature instead, for every :class:`~defectradar.core.estimator.Estimator` subclass
found in the package (detectors, disproportionality, MGPS, trending, Weibull, Kaplan-Meier, MCF,
the warranty forecast, lemon rules, the text model); and that a default instance keeps each
setting as given and passes its own constraints.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re

import pytest

import defectradar
from defectradar.core.estimator import Estimator
from defectradar.text.model import TextModel

SHELLS = (".cli", ".api", ".web", "__main__")


def _all_estimators() -> list[type]:
    for module in pkgutil.walk_packages(defectradar.__path__, "defectradar."):
        if not any(part in module.name for part in SHELLS):
            importlib.import_module(module.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    found = {cls for cls in below(Estimator) if not _is_base(cls)}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _is_base(cls: type) -> bool:
    """A base class whose constructor only passes its arguments on (``*args, **kwargs``)."""
    kinds = {p.kind for p in inspect.signature(cls.__init__).parameters.values()}
    return inspect.Parameter.VAR_POSITIONAL in kinds or inspect.Parameter.VAR_KEYWORD in kinds


def _constructor_parameters(cls: type) -> dict[str, inspect.Parameter]:
    return {name: p for name, p in inspect.signature(cls.__init__).parameters.items() if name != "self"}


ESTIMATORS = _all_estimators()


def test_the_walk_finds_the_estimators():
    names = {cls.__name__ for cls in ESTIMATORS}
    assert {"WeibullModel", "KaplanMeier", "MeanCumulativeFunction", "NbExcess", "GlrPoisson", "MGPS",
            "Trending", "WarrantyForecast", "TextModel"} <= names, names


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constraints_cover_exactly_the_constructor_parameters(cls):
    declared = set(cls._parameter_constraints)
    assert declared == set(_constructor_parameters(cls)), (
        f"{cls.__name__}: constraints for {sorted(declared - set(_constructor_parameters(cls)))} that the "
        f"constructor lacks; parameters without one: {sorted(set(_constructor_parameters(cls)) - declared)}")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_defaults_are_kept_as_given_and_pass_their_constraints(cls):
    parameters = _constructor_parameters(cls)
    missing = [name for name, p in parameters.items() if p.default is inspect.Parameter.empty]
    assert not missing, f"{cls.__name__}: settings without a default {missing} (estimator contract)"
    estimator = cls()
    estimator._validate_params()
    for name, p in parameters.items():
        if p.default is not None:       # None often means "derive it" (e.g. a default rule object)
            assert estimator.get_params()[name] == p.default, f"{cls.__name__}.{name} changed in __init__"


def test_text_model_constraints_match_its_settings():
    settings = {f.name for f in dataclasses.fields(TextModel)} if dataclasses.is_dataclass(TextModel) \
        else set(_constructor_parameters(TextModel))
    assert set(TextModel._parameter_constraints) == settings
    model = TextModel()
    model._validate_params()
    for name, (check, _explanation) in TextModel._parameter_constraints.items():
        assert check(getattr(model, name)), name


@pytest.mark.parametrize(("name", "value", "message"), [
    ("C", -1.0, "TextModel: parameter C=-1.0 must be a positive number"),
    ("ngram_range", (3, 2), "parameter ngram_range=(3, 2) must be two lengths"),
    ("max_features", 10, "parameter max_features=10 must be a whole number >= 100"),
])
def test_text_model_validates_as_every_estimator(name, value, message):
    """The text model checks its settings with the estimators' constraints (issue 17, item 3)."""
    from defectradar.errors import InputError

    with pytest.raises(InputError, match=re.escape(message)):
        TextModel(**{name: value}).fit(["a", "b"], [["x"], ["y"]])
