"""A stand-in OPA server for tests: OPA's REST API (the part sahab uses), evaluated by OPA itself.

Every module is compiled and every query evaluated by OPA v1.20.2's own evaluator
(``real_opa.py``, ``.tools/opa-engine``), so compile and evaluation errors are OPA's. What this
file adds is the server around it, as OPA documents it (https://www.openpolicyagent.org/docs/rest-api)
and as ``v1/server/server.go`` implements it:

- ``GET /health`` -> 200 ``{}``.
- ``GET /v1/policies`` -> ``{"result": [{"id", "raw", "ast": {"package": …}}]}``;
  ``GET /v1/policies/<id>`` -> ``{"result": {…}}`` or 404 ``resource_not_found``.
- ``PUT /v1/policies/<id>`` (text/plain), in server.go's order: a stored policy under a bundle
  root, then identical text (200, no-op), then parse (400 ``invalid_parameter`` "error(s)
  occurred while compiling module(s)" with OPA's ``errors``; blank text is "empty module"),
  then the new package under a bundle root (400 ``invalid_parameter``
  ``path <pkg path> is owned by bundle "<name>"``), then a compile of *every* stored module with
  the new one (400 with OPA's type errors, e.g. ``undefined function …``).
- ``DELETE /v1/policies/<id>`` -> 200 ``{}``; 404 for an unknown id; 400 ``invalid_parameter``
  for a bundle's policy; 400 ``invalid_operation`` when the remaining modules no longer compile.
- ``GET|POST /v1/data[/<path>]`` (POST with ``{"input": …}``) -> ``{"result": …}``, no ``result``
  key when undefined; an evaluation error is 500 ``internal_error`` "error(s) occurred while
  evaluating query" with OPA's error. The evaluator always fails on a builtin error, i.e. this
  server behaves as OPA with ``strict-builtin-errors=true`` (what sahab sends). With
  ``provenance=true`` the answer carries ``provenance.bundles.<name>.revision`` per bundle.
  The evaluator compiles every module again for each new query string (seconds for sahab's
  rules and tests), so the path reaches it as ``data[__s0][__s1]…``, each segment bound by a
  helper builtin: one prepared query per path depth. Once bound, the reference is ground, so
  the document, undefined and errors are those of the literal ``data.<path>``.
- ``POST /v1/query`` ``{"query", "input"?}`` -> ``{"result": [bindings…]}``; a query OPA cannot
  compile is 400 "error(s) occurred while compiling query" with OPA's errors.
- With ``token`` set, every request without ``Authorization: Bearer <token>`` gets 401
  ``{"code": "unauthorized", …}`` (OPA with ``--authentication=token`` and an authz policy).

Bundles (``activate_bundle``) are activated as OPA's bundle plugin does (``v1/bundle/store.go``):
the ``.manifest`` roots must not overlap, every module's package must lie under them, policies
already under the roots are replaced, the modules are stored as ``<bundle name>/<path>`` and the
manifest is written to ``data.system.bundles[<name>].manifest`` (with ``etag``); a bundle that
does not compile is refused with OPA's errors and leaves the server unchanged. Data files
(``data.json``) are not supported here: sahab's bundle has none.

Compiling is the slow part (about a second for sahab's ~110 modules, once per PUT and per
DELETE, as OPA does it), so ``_compile_errors`` remembers its answer per set of modules (a digest
of the sorted ids and texts). The answer is a function of that set alone, so the cache changes no
answer; it pays off when an engine closes, since it deletes last-uploaded first and so walks back
through the very sets its uploads were accepted with.

Threads: the HTTP server handles one request at a time, and a lock serialises requests with
``activate_bundle`` calls from the test thread. OPA's ctypes wrapper serialises evaluations per
engine itself, and Go's runtime accepts calls from any OS thread; the lock keeps the stored
policies, the bundles and the engine built from them consistent with each other.
``requests_seen`` records each request.

Misbehaving servers (``stall``): requests under a path prefix get no answer at all (``silent``)
or a 200 whose body arrives one byte every 0.2 s (``trickle``), until the client goes away;
``stalled`` and ``abandoned`` record when each such request came and when its client left
(``time.monotonic()``).
"""
from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import posixpath
import re
import select
import socket
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

