"""The OPA server engine: a running OPA, driven over its REST API with opa-python-client.

Two modes (``opa.mode``). ``upload`` (default) puts sahab's modules into the server itself;
``bundle`` never writes to the server: it queries an OPA that already holds the bundle
``sahab policy bundle`` builds (``opa_bundle.py``), after checking that the bundle it reports is
the one this sahab would build.

- ``load`` (upload): one policy per module through the Policy API (``PUT /v1/policies/<prefix>/<path>``).
  OPA compiles every stored module on each upload, so a module that calls a function from one
  not uploaded yet is rejected with ``undefined function data.…``; such modules are retried
  after the others, and any other rejection stops the load at once. On failure the modules
  already uploaded are deleted again. Before uploading, every policy under our prefix that is
  not part of this load (left by an earlier run or an earlier ``load``) is removed, and a policy
  under any other id that declares a ``sahab`` package stops the load: it would add rules to
  what sahab evaluates. Give each concurrent gate its own OPA: packages are global to a server.
  A server whose bundles own a root that covers sahab's packages refuses those uploads
  (``path … is owned by bundle …``), so that is checked first (``GET /v1/data/system/bundles``)
  and reported with the fix: bundle mode.
- ``load`` (bundle): reads the activated bundle's manifest from ``data.system.bundles[<name>]``
  and requires its ``revision``, ``roots`` and ``metadata.sahab.modules_sha256`` to be those of
  the bundle built from ``modules``; absent or different is an :class:`EngineError`.
- ``query``: ``POST /v1/data/<path>?strict-builtin-errors=true`` with ``{"input": …}``: a
  builtin error fails the request (HTTP 500) instead of quietly making a rule undefined.
  No ``result`` key means undefined (``None``). In bundle mode it also asks for
  ``provenance=true`` and requires the answer to name the expected revision of the bundle, so a
  bundle replaced after ``load`` cannot answer unnoticed.
- ``unsupported_builtins``: one ad-hoc query per name (``POST /v1/query`` with
  ``__sahab_probe := <name>(input.__sahab_probe)``). OPA type-checks the query before it runs
  it; a builtin it lacks (or that its capabilities exclude) is reported as
  ``rego_type_error: undefined function <name>``. A wrong argument count or a result of
  ``undefined`` both mean the builtin exists. Nothing is stored on the server.
- ``close``: deletes the uploaded policies, dependents first.

The server is health-checked (``GET /health``) before the first request. ``timeout`` is the
deadline of each whole request, retries and body included (``opa_http.py``). Every failure —
unreachable server, refused token, rejected module, evaluation error, malformed answer — is an
:class:`EngineError` (exit 3) with one line naming what failed; none is read as "no findings".
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple
from urllib.parse import quote, urlsplit

from ...errors import ConfigError
from .base import EngineError, PolicyEngine, engine_timeout

LOG = logging.getLogger("sahab.gate.opa")

DEFAULT_URL = "http://127.0.0.1:8181"
DEFAULT_PREFIX = "sahab"
DEFAULT_TIMEOUT = 30.0
OPTIONS = ("url", "token_env", "timeout", "policy_prefix", "ca_bundle", "mode", "bundle", "revision")
MODES = ("upload", "bundle")
DEFAULT_BUNDLE = "sahab"

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.M)
_IMPORT = re.compile(r"^import\s+data\.([\w.]+)", re.M)
_BUILTIN_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_SERVER_HINT = "start one (`opa run --server --addr 127.0.0.1:8181`), fix `opa.url`, or use the embedded engine"
_OWNED = re.compile(r"is owned by bundle \"([^\"]*)\"|all paths owned by bundle \"([^\"]*)\"")
_PUBLISH_HINT = "build it with `sahab policy bundle --out sahab.tar.gz` and load it into that OPA (docs/gate-engines.md)"


def opa_endpoint(url: Any, setting: str = "opa.url") -> Tuple[str, str, int]:
    """Scheme, host and port of an OPA server URL; ConfigError naming ``setting`` (``--opa-url``) otherwise."""
    fix = "e.g. %s http://127.0.0.1:8181" % setting if setting.startswith("--") else "e.g. url: http://127.0.0.1:8181"
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts is not None else None
    except ValueError as exc:
        raise ConfigError("%s %r is not a usable URL: %s" % (setting, url, exc), fix) from None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("%s %r is not an http(s) URL" % (setting, url), fix)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("%s %r has a path; OPA's API must be at the root of the URL" % (setting, url),
                          "give scheme, host and port only")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


class OpaServerEngine(PolicyEngine):
    name = "opa"

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT,
                 policy_prefix: str = DEFAULT_PREFIX, ca_bundle: Optional[str] = None, mode: str = "upload",
                 bundle: str = DEFAULT_BUNDLE, revision: Optional[str] = None) -> None:
        from .opa_http import DeadlineOpaClient

        scheme, hostname, port = opa_endpoint(url)
        prefix = policy_prefix.strip("/")
        if not prefix or not re.match(r"^[\w.-]+(/[\w.-]+)*$", prefix):
            raise ConfigError("opa.policy_prefix %r is not a usable policy id prefix" % policy_prefix,
                              "use letters, digits, '.', '-', '_' and '/'")
        if mode not in MODES:
            raise ConfigError("opa.mode %r is not one of %s" % (mode, ", ".join(MODES)),
                              "use `upload` (sahab uploads its modules) or `bundle` (OPA already holds sahab's bundle)")
        if not bundle:
            raise ConfigError("opa.bundle is empty", "name the bundle as OPA reports it under data.system.bundles")
        self.url = "%s://%s:%d" % (scheme, hostname, port)
        self.mode = mode
        self.bundle = bundle
        self.revision = revision
        self.timeout = timeout
        self.prefix = prefix
        ssl: Any = False
        if scheme == "https":
            ssl = ca_bundle or True  # opa_client hands this to requests as `verify`
        # `timeout` bounds each whole request (retries and body included), not each socket read.
        self._client = DeadlineOpaClient(host=hostname, port=port, ssl=ssl, token=token, timeout=timeout)
        self._ready = False
        self._uploaded: List[str] = []  # policy ids, in upload order
        self._probe_cache: Dict[str, bool] = {}
        self._closed = False
        self._expected: Optional[Dict[str, Any]] = None  # bundle mode: the manifest load() verified

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "OpaServerEngine":
        """Build from the gate configuration's ``opa:`` section."""
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ConfigError("unknown opa option(s) %s" % ", ".join(unknown), "known: %s" % ", ".join(OPTIONS))
        token = None
        token_env = options.get("token_env")
        if token_env:
            token = os.environ.get(str(token_env))
            if not token:
                raise ConfigError("opa.token_env names %s, but that environment variable is not set" % token_env,
                                  "export the OPA bearer token in %s, or drop token_env" % token_env)
        timeout = engine_timeout(options, DEFAULT_TIMEOUT)
        revision = options.get("revision")
        if revision is not None and (not isinstance(revision, str) or not revision.strip()):
            raise ConfigError("opa.revision must be a non-empty string", "the revision given to `sahab policy bundle --revision`")
        return cls(url=str(options.get("url") or DEFAULT_URL), token=token, timeout=timeout,
                   policy_prefix=str(options.get("policy_prefix") or DEFAULT_PREFIX),
                   ca_bundle=options.get("ca_bundle"), mode=str(options.get("mode") or "upload"),
                   bundle=str(options.get("bundle") or DEFAULT_BUNDLE), revision=revision)

    def policy_id(self, module_path: str) -> str:
        """``sahab/residency/region_allowed.rego`` for ``residency/region_allowed.rego``."""
        return quote("%s/%s" % (self.prefix, module_path.lstrip("/")), safe="/._-")

    # -- PolicyEngine --------------------------------------------------------------------------

    def load(self, modules: Dict[str, str]) -> None:
        self._ensure_ready()
        if self.mode == "bundle":
            self._verify_bundle(modules)
            return
        self._refuse_bundle_owned(modules)
        wanted = {self.policy_id(path): path for path in modules}
        self._clear_stale(wanted)
        pending = _upload_order(modules)
        while pending:
            deferred: Dict[str, _Rejection] = {}
            for path in pending:
                rejection = self._put(path, modules[path])
                if rejection is None:
                    continue
                if rejection.missing_dependency():
                    deferred[path] = rejection
                    continue
                self._rollback()
                raise EngineError("OPA rejected %s: %s" % (path, rejection.summary()), "fix the module named in the message")
            if len(deferred) == len(pending):  # no progress: the missing functions are nowhere
                path, rejection = sorted(deferred.items())[0]
                self._rollback()
                raise EngineError("OPA rejected %s: %s" % (path, rejection.summary()), "define the function, or fix the call")
            pending = [path for path in pending if path in deferred]

    def query(self, path: str, input_document: Any) -> Any:
        import requests

        if self.mode == "bundle" and self._expected is None:
            raise EngineError("the OPA engine in bundle mode was queried before load()", "call load() first")
        self._ensure_ready()
        what = "evaluating data.%s" % path
        params = {"strict-builtin-errors": "true"}
        if self.mode == "bundle":
            params["provenance"] = "true"
        try:
            body = self._client.query_rule(input_document, path, query_params=params)
        except requests.HTTPError as exc:
            raise EngineError("OPA failed while %s: %s" % (what, _http_error(exc.response)),
                              "fix the rule named in the message") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._lost(what, exc) from None
        if not isinstance(body, dict):
            raise EngineError("OPA answered %s with %r, not a JSON object" % (what, type(body).__name__),
                              "check that %s is an OPA server" % self.url)
        if self._expected is not None:
            self._check_provenance(body, what, self._expected["revision"])
        return body.get("result")

    def unsupported_builtins(self, names: Iterable[str]) -> Set[str]:
        names = set(names)
        self._ensure_ready()
        for name in sorted(names - set(self._probe_cache)):
            self._probe_cache[name] = self._probe(name)
        return {name for name in names if not self._probe_cache[name]}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            failed = self._delete_uploaded()
            if failed:
                LOG.warning("could not delete %d policies from OPA at %s (%s); the next load removes them",
                            len(failed), self.url, "; ".join(failed[:3]))
        finally:
            self._client.close_connection()

    # -- requests ------------------------------------------------------------------------------

    def _ensure_ready(self) -> None:
        if self._closed:
            raise EngineError("the OPA engine was used after close()", "create a new engine")
        if self._ready:
            return
        import requests
        from opa_client.errors import ConnectionsError

        if not self._client.check_health():
            # check_health swallows the reason; ask the API itself to learn it.
            try:
                self._client.check_connection()
            except ConnectionsError as exc:
                cause = exc.__cause__
                response = getattr(cause, "response", None)
                if response is not None and response.status_code in (401, 403):
                    raise EngineError("OPA at %s refused the request: %s" % (self.url, _http_error(response)),
                                      "set opa.token_env to the variable holding OPA's bearer token") from None
                if response is not None:
                    raise EngineError("OPA at %s is not serving its API: %s" % (self.url, _http_error(response)),
                                      _SERVER_HINT) from None
                if isinstance(cause, requests.Timeout):
                    raise EngineError("OPA at %s did not answer within %g s" % (self.url, self.timeout),
                                      "check the server, or raise opa.timeout") from None
                raise EngineError("no OPA server at %s: %s" % (self.url, _reason(cause, self.timeout)), _SERVER_HINT) from None
            raise EngineError("OPA at %s is not healthy (GET /health did not return 200)" % self.url,
                              "check the OPA server's logs")
        self._ready = True

    def _put(self, path: str, text: str) -> "Optional[_Rejection]":
        import requests
        from opa_client.errors import RegoParseError, TypeException

        policy_id = self.policy_id(path)
        try:
            self._client.update_policy_from_string(text, policy_id, rego_compat=False)
        except RegoParseError as exc:
            owner = _OWNED.search(str(exc.message or ""))
            if owner:  # the bundle check could not see it (e.g. data.system hidden by an authz policy)
                self._rollback()
                raise self._owned_error(owner.group(1) or owner.group(2) or "?", "refused %s: %s" % (path, exc.message))
            return _Rejection(exc.expression, exc.message, exc.errors)
        except TypeException:
            self._rollback()
            raise EngineError("%s is empty; OPA cannot load it" % path, "remove the file or give it a package") from None
        except (requests.RequestException, ValueError) as exc:
            self._rollback()
            raise self._lost("uploading %s" % path, exc) from None
        if policy_id not in self._uploaded:
            self._uploaded.append(policy_id)
        return None

    def _probe(self, name: str) -> bool:
        import requests

        if not _BUILTIN_NAME.match(name):
            return False
        try:
            self._client.ad_hoc_query("__sahab_probe := %s(input.__sahab_probe)" % name)
            return True
        except requests.HTTPError as exc:
            response = exc.response
            body = _json_or_none(response)
            if response.status_code == 400 and isinstance(body, dict) and body.get("errors"):
                messages = [str(e.get("message", "")) for e in body["errors"] if isinstance(e, dict)]
                if any(("undefined function %s" % name) in m or "deprecated built-in" in m for m in messages):
                    return False
                if messages and all("arity mismatch" in m for m in messages):
                    return True  # it exists, and takes another number of arguments
            raise EngineError("OPA gave an unexpected answer when probing builtin %s: %s" % (name, _http_error(response)),
                              "check the OPA server's logs") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._lost("probing builtin %s" % name, exc) from None

    # -- bundles ---------------------------------------------------------------------------------

    def _bundles(self) -> Dict[str, Any]:
        """``data.system.bundles``: activated bundle name -> ``{"manifest": …, "etag": …}``.

        Read whole (``GET /v1/data/system/bundles``) rather than by name: names may hold ``/``.
        """
        import requests
        from opa_client.errors import PolicyNotFoundError

        try:
            body = self._client.get_data("system/bundles")
        except PolicyNotFoundError as exc:
            if exc.expression == "PolicyNotFoundError":  # 200 without `result`: no bundle activated
                return {}
            raise EngineError("OPA at %s refused to read data.system.bundles: %s: %s" % (self.url, exc.expression, exc.message),
                              "let sahab read data.system.bundles (GET /v1/data/system/bundles)") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._lost("reading data.system.bundles", exc) from None
        bundles = body.get("result")
        if not isinstance(bundles, dict):
            raise EngineError("OPA at %s answered data.system.bundles with %r, not an object" % (self.url, type(bundles).__name__),
                              "check that %s is an OPA server" % self.url)
        return bundles

    def _verify_bundle(self, modules: Mapping[str, str]) -> None:
        """Bundle mode: the server's bundle must be the one built from ``modules``, or nothing runs."""
        from ..opa_bundle import METADATA_KEY, bundle_manifest

        expected = bundle_manifest(modules, self.revision)
        bundles = self._bundles()
        entry = bundles.get(self.bundle)
        if entry is None:
            held = ", ".join(repr(name) for name in sorted(bundles)) or "none"
            raise EngineError("OPA at %s has no activated bundle named %r (bundles: %s)" % (self.url, self.bundle, held),
                              "set opa.bundle to the name OPA reports, or " + _PUBLISH_HINT)
        manifest = entry.get("manifest") if isinstance(entry, dict) else None
        manifest = manifest if isinstance(manifest, dict) else {}
        revision = manifest.get("revision")
        if revision != expected["revision"]:
            raise EngineError("OPA at %s serves bundle %r at revision %r, but this sahab's rules are revision %r"
                              % (self.url, self.bundle, revision, expected["revision"]),
                              "publish the bundle of these rules: " + _PUBLISH_HINT)
        ours = (manifest.get("metadata") or {}).get(METADATA_KEY) if isinstance(manifest.get("metadata"), dict) else None
        digest = ours.get("modules_sha256") if isinstance(ours, dict) else None
        wanted = expected["metadata"][METADATA_KEY]["modules_sha256"]
        if digest != wanted:
            raise EngineError("OPA at %s serves bundle %r whose modules digest is %r, not %r (these rules)"
                              % (self.url, self.bundle, digest, wanted), "publish the bundle of these rules: " + _PUBLISH_HINT)
        roots = manifest.get("roots")
        if not isinstance(roots, list) or sorted(roots) != expected["roots"]:
            raise EngineError("OPA at %s serves bundle %r with roots %r, not %r"
                              % (self.url, self.bundle, roots, expected["roots"]), "publish the bundle of these rules: " + _PUBLISH_HINT)
        self._expected = expected

    def _check_provenance(self, body: Mapping[str, Any], what: str, expected: str) -> None:
        """The answer must come from the verified revision (``?provenance=true``)."""
        provenance = body.get("provenance")
        bundles = provenance.get("bundles") if isinstance(provenance, dict) else None
        entry = bundles.get(self.bundle) if isinstance(bundles, dict) else None
        revision = entry.get("revision") if isinstance(entry, dict) else None
        if revision != expected:
            found = "no revision of bundle %r" % self.bundle if revision is None else "revision %r" % revision
            raise EngineError("OPA at %s answered %s from %s, not the verified revision %r" % (self.url, what, found, expected),
                              "the bundle changed during the gate, or OPA did not report provenance; run the gate again")

    def _refuse_bundle_owned(self, modules: Mapping[str, str]) -> None:
        """Upload mode: name the bundle that owns sahab's packages instead of failing on the first PUT."""
        from ..rules import package_of

        packages = sorted({package_of(text, Path(path)) for path, text in modules.items()})
        for name, entry in sorted(self._bundles().items()):
            manifest = entry.get("manifest") if isinstance(entry, dict) else None
            roots = manifest.get("roots") if isinstance(manifest, dict) else None
            roots = roots if isinstance(roots, list) else [""]  # no roots: the bundle owns everything
            for root in roots:
                parts = [p for p in str(root).strip("/").split("/") if p]
                owned = [package for package in packages if _owns(parts, package.split("."))]
                if owned:
                    raise self._owned_error(name, "root %r covers package %s" % (str(root), owned[0]))

    def _owned_error(self, name: str, detail: str) -> EngineError:
        return EngineError("OPA at %s takes sahab's packages from bundle %r (%s), so it refuses policy uploads"
                           % (self.url, name, detail),
                           "use bundle mode: `gate.opa.mode: bundle` and `bundle: %s` in sahab.yaml, or "
                           "`--opa-mode bundle --opa-bundle %s`" % (name, name))

    def _clear_stale(self, wanted: Mapping[str, str]) -> None:
        """Remove our own leftovers; refuse foreign policies that add rules under ``sahab``."""
        import requests
        from opa_client.errors import PolicyNotFoundError

        ours = self.prefix + "/"
        try:
            ids = [str(policy_id) for policy_id in self._client.get_policies_list()]
            stale = sorted(pid for pid in ids if pid.startswith(ours) and pid not in wanted)
            for policy_id in ids:
                if policy_id.startswith(ours):
                    continue
                try:
                    raw = str((self._client.get_policy(policy_id).get("result") or {}).get("raw", ""))
                except PolicyNotFoundError as exc:
                    if exc.expression == "resource_not_found":
                        continue  # deleted meanwhile
                    raise EngineError("OPA failed to read policy %r: %s: %s" % (policy_id, exc.expression, exc.message),
                                      "check the OPA server's logs") from None
                match = _PACKAGE.search(raw)
                package = match.group(1) if match else ""
                if package == "sahab" or package.startswith("sahab."):
                    raise EngineError("OPA at %s already holds policy %r in package %s, which would change sahab's results"
                                      % (self.url, policy_id, package), "delete it, or give sahab its own OPA (if sahab's bundle put it there: --opa-mode bundle)")
        except requests.HTTPError as exc:
            raise EngineError("OPA failed to list its policies: %s" % _http_error(exc.response),
                              "check the OPA server's logs") from None
        except (requests.RequestException, ValueError) as exc:
            raise self._lost("listing policies", exc) from None
        if stale:
            failures = self._delete(stale)
            self._uploaded = [pid for pid in self._uploaded if pid not in stale or pid in failures]
            if failures:
                policy_id, reason = sorted(failures.items())[0]
                owner = _OWNED.search(reason)
                if owner:  # "stale" because a bundle named like our prefix holds it
                    raise self._owned_error(owner.group(1) or owner.group(2) or "?", "refused deleting %s: %s" % (policy_id, reason))
                raise EngineError("could not remove stale policy %r from OPA at %s: %s" % (policy_id, self.url, reason),
                                  "delete it by hand (DELETE /v1/policies/<id>)")

    def _delete_uploaded(self) -> List[str]:
        """Delete what we uploaded; return "id (reason)" for what could not be deleted."""
        failures = self._delete(self._uploaded)
        self._uploaded = [pid for pid in self._uploaded if pid in failures]
        return ["%s (%s)" % item for item in failures.items()]

    def _delete(self, policy_ids: List[str]) -> Dict[str, str]:
        """Delete ``policy_ids``, last first (dependents before what they call); failures by id."""
        import requests
        from opa_client.errors import DeletePolicyError

        remaining = list(policy_ids)
        reasons: Dict[str, str] = {}
        # OPA refuses (400) to delete a module that a remaining one depends on: retry while that helps.
        while remaining:
            blocked = []
            for policy_id in reversed(remaining):
                try:
                    self._client.delete_policy(policy_id)
                except DeletePolicyError as exc:
                    if exc.expression == "resource_not_found":
                        continue
                    blocked.append(policy_id)
                    reasons[policy_id] = "%s: %s" % (exc.expression, " ".join(str(exc.message).split()))
                except (requests.RequestException, ValueError) as exc:
                    blocked.append(policy_id)
                    reasons[policy_id] = _reason(exc, self.timeout)
            progress = len(blocked) < len(remaining)
            remaining = blocked[::-1]
            if not progress:
                break
        return {policy_id: reasons[policy_id] for policy_id in remaining}

    def _rollback(self) -> None:
        failed = self._delete_uploaded()
        if failed:
            LOG.warning("could not delete %d policies from OPA at %s after a failed load", len(failed), self.url)

    def _lost(self, what: str, exc: BaseException) -> EngineError:
        return EngineError("lost the OPA server at %s while %s: %s" % (self.url, what, _reason(exc, self.timeout)),
                           "check the server, or raise opa.timeout")


