"""A stand-in OPA server for tests: OPA's REST API (the part sahab uses), evaluated by regorus.

Honours, as OPA documents them (https://www.openpolicyagent.org/docs/rest-api):

- ``GET /health`` -> 200 ``{}``.
- ``GET /v1/policies`` -> ``{"result": [{"id", "raw", "ast": {"package": …}}]}``;
  ``GET /v1/policies/<id>`` -> ``{"result": {…}}`` or 404.
- ``PUT /v1/policies/<id>`` (text/plain): compiles *every* stored module with the new one, as OPA
  does; 400 ``{"code": "invalid_parameter", "message": "error(s) occurred while compiling
  module(s)", "errors": [{"code": "rego_parse_error" | "rego_type_error", "message", "location"}]}``
  on a parse error or a call to a function that is not defined (a builtin regorus lacks, or a
  function of a module not uploaded yet). Re-sending identical text is a no-op 200.
- ``DELETE /v1/policies/<id>`` -> 200 ``{}``; 404 ``resource_not_found`` for an unknown id; 400
  ``invalid_operation`` when the remaining modules no longer compile.
- ``POST /v1/data[/<path>]`` with ``{"input": …}`` -> ``{"result": …}``, no ``result`` key when
  undefined; 500 ``internal_error`` when evaluation fails. regorus always fails on a builtin
  error, i.e. this server behaves as OPA with ``strict-builtin-errors=true`` (what sahab sends).
- ``POST /v1/query`` ``{"query", "input"?}`` -> ``{"result": [bindings…]}``; an unknown function is
  400 ``rego_type_error: undefined function <name>`` and a wrong argument count 400
  ``<name>: arity mismatch``, as OPA's type checker reports them.
- With ``token`` set, every request without ``Authorization: Bearer <token>`` gets 401
  ``{"code": "unauthorized", …}`` (OPA with ``--authentication=token`` and an authz policy).

Single-threaded on purpose: regorus engines must stay on the thread that made them, so every
request is handled on the one server thread. ``requests_seen`` records each request.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

from sahab.gate.builtins import function_name, regorus_has_builtin

_LOCATION = re.compile(r"-->\s*(.+?):(\d+):(\d+)")
_ERROR = re.compile(r"^error:\s*(.*)$", re.M)
_MISSING = re.compile(r"could not find function (\S+)")
_ARITY = re.compile(r"`([\w.]+)` expects \d+ argument")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")

COMPILE_MODULES = "error(s) occurred while compiling module(s)"
COMPILE_QUERY = "error(s) occurred while compiling query"


class FakeOpa:
    """``with FakeOpa(token=None) as opa: opa.url``; ``opa.delay`` slows every data query."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token
        self.delay = 0.0
        self.policies: Dict[str, str] = {}
        self.requests_seen: List[Tuple[str, str, Optional[str]]] = []
        self._compiled: Any = None  # regorus engine with every stored module, built on demand; server thread only
        self._shared: Any = None
        self._server = HTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._serve, name="fake-opa", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return "http://%s:%d" % (host, port)

    def _serve(self) -> None:
        try:
            self._server.serve_forever(poll_interval=0.05)
        finally:
            self._compiled = self._shared = None  # regorus engines must be dropped on their own thread

    def start(self) -> "FakeOpa":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "FakeOpa":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the API (server thread) ---------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> Tuple[int, Any]:
        self.requests_seen.append((method, path, headers.get("Authorization")))
        if self.token is not None and headers.get("Authorization") != "Bearer %s" % self.token:
            return 401, {"code": "unauthorized", "message": "request rejected by administrative policy"}
        if path == "/health":
            return (200, {}) if method == "GET" else _not_allowed()
        if path in ("/v1/policies", "/v1/policies/"):
            return (200, {"result": [self._policy(pid) for pid in self.policies]}) if method == "GET" else _not_allowed()
        if path.startswith("/v1/policies/"):
            policy_id = path[len("/v1/policies/"):]
            if method == "GET":
                if policy_id not in self.policies:
                    return _not_found(policy_id)
                return 200, {"result": self._policy(policy_id)}
            if method == "PUT":
                return self._put(policy_id, body.decode("utf-8"))
            if method == "DELETE":
                return self._delete(policy_id)
            return _not_allowed()
        if path == "/v1/data" or path.startswith("/v1/data/"):
            if method != "POST":
                return _not_allowed()
            return self._data(path[len("/v1/data"):], body)
        if path == "/v1/query":
            return self._query(body) if method == "POST" else _not_allowed()
        return 404, {"code": "resource_not_found", "message": "no such endpoint: %s" % path}

    def _policy(self, policy_id: str) -> Dict[str, Any]:
        raw = self.policies[policy_id]
        match = re.search(r"^package\s+([\w.]+)", raw, re.M)
        parts = match.group(1).split(".") if match else []
        path = [{"type": "var", "value": "data"}] + [{"type": "string", "value": p} for p in parts]
        return {"id": policy_id, "raw": raw, "ast": {"package": {"path": path}}}

    def _put(self, policy_id: str, raw: str) -> Tuple[int, Any]:
        if self.policies.get(policy_id) == raw:
            return 200, {}
        if not raw.strip():
            return 400, {"code": "invalid_parameter", "message": "empty module"}
        candidate = dict(self.policies)
        candidate[policy_id] = raw
        errors = _compile(candidate)
        if errors:
            return 400, {"code": "invalid_parameter", "message": COMPILE_MODULES, "errors": errors}
        self.policies, self._compiled, self._shared = candidate, None, None
        return 200, {}

    def _delete(self, policy_id: str) -> Tuple[int, Any]:
        if policy_id not in self.policies:
            return _not_found(policy_id)
        candidate = {k: v for k, v in self.policies.items() if k != policy_id}
        errors = _compile(candidate)
        if errors:
            return 400, {"code": "invalid_operation", "message": COMPILE_MODULES, "errors": errors}
        self.policies, self._compiled, self._shared = candidate, None, None
        return 200, {}

    def _engine(self, shared: bool = False) -> Any:
        """An engine with every stored module and no input, or (``shared``) one kept for callers
        that always set the input (set_input_json replaces the previous one)."""
        import regorus

        if self._compiled is None:
            compiled = regorus.Engine()
            for policy_id, raw in sorted(self.policies.items()):
                compiled.add_policy(policy_id, raw)
            self._compiled, self._shared = compiled, None
        if not shared:
            return self._compiled.clone()
        if self._shared is None:
            self._shared = self._compiled.clone()
        return self._shared

    def _data(self, path: str, body: bytes) -> Tuple[int, Any]:
        if self.delay:
            time.sleep(self.delay)
        try:
            request = json.loads(body or b"{}")
        except ValueError as exc:
            return 400, {"code": "invalid_parameter", "message": "body contains malformed input document: %s" % exc}
        query = "data"
        for segment in [unquote(s) for s in path.split("/") if s]:
            query += ("." + segment) if _IDENT.match(segment) else "[%s]" % json.dumps(segment)
        has_input = isinstance(request, dict) and "input" in request
        engine = self._engine(shared=has_input)  # set_input_json replaces the previous input
        try:
            if has_input:
                engine.set_input_json(json.dumps(request["input"]))
            rows = json.loads(engine.eval_query_as_json(query)).get("result") or []
        except Exception as exc:  # noqa: BLE001 - OPA answers evaluation errors with 500
            return 500, {"code": "internal_error", "message": _first_error(exc)}
        if not rows:
            return 200, {}
        return 200, {"result": rows[0]["expressions"][0]["value"]}

    def _query(self, body: bytes) -> Tuple[int, Any]:
        try:
            request = json.loads(body or b"{}")
            query = request["query"]
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"code": "invalid_parameter", "message": "error(s) occurred while decoding request: %s" % exc}
        engine = self._engine()
        try:
            if "input" in request:
                engine.set_input_json(json.dumps(request["input"]))
            rows = json.loads(engine.eval_query_as_json(query)).get("result") or []
        except Exception as exc:  # noqa: BLE001 - mapped to OPA's answers below
            text = str(exc)
            missing, arity = _MISSING.search(text), _ARITY.search(text)
            if missing:
                error = _ast_error("rego_type_error", "undefined function %s" % missing.group(1), text, "query")
            elif arity:
                error = _ast_error("rego_type_error", "%s: arity mismatch" % arity.group(1), text, "query")
            else:
                return 500, {"code": "internal_error", "message": _first_error(exc)}
            return 400, {"code": "invalid_parameter", "message": COMPILE_QUERY, "errors": [error]}
        if not rows:
            return 200, {}
        return 200, {"result": [row.get("bindings") or {} for row in rows]}


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeOpa = self.server.fake  # type: ignore[attr-defined]
        status, payload = fake.handle(self.command, urlsplit(self.path).path, self.headers, body)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        pass