from real_opa import bindings

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
_SEGMENT = "sahab_fake_segment"  # helper builtin: the i-th segment of the data path (see _data)
_FILE_ERROR = re.compile(r"^(?P<file>.+?):(?P<row>\d+): (?P<code>[a-z_]+): (?P<message>.*)$")
_QUERY_ERROR = re.compile(r"^(?P<row>\d+):(?P<col>\d+): (?P<code>[a-z_]+): (?P<message>.*)$")
_BARE_ERROR = re.compile(r"^(?P<code>rego_[a-z_]+): (?P<message>.*)$")  # no location, e.g. the error limit
_PREAMBLE = re.compile(r"^(bundle activation failed: )?(\d+ errors? occurred:\s*)?")

COMPILE_MODULES = "error(s) occurred while compiling module(s)"
COMPILE_QUERY = "error(s) occurred while compiling query"
PARSE_QUERY = "error(s) occurred while parsing query"
EVALUATION = "error(s) occurred while evaluating query"
OPA_VERSION = "1.20.2"  # the evaluator's version (tools/opa-engine/requirements.txt)
_COMPILED: Dict[str, List[Dict[str, Any]]] = {}  # digest of a module set -> its errors (see _compile_errors)


class BundleActivationError(Exception):
    """OPA refused to activate a bundle (it logs this and keeps the previous state)."""


