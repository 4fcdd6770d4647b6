"""One registry for every extension point: source formats, readers, detectors and rule logic.

Each extension point is a *kind* of named object:

============  ============================================================================
kind          what a name maps to
============  ============================================================================
formats       a :class:`~defectradar.ingest.formats.SourceFormat` (``ingest --type NAME``)
readers       a :class:`~defectradar.ingest.formats.ContainerReader`: one container
              (delimited text, JSON, Parquet, a workbook) read into batches
detectors     a factory of temporal detectors (``signals series --method NAME``)
rule_logic    a rule function of a claim and its rule set's parameters (``logic: NAME``)
============  ============================================================================

Built-ins register the way a plug-in does, through a function taking the registry (datasette's
``DEFAULT_PLUGINS`` is the model): :data:`BUILTIN_PLUGINS` names them, and they are called
directly, so they load even when defectradar runs from a source tree with no installed
metadata.  Third-party plug-ins are Python entry points of the group ``defectradar.plugins``
(see ``docs/plugins.md``); each is a callable taking the registry, or a module whose import
registers.  Everything loads lazily, once, on the first lookup; a plug-in that fails to load is
skipped with a :class:`PluginWarning` naming it, and the built-ins stay usable.

This module is on the bottom floor: it imports nothing of defectradar but ``errors`` (the
registrars are named by string and imported when the registry loads).

Examples
--------
>>> from defectradar import registry
>>> "cusum" in registry.names("detectors")
True
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
import types
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, Callable

from defectradar.errors import InputError

#: The kinds of extension point, each with the noun its messages use.
KINDS: dict[str, str] = {
    "formats": "source format",
    "readers": "reader",
    "detectors": "detector method",
    "rule_logic": "rule logic",
}

#: The entry-point group third-party plug-ins declare themselves in.
ENTRY_POINT_GROUP = "defectradar.plugins"

#: defectradar's own registrars, by entry-point name ("module:function").  pyproject.toml
#: declares the same entry points; those are skipped when found, since these already ran.
BUILTIN_PLUGINS: dict[str, str] = {
    "ingest": "defectradar.ingest.formats:register_builtins",
    "signals": "defectradar.signals.registry:register_builtins",
    "remedies": "defectradar.remedies.logic:register_builtins",
}


class PluginWarning(UserWarning):
    """A plug-in could not be loaded and was skipped."""


def _load_target(target: str) -> Any:
    """The object ``"package.module:attribute"`` (or the module, without ``:attribute``) names."""
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        obj = getattr(obj, part)
    return obj


def _same_target(a: str, b: str) -> bool:
    return a.replace(" ", "") == b.replace(" ", "")


class Registry:
    """Named objects of each kind, filled by the built-ins and by plug-ins.

    Parameters
    ----------
    kinds
        ``{kind: noun}``: the kinds this registry holds (default :data:`KINDS`).
    builtins
        ``{name: "module:function"}``: registrars called first, before any entry point
        (default :data:`BUILTIN_PLUGINS`; ``{}`` gives an empty registry, for tests).
    group
        The entry-point group to load plug-ins from, or None for none.

    Examples
    --------
    >>> reg = Registry(builtins={}, group=None)
    >>> _ = reg.register("detectors", "mine", dict)
    >>> reg.names("detectors")
    ['mine']
    >>> reg.get("detectors", "other")
    Traceback (most recent call last):
    ...
    defectradar.errors.InputError: unknown detector method 'other'; registered: mine
    """

    def __init__(self, *, kinds: Mapping[str, str] = KINDS, builtins: Mapping[str, str] = BUILTIN_PLUGINS,
                 group: str | None = ENTRY_POINT_GROUP) -> None:
        self._kinds = dict(kinds)
        self._entries: dict[str, dict[str, Any]] = {kind: {} for kind in self._kinds}
        self._builtins = dict(builtins)
        self._group = group
        # Re-entrant: a registrar may look names up (or import a module that registers) while
        # the registry loads; it then sees what has loaded so far instead of deadlocking.
        self._lock = threading.RLock()
        self._loaded = False
        self._loading = False
        #: Entry points loaded (``name = value``), and those skipped with the reason.
        self.plugins: list[str] = []
        self.failed: dict[str, str] = {}

    # -- registering ---------------------------------------------------------------------

    def register(self, kind: str, name: str, obj: Any, *, replace: bool = False) -> Any:
        """Register ``obj`` as ``name`` of ``kind`` and return it.

        Registering the same object again under its name does nothing; another object under a
        name taken is refused unless ``replace`` (a plug-in may deliberately replace a built-in).

        Raises
        ------
        InputError
            An unknown kind, an empty name, or a name already taken.
        """
        entries = self._kind(kind)
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"a {self._kinds[kind]} needs a non-empty name, not {name!r}")
        self.load()   # built-ins first, so a clash with one is reported to the later registrant
        with self._lock:
            current = entries.get(name)
            if current is not None and current is not obj and not replace:
                raise InputError(f"{self._kinds[kind]} {name!r} is already registered ({_describe(current)}); "
                                 "choose another name, or pass replace=True to replace it")
            entries[name] = obj
        return obj

    # -- looking up ------------------------------------------------------------------------

    def get(self, kind: str, name: str) -> Any:
        """The object registered as ``name`` of ``kind``.

        Raises
        ------
        InputError
            Nothing of that kind is registered under ``name``; the message lists what is.
        """
        found = self.find(kind, name)
        if found is None:
            choices = ", ".join(self.names(kind)) or "nothing"
            raise InputError(f"unknown {self._kinds[kind]} {name!r}; registered: {choices}")
        return found

    def find(self, kind: str, name: str, default: Any = None) -> Any:
        """The object registered as ``name`` of ``kind``, else ``default``."""
        entries = self._kind(kind)
        self.load()
        return entries.get(name, default)

    def names(self, kind: str) -> list[str]:
        """The names registered of ``kind``, sorted."""
        entries = self._kind(kind)
        self.load()
        return sorted(entries)

    def entries(self, kind: str) -> dict[str, Any]:
        """A copy of ``{name: object}`` for ``kind``."""
        entries = self._kind(kind)
        self.load()
        return dict(entries)

    def _kind(self, kind: str) -> dict[str, Any]:
        try:
            return self._entries[kind]
        except KeyError:
            raise InputError(f"unknown registry kind {kind!r}; choose one of {', '.join(self._kinds)}") from None

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        """Run the built-in registrars, then the plug-ins' entry points; only the first call works."""
        if self._loaded:
            return
        with self._lock:     # another thread waits here until loading is done
            if self._loaded or self._loading:
                return       # the loading thread itself, from inside a registrar: no recursion
            self._loading = True
            try:
                for target in self._builtins.values():
                    # A broken built-in is a bug in defectradar: it raises (plug-ins only warn).
                    _load_target(target)(self)
                if self._group is not None:
                    for entry_point in self._entry_points():
                        self._load_plugin(entry_point)
                self._loaded = True
            except BaseException:
                # Never run with half the built-ins; the next lookup tries (and raises) again.
                for entries in self._entries.values():
                    entries.clear()
                self.plugins.clear()
                self.failed.clear()
                raise
            finally:
                self._loading = False

    def _entry_points(self) -> list:
        try:
            found = importlib.metadata.entry_points(group=self._group)
        except Exception as exc:  # noqa: BLE001 - broken metadata of some installed package
            warnings.warn(f"defectradar plug-ins not loaded: reading the {self._group!r} entry points failed: "
                          f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=4)
            return []
        unique, seen = [], set()
        for entry_point in found:
            key = (entry_point.name, entry_point.value.replace(" ", ""))
            # One package on the path twice (an editable install, say) lists its entry points twice.
            if key not in seen:
                seen.add(key)
                unique.append(entry_point)
        return unique

    def _load_plugin(self, entry_point) -> None:
        label = f"{entry_point.name} = {entry_point.value}"
        builtin = self._builtins.get(entry_point.name)
        if builtin is not None and _same_target(builtin, entry_point.value):
            return      # defectradar's own entry point: its registrar has run already
        before = {kind: dict(entries) for kind, entries in self._entries.items()}
        try:
            plugin = entry_point.load()
            if not isinstance(plugin, types.ModuleType):   # a module registered when imported
                if not callable(plugin):
                    raise TypeError(f"it names a {type(plugin).__name__}, neither a module nor a callable "
                                    "taking the registry")
                plugin(self)
        except Exception as exc:  # noqa: BLE001 - a plug-in must never break the built-ins
            # Take back what it registered before failing: half a plug-in is worse than none.
            for kind, entries in before.items():
                self._entries[kind].clear()
                self._entries[kind].update(entries)
            self.failed[label] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"defectradar plug-in {entry_point.name!r} ({entry_point.value}) failed to load and "
                          f"was skipped: {type(exc).__name__}: {exc}", PluginWarning, stacklevel=5)
            return
        self.plugins.append(label)


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or getattr(obj, "name", None) or type(obj).__qualname__
    return f"{module}.{name}"