def _not_allowed() -> Tuple[int, Any]:
    return 405, {"code": "method_not_allowed", "message": "method not allowed"}


def _not_found(policy_id: str) -> Tuple[int, Any]:
    return 404, {"code": "resource_not_found", "message": "storage_not_found_error: policy id %s" % json.dumps(policy_id)}


def _first_error(exc: BaseException) -> str:
    text = str(exc)
    match = _ERROR.search(text)
    location = _LOCATION.search(text)
    message = match.group(1).strip() if match else (text.strip().splitlines() or [type(exc).__name__])[0]
    return "%s:%s: %s" % (location.group(1), location.group(2), message) if location else message


def _ast_error(code: str, message: str, text: str, file: str) -> Dict[str, Any]:
    location = _LOCATION.search(text)
    row, col = (int(location.group(2)), int(location.group(3))) if location else (1, 1)
    return {"code": code, "message": message, "location": {"file": file, "row": row, "col": col}}


# -- "compiling": parse with regorus, then OPA's undefined-function check ----------------------


_MODULE_INFO: Dict[Tuple[str, str], Any] = {}  # (id, text) -> module info, or a parse error


def _compile(modules: Dict[str, str]) -> List[Dict[str, Any]]:
    """OPA's checks on a set of modules: each parses, and every function called is defined.

    Evaluation engines are built lazily from the stored modules (FakeOpa._engine), so
    uploading n modules costs n parses, not n squared.
    """
    infos = []
    for policy_id, raw in sorted(modules.items()):
        info = _parse(policy_id, raw)
        if "error" in info:
            return [info["error"]]
        infos.append(info)
    defined = {"%s.%s" % (info["package"], name) for info in infos for name in info["functions"]}
    errors = []
    for info in infos:
        for name, line, col in info["calls"]:
            resolved = _resolve(name, info, defined)
            ok = _builtin_present(name) if resolved is None else resolved in defined
            if not ok:
                shown = name if resolved is None else "data." + resolved
                errors.append({"code": "rego_type_error", "message": "undefined function %s" % shown,
                               "location": {"file": info["file"], "row": line, "col": col}})
    return errors


