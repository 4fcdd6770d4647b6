"""Every module imports only its own floor and the floors below it (issue 17, item 3).

The floors, bottom to top (``docs/architecture.md`` draws them):

0. **foundations**: ``errors``, ``config``, ``registry``, ``core``, ``user_files`` (and the
   package's own ``__init__``).  ``core`` holds the types and helpers every floor shares: the
   estimator contract, JSON numbers, dates, the z of a confidence level, count series,
   lifetimes, personal identifiers; it imports nothing of defectradar but ``errors``.
1. **domain**: ``domain``, ``progress``: records, catalog, taxonomy; the progress protocol.
2. **storage, text and the simulator**: ``store``, ``text``, ``backends``, ``simulate``.
3. **reading and writing the store**: ``query``, ``ingest``.
3'. **methods**: ``signals``, ``reliability``, ``remedies``: detectors, fitters, rule logic.
   They stand beside floor 3, not on it: they may use floors 0-2 but never ``query``,
   ``store``, ``backends`` or ``ingest``, and ``query``/``ingest`` never import them.  A method
   gets its data as a core type (``CountSeries``, ``LifetimeData``, ``WarrantyCounts``, ...)
   from whoever calls it.
4. **analyses and workflows**: ``analyses`` (queries handed to methods), ``labelling``,
   ``review``, ``demo``, ``accounts``, ``charts``.
5. **shells**: ``cli`` (with ``__main__``), ``api``, ``web``.  The CLI never imports the API
   or the dashboard and they never import the CLI.

Where the code showed a better cut than the issue's first sketch:

* ``user_files`` (reading a user's YAML/JSON/text with size and nesting caps, and quoting a
  value in a message) is floor 0, not 4: the catalog, the taxonomy, the rule sets, ingest's
  value maps and remedies' cases all read user files through it, and it needs only ``errors``
  and ``core``.
* ``simulate`` is floor 2, not 4: it needs only the domain (the catalog), and the built-in text
  model learns partly from a simulated world (``text/builtin.py``).
* Personal identifiers (``core.identifiers``, ``core.masking``, formerly in ``ingest``) are
  floor 0 because every error message is masked with them (``errors.DefectRadarError``).
* ``__init__`` (only ``__version__``) is floor 0; ``__main__`` (which runs the CLI) is ``cli``.
* ``web`` may import ``api`` (the dashboard reuses the API's auth, reads and upload jobs): both
  are the web shell; only the CLI is kept apart from them, except :data:`ALLOWED`.

Every import counts: module level, inside functions, and under ``TYPE_CHECKING`` (a type is a
dependency too).  A new top-level module or package must be given a floor here.  The known
exceptions (:data:`ALLOWED`, each with its reason, and :data:`KNOWN`, debts with the plan to
pay them) are strict: an entry that no longer matches an import fails the test, so it is
removed when the code no longer needs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "defectradar"

FLOORS: dict[str, float] = {
    "__init__": 0, "errors": 0, "config": 0, "registry": 0, "core": 0, "user_files": 0,
    "domain": 1, "progress": 1,
    "store": 2, "text": 2, "backends": 2, "simulate": 2,
    "query": 3, "ingest": 3,
    "signals": 3.5, "reliability": 3.5, "remedies": 3.5,
    "analyses": 4, "labelling": 4, "review": 4, "demo": 4, "accounts": 4, "charts": 4,
    "cli": 5, "__main__": 5, "api": 5, "web": 5,
}
#: (file under src/, imported top-level part) -> why the rule does not apply there.
ALLOWED: dict[tuple[str, str], str] = {
    ("defectradar/cli/serve.py", "api"): "`defectradar serve` starts the web app: the one place the CLI runs it",
}
#: (file under src/, imported top-level part) -> the debt and how it is to be paid.
KNOWN: dict[tuple[str, str], str] = {}
METHODS = {"signals", "reliability", "remedies"}
STORE_SIDE = {"query", "store", "backends", "ingest"}
SHELLS = {"cli": "cli", "__main__": "cli", "api": "web", "web": "web"}


def _top(path: Path) -> str:
    """The top-level module or package of defectradar a source file belongs to."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0]


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ["defectradar", *parts]


