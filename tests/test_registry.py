"""The one registry: names, clear errors, built-ins by name, and plug-ins from entry points.

Plug-ins are real modules written to a temporary folder and found through faked entry points
(``importlib.metadata.entry_points`` is the only thing mocked: installing a distribution is
outside the test process).  Each test that loads plug-ins gets a fresh default registry, so
nothing it registers leaks into other tests.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import textwrap
import tomllib
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from defectradar import registry
from defectradar.cli.app import app
from defectradar.errors import InputError, UnknownFormatError
from defectradar.ingest.formats import FORMATS, READERS, get_format
from defectradar.remedies.logic import LOGIC
from defectradar.signals.registry import detector, methods, register_detector

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

BUILTIN_FORMATS = {"csv", "jsonl", "parquet", "xlsx", "service-records", "sales", "nhtsa", "nhtsa-recalls", "weibo",
                   "announcements"}
BUILTIN_READERS = {"delimited", "json", "parquet", "excel"}
BUILTIN_DETECTORS = {"ears-c1", "ears-c2", "ears-c3", "cusum", "farrington", "glr-poisson", "glr-nb", "bursts",
                     "nb-excess"}

PLUGIN = '''
"""A third-party plug-in: a detector and a source format, registered the documented way."""
from defectradar.ingest.complaints import normalise_reports
from defectradar.ingest.fields import REPORT_FIELDS
from defectradar.ingest.formats import SourceFormat, read_tabular
from defectradar.signals.ears import EarsC1


class PluginEars(EarsC1):
    method = "plugin-ears"


def _read(sample, options):
    return read_tabular(sample, options, REPORT_FIELDS, "delimited")


SHOP_EXPORT = SourceFormat(
    name="shop-export", target="reports", description="a shop's complaint export",
    sniff=lambda sample: 0, read=_read, normalise=normalise_reports, default_source="shop")


def register(registry):
    registry.register("detectors", "plugin-ears", PluginEars)
    registry.register("formats", "shop-export", SHOP_EXPORT)
'''

MODULE_PLUGIN = '''
"""A plug-in whose import registers, through the old helper."""
from defectradar.signals.ears import EarsC2
from defectradar.signals.registry import register_detector

register_detector("module-ears", EarsC2)
'''

HALF_PLUGIN = '''
def register(registry):
    registry.register("detectors", "half-done", dict)
    raise RuntimeError("the plug-in's own bug")
'''

CLASH_PLUGIN = '''
def register(registry):
    registry.register("detectors", "cusum", dict)     # a built-in's name, without replace=True
'''


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Install plug-in modules and entry points: ``plugins({"name": "module:attr"}, module=source, ...)``.

    Returns the fresh default registry they load into.
    """
    def install(points: dict[str, str], **modules: str) -> registry.Registry:
        for name, source in modules.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        fake = [importlib.metadata.EntryPoint(name, value, registry.ENTRY_POINT_GROUP) for name, value in points.items()]
        real = importlib.metadata.entry_points

        def entry_points(**params):
            return fake if params.get("group") == registry.ENTRY_POINT_GROUP else real(**params)

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
        monkeypatch.setattr(registry, "_default", None)
        return registry.default()
    return install


# -- names and errors ----------------------------------------------------------------------

def test_a_name_taken_is_refused_unless_replaced():
    reg = registry.Registry(builtins={}, group=None)
    reg.register("detectors", "mine", dict)
    reg.register("detectors", "mine", dict)              # the same object again: nothing happens
    with pytest.raises(InputError, match=r"detector method 'mine' is already registered \(builtins\.dict\); "
                                         r"choose another name, or pass replace=True"):
        reg.register("detectors", "mine", list)
    reg.register("detectors", "mine", list, replace=True)
    assert reg.get("detectors", "mine") is list


def test_unknown_name_names_the_kind_and_lists_the_choices():
    reg = registry.Registry(builtins={}, group=None)
    reg.register("formats", "b-format", object())
    reg.register("formats", "a-format", object())
    with pytest.raises(InputError, match=r"^unknown source format 'nope'; registered: a-format, b-format$"):
        reg.get("formats", "nope")
    with pytest.raises(InputError, match=r"unknown registry kind 'widgets'; choose one of formats, readers, "
                                         r"detectors, rule_logic"):
        reg.names("widgets")
    with pytest.raises(InputError, match="needs a non-empty name"):
        reg.register("formats", " ", object())


def test_unknown_builtin_lookups_keep_their_messages():
    with pytest.raises(InputError, match=r"unknown detector method 'shewhart'; registered: bursts, cusum, "):
        registry.get("detectors", "shewhart")
    with pytest.raises(InputError, match=r"unknown method 'shewhart'; choose one of bursts, cusum, ears-c1"):
        detector("shewhart")
    with pytest.raises(UnknownFormatError, match=r"unknown --type 'pdf'; choose one of auto, announcements, csv"):
        get_format("pdf")