class _Rejection:
    """OPA's 400 answer to an upload: ``{"code", "message", "errors": [{"code", "message", "location"}]}``."""

    def __init__(self, code: Any, message: Any, errors: Any) -> None:
        self.code = str(code or "")
        self.message = str(message or "")
        self.errors = [e for e in (errors or []) if isinstance(e, dict)]

    def missing_dependency(self) -> bool:
        """Only calls to functions of other (not yet uploaded) modules are undefined.

        OPA stops at its error limit (``--max-errors``, 10 by default) and then adds
        ``rego_compile_error: error limit reached``: that truncates the list, it is no other
        fault. A truncated list can hide one; the retry after the dependencies are in shows it.
        """
        undefined = [e for e in self.errors if not _error_limit(e)]
        return bool(undefined) and all(
            e.get("code") == "rego_type_error" and str(e.get("message", "")).startswith("undefined function data.")
            for e in undefined
        )

    def summary(self) -> str:
        if not self.errors:
            return "%s: %s" % (self.code, self.message) if self.code else self.message or "rejected"
        first = self.errors[0]
        location = first.get("location") or {}
        where = " (line %s)" % location["row"] if isinstance(location, dict) and location.get("row") else ""
        text = "%s: %s%s" % (first.get("code", "error"), " ".join(str(first.get("message", "")).split()), where)
        if len(self.errors) > 1:
            text += " (and %d more)" % (len(self.errors) - 1)
        return text