# -- the process's registry --------------------------------------------------------------

_default: Registry | None = None
_default_lock = threading.Lock()


def default() -> Registry:
    """The registry defectradar's own lookups use (made on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Registry()
    return _default


def register(kind: str, name: str, obj: Any, *, replace: bool = False) -> Any:
    """:meth:`Registry.register` on the :func:`default` registry."""
    return default().register(kind, name, obj, replace=replace)


def get(kind: str, name: str) -> Any:
    """:meth:`Registry.get` on the :func:`default` registry."""
    return default().get(kind, name)


def names(kind: str) -> list[str]:
    """:meth:`Registry.names` on the :func:`default` registry."""
    return default().names(kind)


class KindView(Mapping):
    """A live read-only ``{name: object}`` view of one kind of the default registry.

    The old per-package registries were dicts (``FORMATS``, ``LOGIC``); their names now are
    views, so code that reads them as dicts keeps working while the registry is the one truth.
    """

    def __init__(self, kind: str, registry: Callable[[], Registry] = default) -> None:
        if kind not in KINDS:
            raise InputError(f"unknown registry kind {kind!r}; choose one of {', '.join(KINDS)}")
        self._kind = kind
        self._registry = registry

    def __getitem__(self, name: str) -> Any:
        missing = object()
        found = self._registry().find(self._kind, name, missing)
        if found is missing:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._registry().find(self._kind, name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry().names(self._kind))

    def __len__(self) -> int:
        return len(self._registry().names(self._kind))

    def __repr__(self) -> str:
        return f"KindView({self._kind!r}: {', '.join(self)})"
