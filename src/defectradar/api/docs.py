"""``GET /docs``: the API reference as one server-rendered HTML page, built from ``app.openapi()``.

FastAPI's Swagger UI loads its scripts from a CDN, which an offline site (and the
Content-Security-Policy) refuses; this page has no script at all: every path, method,
summary, parameter and request body, escaped by Jinja2's autoescape, in plain HTML.
It needs a viewer login, as every page but /health does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from defectradar.accounts import Account
from defectradar.api.security import requirement

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} API {{ version }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2rem} .op{margin:1rem 0 1.5rem}
.method{display:inline-block;min-width:4rem;font-weight:bold;text-transform:uppercase}
code{background:#f4f4f4;padding:0 .2rem} table{border-collapse:collapse;margin:.4rem 0}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top} .req{color:#a00}
</style></head><body>
<h1>{{ title }} API <small>{{ version }}</small></h1>
<p>{{ description }}</p>
<p>Machine-readable: <a href="{{ openapi_url }}">{{ openapi_url }}</a>.</p>
<nav><ul>{% for tag in tags %}<li><a href="#tag-{{ tag.name }}">{{ tag.name }}</a></li>{% endfor %}</ul></nav>
{% for tag in tags %}<h2 id="tag-{{ tag.name }}">{{ tag.name }}</h2>
{% for op in tag.operations %}<div class="op">
<div><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></div>
{% if op.summary %}<div>{{ op.summary }}</div>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %} <span class="req">required</span>{% endif %}</td>
<td>{{ p.where }}</td><td>{{ p.type }}</td><td>{{ p.description }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.body %}<div>request body ({{ op.body.media }}){% if op.body.required %} <span class="req">required</span>{% endif %}:
{% if op.body.fields %}<table><tr><th>field</th><th>type</th><th>description</th></tr>
{% for f in op.body.fields %}<tr><td><code>{{ f.name }}</code>{% if f.required %} <span class="req">required</span>{% endif %}</td>
<td>{{ f.type }}</td><td>{{ f.description }}</td></tr>{% endfor %}</table>{% else %} {{ op.body.type }}{% endif %}</div>{% endif %}
<div>responses: {% for code in op.responses %}<code>{{ code }}</code> {% endfor %}</div>
</div>{% endfor %}{% endfor %}
</body></html>
"""

_environment = Environment(autoescape=True)
_template = _environment.from_string(TEMPLATE)


def _resolve(schema: dict, spec: dict) -> dict:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if ref and ref.startswith("#/components/schemas/"):
        return spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return schema or {}


def type_text(schema: dict, spec: dict) -> str:
    """A short type for a JSON schema: ``string (date)``, ``array of number``, ``one of a, b``."""
    schema = _resolve(schema, spec)
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "const" in schema:
        return repr(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts = [type_text(s, spec) for s in schema[key] if s.get("type") != "null"]
            return " or ".join(dict.fromkeys(parts)) or "null"
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "array":
        return f"array of {type_text(schema.get('items', {}), spec)}"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _with_default(schema: dict, spec: dict) -> str:
    text = type_text(schema, spec)
    default = schema.get("default") if isinstance(schema, dict) else None
    return text if default is None else f"{text}, default {default}"


def _body(operation: dict, spec: dict) -> dict | None:
    body = operation.get("requestBody")
    if not body:
        return None
    media, content = next(iter(body.get("content", {}).items()), ("", {}))
    schema = _resolve(content.get("schema", {}), spec)
    required = set(schema.get("required", []))
    fields = [{"name": name, "type": type_text(prop, spec), "required": name in required,
               "description": _resolve(prop, spec).get("description", "")}
              for name, prop in schema.get("properties", {}).items()]
    return {"media": media, "required": body.get("required", False), "fields": fields,
            "type": type_text(schema, spec)}


def reference(spec: dict[str, Any]) -> list[dict]:
    """Operations grouped by their first tag, in the order the spec lists paths."""
    tags: dict[str, list[dict]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [{"name": p.get("name"), "where": p.get("in"), "required": p.get("required", False),
                           "type": _with_default(p.get("schema", {}), spec), "description": p.get("description", "")}
                          for p in operation.get("parameters", [])]
            tag = (operation.get("tags") or ["other"])[0]
            tags.setdefault(tag, []).append({"method": method, "path": path, "summary": operation.get("summary", ""),
                                             "parameters": parameters, "body": _body(operation, spec),
                                             "responses": sorted(operation.get("responses", {}))})
    return [{"name": name, "operations": operations} for name, operations in tags.items()]


def render_reference(spec: dict[str, Any], openapi_url: str) -> str:
    info = spec.get("info", {})
    return _template.render(title=info.get("title", "API"), version=info.get("version", ""),
                            description=info.get("description", ""), openapi_url=openapi_url,
                            tags=reference(spec))


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, _: Account = Depends(requirement("viewer"))) -> HTMLResponse:
    app = request.app
    return HTMLResponse(render_reference(app.openapi(), app.openapi_url))
