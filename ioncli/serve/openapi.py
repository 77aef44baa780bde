"""`/openapi.json` generated from the route table and the msgspec Structs, and a `/docs` page.

The paths come from the routes themselves (each published route carries its `Operation`,
see routes.py) and the component schemas from msgspec (the same types that validate requests
and encode responses), so the document cannot drift from the code. The docs page loads
nothing from outside: its script and style are inline and pinned by hash in its
Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from ioncli import __version__
from ioncli.serve import schemas as s
from ioncli.serve.errors import ErrorBody
from ioncli.serve.history import INSTANT_PATTERN
from ioncli.serve.http import Operation, Request, Response, Route

if TYPE_CHECKING:
    from ioncli.serve.metrics import RouteStats

REF = "#/components/schemas/{name}"
# 10, 20, ... 3590, 3600: what the server accepts, so generated clients agree with it.
STEP_PATTERN = "^(?:[1-9][0-9]?0|[1-2][0-9]{2}0|3[0-5][0-9]0|3600)$"
# Every Struct the routes' operations name, in the order the document lists them.
COMPONENTS: tuple[Any, ...] = (
    ErrorBody,
    s.ProcessRequest,
    s.ProcessResponse,
    s.MultiPersonaRequest,
    s.MultiPersonaResponse,
    s.RecommendRequest,
    s.RecommendResponse,
    s.BulkRequest,
    s.BulkResponse,
    s.PersonasResponse,
    s.PersonaResponse,
    s.CacheStatsResponse,
    s.CacheClearResponse,
    s.CacheInvalidateResponse,
    s.HealthResponse,
    s.RootResponse,
    s.StatusResponse,
    s.V1ProcessRequest,
    s.V1ProcessResponse,
    s.HistoryResponse,
)

_ERRORS = {
    400: "Malformed JSON or an empty body",
    401: "Missing or wrong API key (when `api_key_env` is set)",
    404: "Unknown route or persona",
    405: "Method not allowed",
    413: "Body over the limit, or more than 100 bulk items",
    422: "A field failed validation; `error.field` names it",
    429: "Rate limited; see Retry-After",
    503: "Redis did not answer a cache invalidation",
}


def _ref(t: Any) -> dict[str, Any]:
    return {"$ref": REF.format(name=t.__name__)}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


# The parameters and non-JSON answers the route table's operations refer to.
HISTORY_PARAMS = (
    _query(
        "since",
        "ISO 8601 start, UTC if no offset (default: an hour before until)",
        pattern=INSTANT_PATTERN,
    ),
    _query("until", "ISO 8601 end, exclusive (default: now)", pattern=INSTANT_PATTERN),
    _query(
        "step",
        "Seconds per point: a multiple of 10 up to 3600 (default 10)",
        pattern=STEP_PATTERN,
    ),
    _query("metric", "Comma-separated catalog names (default: all)", pattern=r"^[a-z0-9_,]+$"),
)
NAME_PARAM = ({"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},)
PATTERN_PARAM = (
    _query(
        "pattern",
        "Glob over logical keys, e.g. resp:calm-*",
        required=True,
        minLength=1,
        maxLength=200,
    ),
)
TEXT = {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}


def _op(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag]}
    errors = op.errors
    if op.params:
        out["parameters"] = list(op.params)
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
        errors = (*errors, 400, 413, 422)
    responses: dict[str, Any] = {"200": op.content or _json(_ref(op.response))}
    for code in sorted(set(errors)):
        responses[str(code)] = _json(_ref(ErrorBody), _ERRORS[code])
    out["responses"] = responses
    return out


def schema_components() -> dict[str, Any]:
    """The component schemas: every request and response body, by Struct name."""
    _, components = msgspec.json.schema_components(COMPONENTS, ref_template=REF)
    return components


def build_openapi(service: str, routes: Sequence[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        for method, op in route.operations.items():
            paths.setdefault(route.template, {})[method] = _op(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"ion serve ({service})",
            "version": __version__,
            "description": "The ION mentoring pipeline. Every error has the body "
            "`{success: false, error: {code, message, field?, valid_values?}, request_id}` and "
            "every response an `X-Request-ID` header.",
        },
        "paths": paths,
        "components": {
            "schemas": schema_components(),
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }


def openapi_route(stats: RouteStats, service: str, routes: Sequence[Route]) -> Route:
    """`/openapi.json` for `routes` (read when first asked: the list may still grow)."""
    cached: list[bytes] = []

    async def handler(req: Request) -> Response:
        if not cached:  # built on first use: most processes never serve it
            cached.append(msgspec.json.encode(build_openapi(service, routes)))
        return Response(cached[0])

    return Route("/openapi.json", {"GET": handler}, stats, public=True)


_SCRIPT = """
const el = (t, a = {}, ...kids) => { const e = document.createElement(t);
  Object.assign(e, a); kids.forEach(k => e.append(k)); return e; };
