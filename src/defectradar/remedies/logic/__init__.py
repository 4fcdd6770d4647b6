"""Rule logic: plain Python functions of (the claim, the rule set's parameters on its day).

Each function decides one provision and returns an :class:`Entitlement` (the remedies the
owner may choose from, and the numbers its sentence quotes) or None when the provision does
not apply.  An entitlement with no remedies is a note (a loaner phone due, a burden of proof).
Rule set files name these functions in ``rules[].logic``.  They live in the one registry
(:mod:`defectradar.registry`, kind ``rule_logic``); :func:`register_builtins` registers the
built-in provisions there the way a plug-in's registrar would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from typing import Any, Callable, Mapping

from defectradar import registry
from defectradar.remedies.case import Claim


@dataclass(frozen=True)
class Entitlement:
    """What one provision gives on one claim."""

    remedies: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)
    proof_needed: bool = False      # the owner must show the defect existed at delivery
    citation: str | None = None     # the dated source of the deciding value, when it has one


class Params:
    """A rule set's parameters as one claim sees them: each on its ``fixed_at`` day."""

    def __init__(self, rule_set, claim: Claim):
        self.rule_set = rule_set
        self.claim = claim
        self._values: dict[str, Any] = {}
        self._shared: dict[Any, Any] = {}

    def shared(self, key, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per claim and rule set: what several provisions of one law all ask
        (is the claim inside the period? is an exchange owed?) is worked out once."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def day_for(self, fixed_at: str) -> date:
        return self.claim.device.purchase_date if fixed_at == "purchase" else self.claim.on

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = self._value(name)
        return self._values[name]

    def _value(self, name: str) -> Any:
        parameter = self.rule_set.parameter(name)
        value = parameter.at(self.day_for(parameter.fixed_at))
        if value is None and parameter.fixed_at == "purchase" and self.claim.on >= parameter.values[0].start:
            # Bought before the rule set existed: a period fixed at purchase takes the rule set's first value.
            value = parameter.at(parameter.values[0].start)
        if value is None:
            raise LookupError(f"rule set {self.rule_set.id}: parameter {name} has no value on "
                              f"{self.day_for(parameter.fixed_at)}; give it a value from {self.rule_set.effective_from}")
        return value

    def reference(self, name: str) -> str | None:
        """The citation of the value of ``name`` in force for this claim (a policy's notice of that day)."""
        parameter = self.rule_set.parameter(name)
        dated = parameter.dated_at(self.day_for(parameter.fixed_at))
        return None if dated is None else dated.reference


Logic = Callable[[Claim, Params], "Entitlement | None"]
#: The registered rule functions by name: a live view of the one registry (read it as a dict).
LOGIC: Mapping[str, Logic] = registry.KindView("rule_logic")

# The modules of the built-in provisions; each declares its functions with @remedy_logic.
BUILTIN_LOGIC_MODULES = (
    "defectradar.remedies.logic.cn_phones",
    "defectradar.remedies.logic.eu_sale_of_goods",
    "defectradar.remedies.logic.maker_policy",
)
_BUILTIN_LOGIC: dict[str, Logic] = {}


def remedy_logic(name: str, *, replace: bool = False) -> Callable[[Logic], Logic]:
    """Register a rule function under ``name`` (the value rule files give in ``logic:``).

    On a function of a built-in provision module this declares a built-in (registered by
    :func:`register_builtins`); on any other it registers in the process's registry, like
    ``registry.register("rule_logic", name, function)``.
    """
    def register(function: Logic) -> Logic:
        # The built-in modules cannot register as they are imported: loading the registry imports them.
        if getattr(function, "__module__", None) in BUILTIN_LOGIC_MODULES:
            if name in _BUILTIN_LOGIC and _BUILTIN_LOGIC[name] is not function:
                raise ValueError(f"rule logic {name!r} is registered twice")
            _BUILTIN_LOGIC[name] = function
            return function
        return registry.register("rule_logic", name, function, replace=replace)
    return register


def register_builtins(reg: registry.Registry) -> None:
    """Register the built-in provisions' rule functions in ``reg``."""
    for module in BUILTIN_LOGIC_MODULES:
        import_module(module)
    for name, function in _BUILTIN_LOGIC.items():
        reg.register("rule_logic", name, function)
