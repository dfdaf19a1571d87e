"""``/api/docs``: the JSON API's reference, rendered on the server from the app's own OpenAPI document.

Every endpoint with its method, path, summary and description, its parameters (where they go,
their type, whether required, their bounds) and its responses, then the schemas responses refer
to. A plain page: no script, no asset from elsewhere, so it passes the site's CSP and reads in
any browser; the machine-readable document stays at ``/api/v1/openapi.json``. ``/api`` leads here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from newsdesk.web.pages.render import Render

router = APIRouter()

METHODS = ("get", "post", "put", "patch", "delete")
_BOUNDS = [
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("pattern", "matches {}"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
]


@dataclass(frozen=True, slots=True)
class Field:
    """A parameter or a schema property, as the page lists it."""

    name: str
    where: str  # query, path, header; "" for a property
    type: str
    required: bool
    constraints: list[str]
    description: str


@dataclass(frozen=True, slots=True)
class Reply:
    status: str
    description: str
    type: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    anchor: str
    summary: str
    description: list[tuple[str, bool]]  # see prose()
    tag: str
    parameters: list[Field]
    body: str  # the request body's type, "" when it takes none
    replies: list[Reply]


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    description: str
    properties: list[Field] = field(default_factory=list)


def type_name(schema: dict[str, Any]) -> str:
    """A schema in a few words: ``integer``, ``array of Story``, ``string | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " | ".join(type_name(s) for s in schema[combinator])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(repr(v) if isinstance(v, str) else str(v) for v in schema["enum"])
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def constraints(schema: dict[str, Any]) -> list[str]:
    """Bounds and defaults of a schema, in words (those of ``anyOf`` branches too, e.g. an optional int)."""
    found = [text.format(schema[key]) for key, text in _BOUNDS if key in schema]
    for branch in schema.get("anyOf", []):
        found += [c for c in constraints(branch) if c not in found]
    if "default" in schema and schema["default"] is not None:
        found.append(f"default {schema['default']}")
    return found


def prose(text: str) -> list[tuple[str, bool]]:
    """A docstring's text as (text, is code) runs: what it writes between double backquotes is code."""
    return [(run, i % 2 == 1) for i, run in enumerate(text.split("``")) if run]


def _field(name: str, where: str, schema: dict[str, Any], required: bool, description: str) -> Field:
    return Field(name, where, type_name(schema), required, constraints(schema), description or "")


def _endpoint(path: str, method: str, op: dict[str, Any]) -> Endpoint:
    parameters = [
        _field(p["name"], p["in"], p.get("schema", {}), p.get("required", False), p.get("description", ""))
        for p in op.get("parameters", [])
    ]
    body = op.get("requestBody", {}).get("content", {})
    body_type = ", ".join(f"{type_name(c.get('schema', {}))} ({kind})" for kind, c in body.items())
    replies = []
    for status, reply in op.get("responses", {}).items():
        content = reply.get("content", {}).get("application/json", {})
        replies.append(Reply(status, reply.get("description", ""), type_name(content.get("schema", {}))))
    anchor = anchor_of(method, path)
    tags = op.get("tags") or ["other"]
    return Endpoint(
        method.upper(),
        path,
        anchor,
        op.get("summary", ""),
        prose(op.get("description", "")),
        tags[0],
        parameters,
        body_type,
        replies,
    )


def anchor_of(method: str, path: str) -> str:
    """The id of an endpoint's section: ``get-api-v1-sources-source_id`` for ``GET /api/v1/sources/{source_id}``."""
    return method + path.replace("/", "-").replace("{", "").replace("}", "")


def _schema(name: str, schema: dict[str, Any]) -> Schema:
    required = set(schema.get("required", []))
    properties = [
        _field(prop, "", sub, prop in required, sub.get("description", ""))
        for prop, sub in schema.get("properties", {}).items()
    ]
    return Schema(name, schema.get("description", ""), properties)


def reference(openapi: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, taken from an OpenAPI 3 document."""
    endpoints = [
        _endpoint(path, method, op)
        for path, item in openapi.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS
    ]
    schemas = [_schema(name, s) for name, s in sorted(openapi.get("components", {}).get("schemas", {}).items())]
    info = openapi.get("info", {})
    return {
        "title": info.get("title", ""),
        "api_version": info.get("version", ""),
        "endpoints": endpoints,
        "schemas": schemas,
    }


@router.get("/api")
async def api_root() -> RedirectResponse:
    return RedirectResponse("/api/docs", status_code=308)  # relative: never an address built from Host


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request, render: Render) -> HTMLResponse:
    openapi_url = request.app.openapi_url
    return render("apidocs/index.html", openapi_url=openapi_url, **reference(request.app.openapi()))