class FakeOpa:
    """``with FakeOpa(token=None) as opa: opa.url``; ``opa.delay`` slows every data query."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token
        self.delay = 0.0
        self.policies: Dict[str, str] = {}  # policy id -> text, uploaded and from bundles
        self.bundles: Dict[str, Dict[str, Any]] = {}  # data.system.bundles
        self.requests_seen: List[Tuple[str, str, Optional[str]]] = []
        self.stall: Optional[Tuple[str, str]] = None  # ("silent" | "trickle", path prefix)
        self.stalled: List[float] = []  # when each stalled request arrived
        self.abandoned: List[float] = []  # when a stalled request's client went away
        self.stopping = threading.Event()
        self._opa = bindings()
        self._engine: Any = None  # every stored module and data.system, built on demand
        self._segments: List[str] = []  # the data path being evaluated (see _data)
        self._lock = threading.Lock()
        self._server = HTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-opa", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return "http://%s:%d" % (host, port)

    def start(self) -> "FakeOpa":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends a stalled request
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._replace_engine(None)

    def __enter__(self) -> "FakeOpa":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- bundles -------------------------------------------------------------------------------

    def activate_bundle(self, name: str, archive: bytes, etag: str = "") -> None:
        """Load a bundle tarball as OPA does (``opa run --bundle``, or a bundle service)."""
        manifest, modules = read_bundle(archive)
        manifest.setdefault("revision", "")
        roots = [root.strip("/") for root in manifest.setdefault("roots", [""])]
        manifest["roots"] = roots
        for i, first in enumerate(roots):
            for second in roots[i + 1:]:
                if _overlap(first, second):
                    raise BundleActivationError("manifest has overlapped roots: '%s' and '%s'" % (first, second))
        for path, text in modules.items():
            package = _package(text)
            if package is None or not any(_contains(root, package.replace(".", "/")) for root in roots):
                raise BundleActivationError("manifest roots %s do not permit 'package %s' in module '%s'"
                                            % (_go_list(roots), package, path))
        with self._lock:
            old_roots = (self.bundles.get(name, {}).get("manifest") or {}).get("roots") or []
            erase = set(roots) | set(old_roots)
            kept = {pid: text for pid, text in self.policies.items()
                    if not any(_contains(root, (_package(text) or "").replace(".", "/")) for root in erase)}
            candidate = dict(kept)
            for path, text in modules.items():
                candidate[_module_id(name, path)] = text
            errors = _compile_errors(self._opa, candidate)
            if errors:
                raise BundleActivationError("; ".join("%s: %s" % (e["code"], e["message"]) for e in errors))
            self.policies = candidate
            self.bundles[name] = {"etag": etag, "manifest": manifest}
            self._replace_engine(None)

    # -- the API (one request at a time) -------------------------------------------------------

    def handle(self, method: str, path: str, query: Dict[str, List[str]], headers: Any, body: bytes) -> Tuple[int, Any]:
        with self._lock:
            return self._handle(method, path, query, headers, body)

    def _handle(self, method: str, path: str, query: Dict[str, List[str]], headers: Any, body: bytes) -> Tuple[int, Any]:
        self.requests_seen.append((method, path, headers.get("Authorization")))
        if self.token is not None and headers.get("Authorization") != "Bearer %s" % self.token:
            return 401, {"code": "unauthorized", "message": "request rejected by administrative policy"}
        if path == "/health":
            return (200, {}) if method == "GET" else _not_allowed()
        if path in ("/v1/policies", "/v1/policies/"):
            return (200, {"result": [self._policy(pid) for pid in sorted(self.policies)]}) if method == "GET" else _not_allowed()
        if path.startswith("/v1/policies/"):
            policy_id = unquote(path[len("/v1/policies/"):])
            if method == "GET":
                return (200, {"result": self._policy(policy_id)}) if policy_id in self.policies else _not_found(policy_id)
            if method == "PUT":
                return self._put(policy_id, body.decode("utf-8"))
            if method == "DELETE":
                return self._delete(policy_id)
            return _not_allowed()
        if path == "/v1/data" or path.startswith("/v1/data/"):
            if method not in ("GET", "POST"):
                return _not_allowed()
            return self._data(path[len("/v1/data"):], body if method == "POST" else b"", query)
        if path == "/v1/query":
            return self._query(body) if method == "POST" else _not_allowed()
        return 404, {"code": "resource_not_found", "message": "no such endpoint: %s" % path}

    def _policy(self, policy_id: str) -> Dict[str, Any]:
        raw = self.policies[policy_id]
        parts = (_package(raw) or "").split(".")
        path = [{"type": "var", "value": "data"}] + [{"type": "string", "value": p} for p in parts if p]
        return {"id": policy_id, "raw": raw, "ast": {"package": {"path": path}}}

    def _owner(self, package: Optional[str]) -> Optional[Tuple[int, Any]]:
        """server.go checkPathScope: a write under a bundle root is a 400."""
        if package is None or not self.bundles:
            return None
        spath = package.replace(".", "/")
        for name, entry in self.bundles.items():
            for root in entry["manifest"]["roots"]:
                if root == "":
                    return 400, {"code": "invalid_parameter", "message": "all paths owned by bundle %s" % json.dumps(name)}
                if _owns(spath.split("/"), root.split("/")):
                    return 400, {"code": "invalid_parameter",
                                 "message": "path %s is owned by bundle %s" % (spath, json.dumps(name))}
        return None

    def _put(self, policy_id: str, raw: str) -> Tuple[int, Any]:
        if policy_id in self.policies:
            refused = self._owner(_package(self.policies[policy_id]))
            if refused:
                return refused
            if self.policies[policy_id] == raw:
                return 200, {}
        if not raw.strip():
            return 400, {"code": "invalid_parameter", "message": "empty module"}
        parse_errors = _compile_errors(self._opa, {policy_id: raw}, parse_only=True)
        if parse_errors:
            return 400, {"code": "invalid_parameter", "message": COMPILE_MODULES, "errors": parse_errors}
        refused = self._owner(_package(raw))
        if refused:
            return refused
        candidate = dict(self.policies)
        candidate[policy_id] = raw
        errors = _compile_errors(self._opa, candidate)
        if errors:
            return 400, {"code": "invalid_parameter", "message": COMPILE_MODULES, "errors": errors}
        self.policies = candidate
        self._replace_engine(None)
        return 200, {}

    def _delete(self, policy_id: str) -> Tuple[int, Any]:
        if policy_id not in self.policies:
            return _not_found(policy_id)
        refused = self._owner(_package(self.policies[policy_id]))
        if refused:
            return refused
        candidate = {k: v for k, v in self.policies.items() if k != policy_id}
        errors = _compile_errors(self._opa, candidate)
        if errors:
            return 400, {"code": "invalid_operation", "message": COMPILE_MODULES, "errors": errors}
        self.policies = candidate
        self._replace_engine(None)
        return 200, {}

    def _evaluator(self) -> Any:
        if self._engine is None:
            engine = self._opa.OpaEngine()
            engine.register_function(_SEGMENT, lambda index: self._segments[index])
            for policy_id, raw in sorted(self.policies.items()):
                engine.add_policy(policy_id, raw)
            if self.bundles:
                engine.add_data({"bundles": self.bundles}, "system")
            self._engine = engine
        return self._engine

    def _replace_engine(self, engine: Any) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine = engine

    def _data(self, path: str, body: bytes, params: Dict[str, List[str]]) -> Tuple[int, Any]:
        if self.delay:
            time.sleep(self.delay)
        try:
            request = json.loads(body or b"{}")
        except ValueError as exc:
            return 400, {"code": "invalid_parameter", "message": "body contains malformed input document: %s" % exc}
        self._segments = [unquote(s) for s in path.split("/") if s]
        depth = range(len(self._segments))
        query = "; ".join(["__s%d := %s(%d)" % (i, _SEGMENT, i) for i in depth]
                          + ["__sahab_result := data" + "".join("[__s%d]" % i for i in depth)])
        has_input = isinstance(request, dict) and "input" in request
        try:
            rows = self._evaluator().eval_query(query, request["input"] if has_input else None)
        except self._opa.OpaError as exc:
            return 500, {"code": "internal_error", "message": EVALUATION, "errors": _errors(exc.message)}
        answer: Dict[str, Any] = {"result": rows[0]["__sahab_result"]} if rows else {}
        if params.get("provenance") == ["true"]:
            answer["provenance"] = {"version": OPA_VERSION, "build_commit": "", "build_timestamp": "", "build_hostname": ""}
            if self.bundles:
                answer["provenance"]["bundles"] = {name: {"revision": entry["manifest"].get("revision", "")}
                                                   for name, entry in self.bundles.items()}
        return 200, answer

    def _query(self, body: bytes) -> Tuple[int, Any]:
        try:
            request = json.loads(body or b"{}")
            query = request["query"]
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"code": "invalid_parameter", "message": "error(s) occurred while decoding request: %s" % exc}
        try:
            rows = self._evaluator().eval_query(query, request.get("input"))
        except self._opa.OpaError as exc:
            errors = _errors(exc.message)
            if exc.code == "eval_error":
                return 500, {"code": "internal_error", "message": EVALUATION, "errors": errors}
            parse = errors and all(e["code"] == "rego_parse_error" for e in errors)
            return 400, {"code": "invalid_parameter", "message": PARSE_QUERY if parse else COMPILE_QUERY, "errors": errors}
        return (200, {"result": rows}) if rows else (200, {})


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeOpa = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        if fake.stall is not None and url.path.startswith(fake.stall[1]):
            self._stall(fake, fake.stall[0])
            return
        status, payload = fake.handle(self.command, url.path, parse_qs(url.query), self.headers, body)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stall(self, fake: FakeOpa, how: str) -> None:
        """Never answer (``silent``) or send a 200 whose body trickles (``trickle``) until the client leaves."""
        fake.stalled.append(time.monotonic())
        try:
            if how == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
            while not fake.stopping.is_set():
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    break  # the client closed or shut down its end
                if how == "trickle":
                    self.wfile.write(b" ")  # JSON whitespace, one byte at a time
                fake.stopping.wait(0.2 if how == "trickle" else 0.02)
            else:
                return
        except OSError:  # reset or broken pipe: the client went away
            pass
        fake.abandoned.append(time.monotonic())

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        pass


# -- reading bundles, OPA's path rules, OPA's errors --------------------------------------------


def read_bundle(archive: bytes) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """``(manifest, {path: module text})`` of a bundle tarball, paths as OPA normalises them."""
    manifest: Dict[str, Any] = {}
    modules: Dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            path = "/" + posixpath.normpath(member.name).lstrip("/").removeprefix("./")
            data = tar.extractfile(member).read().decode("utf-8")  # type: ignore[union-attr]
            if path == "/.manifest":
                manifest = json.loads(data)
            elif path.endswith(".rego"):
                modules[path] = data
            elif posixpath.basename(path) in ("data.json", "data.yaml", "data.yml", "patch.json"):
                raise BundleActivationError("the stand-in OPA loads policies only, not %s" % path)
    return manifest, modules


def _module_id(bundle: str, path: str) -> str:
    """``modulePathWithPrefix``: the bundle name joined with the module's path."""
    return posixpath.normpath(posixpath.join(bundle, path.lstrip("/")))