def test_builtins_are_all_registered_by_name():
    assert set(registry.names("formats")) == BUILTIN_FORMATS == set(FORMATS)
    assert set(registry.names("readers")) == BUILTIN_READERS == set(READERS)
    assert set(methods()) == BUILTIN_DETECTORS
    assert {name.split(".")[0] for name in LOGIC} == {"cn_phone", "eu_sale", "policy"}
    assert "cn_phone.refund_window" in LOGIC and "eu_sale.presumed_defect" in LOGIC
    assert FORMATS["weibo"].name == "weibo" and type(detector("cusum")).__name__ == "Cusum"


def test_builtins_register_into_any_registry_the_way_a_plugin_does():
    reg = registry.Registry(group=None)          # a second registry gets the same built-ins
    assert set(reg.names("formats")) == BUILTIN_FORMATS and set(reg.names("detectors")) == BUILTIN_DETECTORS
    assert reg.names("rule_logic") == sorted(LOGIC)
    assert reg.get("formats", "csv") is FORMATS["csv"]


def test_pyproject_declares_the_builtin_registrars_as_entry_points():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"][registry.ENTRY_POINT_GROUP] == registry.BUILTIN_PLUGINS


def test_registry_module_imports_nothing_of_defectradar_but_errors():
    path = REPO / "src" / "defectradar" / "registry.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert {m for m in imported if m.startswith("defectradar")} == {"defectradar.errors"}


# -- plug-ins ------------------------------------------------------------------------------

def test_entry_point_plugin_is_found_by_the_lookups_and_the_cli(plugins, tmp_path):
    reg = plugins({"shop": "drplugin_shop:register"}, drplugin_shop=PLUGIN)
    assert "plugin-ears" in methods() and "shop-export" in FORMATS
    assert reg.plugins == ["shop = drplugin_shop:register"] and reg.failed == {}
    assert set(methods()) == BUILTIN_DETECTORS | {"plugin-ears"}       # the built-ins are all still there

    series = tmp_path / "weeks.csv"
    series.write_text("week,n\n" + "".join(f"2024-01-{d:02d},{3 + d % 2}\n" for d in range(1, 29)) + "2024-01-29,40\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["signals", "series", str(series), "--method", "plugin-ears", "--count-col", "n",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "plugin-ears" and data["periods"][-1]["alarm"] is True

    complaints = tmp_path / "export.csv"
    complaints.write_text("id,created_at,author,product,text\n1,2024-02-01,a,Mi 11,wifi broken\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(complaints), "--type", "shop-export", "--no-classify",
                                 "--db", str(tmp_path / "store.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    assert '"source_type": "shop-export"' in result.stdout and '"rows_inserted": 1' in result.stdout


def test_module_plugin_registers_by_being_imported(plugins):
    reg = plugins({"ears-module": "drplugin_module"}, drplugin_module=MODULE_PLUGIN)
    assert reg.get("detectors", "module-ears").__name__ == "EarsC2" and "module-ears" in methods()


def test_broken_plugins_warn_and_the_builtins_still_work(plugins):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg = plugins({"missing": "drplugin_not_installed:register", "half": "drplugin_half:register",
                       "clash": "drplugin_clash:register", "shop": "drplugin_shop:register"},
                      drplugin_half=HALF_PLUGIN, drplugin_clash=CLASH_PLUGIN, drplugin_shop=PLUGIN)
        found = set(reg.names("detectors"))
    messages = [str(w.message) for w in caught if issubclass(w.category, registry.PluginWarning)]
    assert len(messages) == 3, messages
    assert any("'missing' (drplugin_not_installed:register) failed to load" in m and "ModuleNotFoundError" in m
               for m in messages)
    assert any("'half' (drplugin_half:register)" in m and "the plug-in's own bug" in m for m in messages)
    assert any("'clash' (drplugin_clash:register)" in m and "'cusum' is already registered" in m for m in messages)
    # What the half-done plug-in registered before failing is taken back; the good one loads.
    assert found == BUILTIN_DETECTORS | {"plugin-ears"}
    assert type(detector("cusum")).__name__ == "Cusum" and set(FORMATS) == BUILTIN_FORMATS | {"shop-export"}
    assert set(reg.failed) == {"missing = drplugin_not_installed:register", "half = drplugin_half:register",
                               "clash = drplugin_clash:register"}


def test_defectradars_own_entry_points_are_skipped(plugins):
    with warnings.catch_warnings():
        warnings.simplefilter("error", registry.PluginWarning)     # a duplicate built-in would warn
        reg = plugins(dict(registry.BUILTIN_PLUGINS))
        assert set(reg.names("detectors")) == BUILTIN_DETECTORS
    assert reg.plugins == [] and reg.failed == {}


def test_register_detector_after_loading_refuses_a_builtin_name(plugins):
    plugins({})
    with pytest.raises(InputError, match="'cusum' is already registered"):
        register_detector("cusum", dict)
    register_detector("my-cusum", dict)
    assert "my-cusum" in methods()