def _upload_order(modules: Mapping[str, str]) -> List[str]:
    """Paths with every module after the ones it imports, otherwise by path.

    OPA compiles everything it holds on each upload and rejects a call into a module not uploaded
    yet: uploading the imported modules first spares the server those rejected compiles. Calls
    that no import reveals are still handled by the retry in ``load``.
    """
    by_package: Dict[str, List[str]] = {}
    for path, text in modules.items():
        match = _PACKAGE.search(text)
        by_package.setdefault(match.group(1) if match else "", []).append(path)
    order: List[str] = []
    seen: Set[str] = set()

    def visit(path: str) -> None:
        if path in seen:
            return
        seen.add(path)
        for target in _IMPORT.findall(modules[path]):
            for package, paths in by_package.items():
                if package and (target == package or target.startswith(package + ".")):
                    for dependency in sorted(paths):
                        visit(dependency)
        order.append(path)

    for path in sorted(modules):
        visit(path)
    return order


def _error_limit(error: Mapping[str, Any]) -> bool:
    return error.get("code") == "rego_compile_error" and error.get("message") == "error limit reached"


def _owns(root: List[str], path: List[str]) -> bool:
    """OPA's ``isPathOwned``: a root owns a path when one is a segment prefix of the other."""
    return all(a == b for a, b in zip(root, path))


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _http_error(response: Any) -> str:
    """One line from an OPA error body, falling back to the HTTP status."""
    body = _json_or_none(response)
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        rejection = _Rejection(body.get("code"), body.get("message"), body.get("errors"))
        return "HTTP %d %s" % (response.status_code, " ".join(rejection.summary().split()))
    text = " ".join((getattr(response, "text", "") or "").split())[:200]
    return "HTTP %d%s" % (response.status_code, (" " + text) if text else "")


def _reason(exc: Any, timeout: float) -> str:
    import requests

    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "no answer within %g s" % timeout
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    match = _ERRNO.search(str(exc))
    if match:
        return match.group(1).strip().lower()
    if isinstance(exc, ValueError):
        return "the answer was not JSON"
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