function example(schema, comps, depth = 0) {
  if (!schema || depth > 6) return null;
  if (schema.$ref) return example(comps[schema.$ref.split('/').pop()], comps, depth + 1);
  if (schema.anyOf) return example(schema.anyOf[0], comps, depth + 1);
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  switch (schema.type) {
    case 'object': { const o = {}; (schema.required || []).forEach(k =>
      o[k] = example(schema.properties[k], comps, depth + 1)); return o; }
    case 'array': return [example(schema.items, comps, depth + 1)];
    case 'string': return 'I feel stuck on my project, how should I plan the next step?';
    case 'integer': case 'number': return 0;
    case 'boolean': return false;
  }
  return null;
}
async function main() {
  const spec = await (await fetch('/openapi.json')).json();
  const comps = spec.components.schemas;
  document.getElementById('title').textContent = spec.info.title + ' ' + spec.info.version;
  document.getElementById('intro').textContent = spec.info.description;
  const root = document.getElementById('ops');
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters || []).map(
        p => ({p, input: el('input', {placeholder: p.name})}));
      const schema = op.requestBody ? op.requestBody.content['application/json'].schema : null;
      const body = schema ? el('textarea', {rows: 6,
        value: JSON.stringify(example(schema, comps), null, 2)}) : null;
      const out = el('pre');
      const send = el('button', {textContent: 'Send'});
      send.onclick = async () => {
        let url = path; const q = new URLSearchParams();
        params.forEach(({p, input}) => { if (p.in === 'path') url = url.replace('{' + p.name + '}',
          encodeURIComponent(input.value)); else if (input.value) q.set(p.name, input.value); });
        if ([...q].length) url += '?' + q;
        const headers = {'content-type': 'application/json'};
        const key = document.getElementById('key').value; if (key) headers['x-api-key'] = key;
        const res = await fetch(url, {method: method.toUpperCase(), headers,
          body: body ? body.value : undefined});
        const text = await res.text(); let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
        out.textContent = res.status + ' ' + res.statusText + '\\n' + shown;
      };
      const codes = Object.keys(op.responses).join(' ');
      root.append(el('details', {}, el('summary', {},
        el('b', {textContent: method.toUpperCase() + ' '}), path + ' \u2014 ' + op.summary),
        el('p', {textContent: 'Responses: ' + codes}),
        ...params.map(({p, input}) => el('label', {}, p.name + ' (' + p.in + ') ', input)),
        ...(body ? [body] : []), send, out));
    }
  }
}
main();
"""

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
details{border:1px solid #ccc;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}textarea{width:100%;font:13px monospace}label{display:block;margin:.3rem 0}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}button{margin:.3rem 0}
"""


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


DOCS_HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ion serve API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head>
<body><h1 id="title">ion serve</h1><p id="intro"></p>
<p><label>API key (only when the service asks for one): <input id="key" type="password"></label></p>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a>.</p>
<div id="ops"></div><script>{_SCRIPT}</script></body></html>
""".encode()

DOCS_CSP = (
    b"content-security-policy",
    (
        f"default-src 'none'; script-src '{_hash(_SCRIPT)}'; style-src '{_hash(_STYLE)}'; "
        "connect-src 'self'; frame-ancestors 'none'"
    ).encode(),
)


def docs_route(stats: RouteStats) -> Route:
    async def handler(req: Request) -> Response:
        return Response(DOCS_HTML, content_type=b"text/html; charset=utf-8")

    return Route("/docs", {"GET": handler}, stats, public=True, csp=DOCS_CSP)
