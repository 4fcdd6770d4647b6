"""Turn an Altair chart into its Vega-Lite spec or a file: PNG, SVG, self-contained HTML or JSON.

The spec is the one artefact: the dashboard embeds it as is, reports and the CLI's
``--plot FILE`` render it here with ``vl-convert`` (Vega and Vega-Lite compiled into a Rust
extension, no browser or Node). Rendering never touches the network: remote data URLs are
refused (``allowed_base_urls=[]``; the builders inline their data anyway) and the HTML page
carries the Vega JavaScript bundle inline instead of loading it from a CDN.

Fonts: vl-convert embeds Liberation Sans and uses it for Vega's default ``sans-serif``, so Latin
text renders on a machine without any system font. Glyphs it lacks (Chinese, for example) come
from system fonts; without one they render as empty boxes.

Examples
--------
>>> import altair as alt
>>> chart = alt.Chart(alt.Data(values=[{"x": 1, "y": 2}])).mark_point().encode(x="x:Q", y="y:Q")
>>> chart_spec(chart)["mark"]
{'type': 'point'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt

from defectradar.errors import DefectRadarError, InputError

#: File suffixes :func:`save_chart` writes, and what each holds.
CHART_FORMATS: dict[str, str] = {
    ".png": "PNG image (2x scale)",
    ".svg": "SVG image",
    ".html": "self-contained HTML page (Vega JavaScript inlined, works offline)",
    ".json": "Vega-Lite spec",
}

PNG_SCALE = 2.0


def chart_spec(chart: alt.TopLevelMixin | Mapping[str, Any]) -> dict[str, Any]:
    """Return the Vega-Lite spec of ``chart`` as a JSON-safe dict.

    The spec is validated against the Vega-Lite schema, so one that comes back is one the
    dashboard and vl-convert accept. Validation runs on a copy whose inline data arrays are cut
    to a few rows: jsonschema's cost grows with every row (``chart.to_dict()`` takes seconds for
    10,000 rows) while the rows themselves are already plain JSON values. A mapping is taken to
    be a spec already and returned as a plain dict.

    Raises
    ------
    jsonschema.ValidationError
        The chart is not valid Vega-Lite (a bug in the chart's code).
    """
    if isinstance(chart, Mapping):
        return dict(chart)
    if not isinstance(chart, alt.TopLevelMixin):
        raise InputError(f"cannot make a Vega-Lite spec from a {type(chart).__name__}: pass an Altair chart")
    spec = chart.to_dict(validate=False)
    type(chart).validate(_trim_data(spec))  # against the schema of this kind of chart (unit, layer, concat, ...)
    return spec


def _trim_data(node: Any, keep: int = 3) -> Any:
    """A copy of ``node`` with every inline dataset (``values`` lists, ``datasets`` entries) cut to ``keep`` rows."""
    if isinstance(node, dict):
        trimmed = {}
        for key, value in node.items():
            if key == "values" and isinstance(value, list):
                trimmed[key] = value[:keep]
            elif key == "datasets" and isinstance(value, dict):
                trimmed[key] = {name: rows[:keep] if isinstance(rows, list) else rows for name, rows in value.items()}
            else:
                trimmed[key] = _trim_data(value, keep)
        return trimmed
    if isinstance(node, list):
        return [_trim_data(value, keep) for value in node]
    return node


def save_chart(chart: alt.TopLevelMixin | Mapping[str, Any], path: str | Path) -> Path:
    """Write ``chart`` to ``path`` in the format its suffix names and return the path.

    ``.png`` (scale 2), ``.svg``, ``.html`` (one file with the Vega JavaScript bundle inlined,
    so it opens offline) or ``.json`` (the Vega-Lite spec). The image is rendered in memory
    first, so a failed render leaves no half-written file behind.

    Raises
    ------
    InputError
        The suffix is not one of the above, or the folder does not exist.
    DefectRadarError
        vl-convert could not render the spec (a bug in the chart, not in the input).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CHART_FORMATS:
        accepted = ", ".join(CHART_FORMATS)
        raise InputError(f"cannot save a chart as {str(path)!r}: the file name must end in one of {accepted}")
    if not path.parent.is_dir():
        raise InputError(f"cannot save chart to {str(path)!r}: folder {str(path.parent)!r} does not exist; create it first")
    spec = chart_spec(chart)
    content = _render(spec, suffix, path)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write chart to {str(path)!r}: {exc.strerror or exc}; choose another file") from exc
    return path


def _render(spec: dict[str, Any], suffix: str, path: Path) -> bytes | str:
    if suffix == ".json":
        return json.dumps(spec, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    # Imported here: the extension is only needed to render, not to build specs.
    import vl_convert as vlc

    version = _vegalite_version(vlc)
    try:
        if suffix == ".png":
            return vlc.vegalite_to_png(spec, vl_version=version, scale=PNG_SCALE, allowed_base_urls=[])
        if suffix == ".svg":
            return vlc.vegalite_to_svg(spec, vl_version=version, allowed_base_urls=[])
        return vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
    except ValueError as exc:
        raise DefectRadarError(f"could not render the chart to {path.name}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    """The JavaScript error line of a vl-convert failure, without its stack trace."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("Error", "TypeError", "SyntaxError", "RangeError")):
            return line
    return lines[0] if lines else type(exc).__name__


def _vegalite_version(vlc: Any) -> str | None:
    """The Vega-Lite version Altair wrote the spec for, when vl-convert has it (else its newest)."""
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return major_minor if major_minor in vlc.get_vegalite_versions() else None