def _parse(policy_id: str, raw: str) -> Dict[str, Any]:
    key = (policy_id, raw)
    if key not in _MODULE_INFO:
        import regorus

        engine = regorus.Engine()
        try:
            engine.add_policy(policy_id, raw)
            _MODULE_INFO[key] = _module_info(json.loads(engine.get_ast_as_json())[0])
        except Exception as exc:  # noqa: BLE001 - a parse error, reported like OPA's
            match = _ERROR.search(str(exc))
            message = match.group(1).strip() if match else str(exc)
            _MODULE_INFO[key] = {"error": _ast_error("rego_parse_error", message, str(exc), policy_id)}
    return _MODULE_INFO[key]


def _resolve(name: str, info: Dict[str, Any], defined: Any) -> Optional[str]:
    """The package-qualified function a call refers to, or None for a builtin."""
    head, _, rest = name.partition(".")
    if not rest:
        local = "%s.%s" % (info["package"], name)
        return local if local in defined else None
    if head == "data":
        return rest
    if head in info["imports"]:
        return "%s.%s" % (info["imports"][head], rest)
    return None


_builtin_present = regorus_has_builtin


def _module_info(item: Dict[str, Any]) -> Dict[str, Any]:
    source = item["source"]
    contents, tree = source["contents"], item["ast"]
    imports: Dict[str, str] = {}
    for imp in tree.get("imports") or []:
        target = _ref_name(imp.get("refr"))
        if not target.startswith("data."):
            continue
        alias_span = imp.get("as")
        alias = contents[alias_span["start"]:alias_span["end"]] if isinstance(alias_span, dict) else target.split(".")[-1]
        imports[alias] = target[len("data."):]
    functions = set()
    for rule in tree.get("rules") or []:
        head = (rule.get("Spec") or {}).get("head") or {}
        if "Func" in head:
            functions.add(_ref_name(head["Func"].get("refr")))
    calls = []
    stack: List[Any] = [tree.get("rules") or []]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            call = node.get("Call")
            if isinstance(call, dict):
                name = _ref_name(call.get("fcn"))
                span = call.get("span") or {}
                if name:
                    calls.append((name, span.get("line", 1), span.get("col", 1)))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return {"file": source["file"], "package": _ref_name(tree["package"]["refr"]), "imports": imports,
            "functions": functions, "calls": calls}


_ref_name = function_name