def _package(text: str) -> Optional[str]:
    match = _PACKAGE.search(text)
    return match.group(1) if match else None


def _owns(path: List[str], root: List[str]) -> bool:
    """server.go isPathOwned: equal over the shorter of the two."""
    return all(a == b for a, b in zip(path, root))


def _contains(root: str, path: str) -> bool:
    """bundle.RootPathsContain for one root: ``path`` lies at or under ``root``."""
    root_parts = [p for p in root.split("/") if p]
    path_parts = [p for p in path.split("/") if p]
    return len(root_parts) <= len(path_parts) and path_parts[:len(root_parts)] == root_parts


def _overlap(first: str, second: str) -> bool:
    return _contains(first, second) or _contains(second, first)


def _go_list(items: List[str]) -> str:
    return "[%s]" % " ".join(items)


def _compile_errors(opa: Any, modules: Dict[str, str], parse_only: bool = False) -> List[Dict[str, Any]]:
    """OPA's errors for ``modules`` compiled together (or only parsed), as the REST API shows them.

    Remembered per module set (``_COMPILED``): the same set always gives the same errors.
    """
    digest = hashlib.sha256(b"parse" if parse_only else b"compile")
    for policy_id, raw in sorted(modules.items()):
        for part in (policy_id.encode(), raw.encode()):
            digest.update(b"%d:%s" % (len(part), part))  # length-prefixed: no two sets share a digest input
    key = digest.hexdigest()
    if key not in _COMPILED:
        _COMPILED[key] = _compile(opa, modules, parse_only)
    return copy.deepcopy(_COMPILED[key])