def _submodule_or_root(name: str) -> str:
    return name if (SRC / name).is_dir() or (SRC / f"{name}.py").is_file() else "__init__"


def imported_modules(path: Path) -> list[tuple[int, str, str]]:
    """``(line, top-level part of defectradar, statement)`` for every defectradar import in a file."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # ``from defectradar import signals`` imports the package named after ``import``;
            # ``from defectradar import __version__`` imports the package root.
            targets = ([f"defectradar.{_submodule_or_root(alias.name)}" for alias in node.names]
                       if module == "defectradar" else [module])
        else:
            continue
        statement = ast.get_source_segment(text, node) or ""
        for target in targets:
            parts = target.split(".")
            if parts[0] == "defectradar" and len(parts) > 1:
                found.append((node.lineno, parts[1], " ".join(statement.split())))
    return found


def _why_not(source: str, target: str) -> str | None:
    """Why ``source`` may not import ``target``, or ``None`` when it may."""
    if source == target:
        return None
    if target not in FLOORS:
        return f"{target!r} has no floor in tests/test_layers.py::FLOORS"
    if source in METHODS and target in STORE_SIDE:
        return f"a method ({source}) gets its data from an analysis, it never imports {target}"
    if source in STORE_SIDE and target in METHODS:
        return f"{source} reads and writes the store; the methods ({target}) sit beside it, not below"
    if {SHELLS.get(source), SHELLS.get(target)} == {"cli", "web"}:
        return f"the CLI and the web shells ({source}, {target}) never import each other"
    if FLOORS[target] > FLOORS[source]:
        return f"{source} (floor {FLOORS[source]:g}) imports {target}, a higher floor ({FLOORS[target]:g})"
    return None


def _found_violations() -> list[tuple[str, str, str]]:
    """``(file, imported part, message)`` for every import that breaks the floors."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        source, name = _top(path), path.relative_to(SRC.parent).as_posix()
        if source not in FLOORS:
            found.append((name, "", f"{name}: {source!r} has no floor in FLOORS"))
            continue
        for line, target, statement in imported_modules(path):
            why = _why_not(source, target)
            if why:
                found.append((name, target, f"{name}:{line}: {statement}  -- {why}"))
    return found


def layer_violations() -> list[str]:
    return [message for name, target, message in _found_violations()
            if (name, target) not in ALLOWED and (name, target) not in KNOWN]


def test_no_module_imports_a_higher_floor():
    problems = layer_violations()
    assert not problems, "imports that break the floors (docs/architecture.md):\n" + "\n".join(problems)


def test_exceptions_are_still_needed():
    """An ALLOWED or KNOWN entry that matches no import any more is stale: remove it."""
    found = {(name, target) for name, target, _ in _found_violations()}
    stale = sorted((set(ALLOWED) | set(KNOWN)) - found)
    assert not stale, f"exceptions in tests/test_layers.py that no import needs any more: {stale}"


def test_core_imports_only_errors():
    problems = []
    for path in sorted((SRC / "core").rglob("*.py")):
        for line, target, statement in imported_modules(path):
            if target not in {"core", "errors"}:
                problems.append(f"{path.relative_to(SRC.parent)}:{line}: {statement}")
    assert not problems, "core imports only defectradar.errors:\n" + "\n".join(problems)


@pytest.mark.parametrize(("source", "target", "allowed"), [
    ("signals", "query", False),
    ("reliability", "store", False),
    ("query", "signals", False),
    ("cli", "api", False),
    ("api", "cli", False),
    ("analyses", "query", True),
    ("analyses", "signals", True),
    ("signals", "text", True),
    ("core", "domain", False),
    ("web", "api", True),
])
def test_rule_itself(source, target, allowed):
    assert (_why_not(source, target) is None) is allowed


def test_finds_function_local_and_relative_imports(tmp_path, monkeypatch):
    package = tmp_path / "defectradar" / "signals"
    package.mkdir(parents=True)
    (tmp_path / "defectradar" / "cli").mkdir()
    module = package / "sample.py"
    module.write_text("def f():\n    from defectradar.query.series import x\n"
                      "from ..store import connect\nfrom defectradar import cli\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path / "defectradar")
    found = sorted((line, target) for line, target, _ in imported_modules(module))
    assert found == [(2, "query"), (3, "store"), (4, "cli")]