def _compile(opa: Any, modules: Dict[str, str], parse_only: bool) -> List[Dict[str, Any]]:
    engine = opa.OpaEngine()
    try:
        for policy_id, raw in sorted(modules.items()):
            engine.add_policy(policy_id, raw)
        if not parse_only:
            engine.eval_query("true")  # preparing a query compiles every module
    except opa.OpaError as exc:
        return _errors(exc.message)
    finally:
        engine.close()
    return []


def _errors(message: str) -> List[Dict[str, Any]]:
    """OPA's ``Errors.Error()`` text back into its JSON form: ``[{"code", "message", "location"}]``.

    The text carries file and row (or row and column for a query), not both columns: the
    location has what the text has.
    """
    errors = []
    for line in _PREAMBLE.sub("", message.strip()).split("\n"):
        if not line.strip() or line.startswith("\t"):
            continue  # blank, or the detail lines OPA indents under an error
        query, located, bare = _QUERY_ERROR.match(line), _FILE_ERROR.match(line), _BARE_ERROR.match(line)
        if bare:
            errors.append({"code": bare["code"], "message": bare["message"]})
        elif query:
            location: Dict[str, Any] = {"row": int(query["row"]), "col": int(query["col"])}
            errors.append({"code": query["code"], "message": query["message"], "location": location})
        elif located:
            location = {"file": located["file"], "row": int(located["row"])}
            errors.append({"code": located["code"], "message": located["message"], "location": location})
        else:
            errors.append({"code": "internal_error", "message": line.strip()})
    return errors


def _not_allowed() -> Tuple[int, Any]:
    return 405, {"code": "method_not_allowed", "message": "method not allowed"}


def _not_found(policy_id: str) -> Tuple[int, Any]:
    return 404, {"code": "resource_not_found", "message": "storage_not_found_error: policy id %s" % json.dumps(policy_id)}
