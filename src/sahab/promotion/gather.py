"""MLflow -> the promotion input document: what the rules judge about a model version.

For the candidate version and the current holder of the target alias it gathers the metrics and
params (of the version's run, then of its logged model, which win), its tags, status and source
run, where its artifacts are (the logged model's artifact location, the run's artifact root), and
the dataset inputs its run logged, each with the location its source names. The document's shape
is documented in docs/promotion.md; a value that cannot be found is left out or ``null``, and the
rules read that as a violation, never as a pass.

mlflow is imported here only (the ``sahab[promotion]`` extra): nothing on the gate's path imports it.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional
from urllib.parse import urlsplit, urlunsplit

from ..errors import SahabError, UsageError

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

# `sahab promote --to`: the alias each target moves (facts: aliases, never stages).
TARGETS: Dict[str, str] = {"staging": "staging", "production": "champion"}
PROBE_TIMEOUT = 10.0
_MISSING = "RESOURCE_DOES_NOT_EXIST"
_REFUSED = ("UNAUTHENTICATED", "PERMISSION_DENIED", "UNAUTHORIZED")


class TrackingServerError(SahabError):
    """The tracking server could not be reached or failed: nothing was promoted (exit 3)."""

    exit_code = 3


def redact_uri(uri: str) -> str:
    """``uri`` without a user or password (``https://u:p@host`` -> ``https://host``), for logs and output."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, host + (":%d" % parts.port if parts.port else ""), parts.path, parts.query, parts.fragment))


def connect(tracking_uri: str) -> "MlflowClient":
    """A client for ``tracking_uri``; an HTTP server that does not answer is exit 3 at once.

    MLflow's own client retries a refused connection for minutes, so an HTTP(S) server is probed
    first (any HTTP answer counts as reachable: credentials are MLflow's business).
    """
    import requests
    from mlflow import MlflowClient

    if urlsplit(tracking_uri).scheme in ("http", "https"):
        try:
            requests.get(tracking_uri.rstrip("/") + "/health", timeout=PROBE_TIMEOUT)
        except requests.RequestException as exc:
            raise TrackingServerError("the tracking server %s is unreachable (%s)" % (redact_uri(tracking_uri), type(exc).__name__),
                                      "check --tracking-uri / MLFLOW_TRACKING_URI and the network; nothing was promoted") from None
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def tracking_call(what: str, call: Any, *args: Any, missing_ok: bool = False) -> Any:
    """Run one MLflow call; its errors become one line and an exit code (``None`` for a missing
    resource when ``missing_ok``)."""
    from mlflow.exceptions import MlflowException

    try:
        return call(*args)
    except MlflowException as exc:
        if exc.error_code == _MISSING:
            if missing_ok:
                return None
            raise UsageError("%s: not found in the registry" % what, "check the model name and version") from None
        if exc.error_code in _REFUSED:
            raise UsageError("%s: the tracking server refused the credentials (%s)" % (what, exc.error_code),
                             "set MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN for a user with EDIT on the model") from None
        raise TrackingServerError("%s failed on the tracking server: %s" % (what, str(exc.message).splitlines()[0][:300]),
                                  "nothing was promoted") from None


def holder(client: "MlflowClient", model: str, alias: str) -> Optional["ModelVersion"]:
    """The version holding ``alias`` now, or ``None`` (read from the registered model: search
    results may lack aliases, and an unset alias is an error of its own in MLflow)."""
    registered = tracking_call("model %s" % model, client.get_registered_model, model)
    version = (registered.aliases or {}).get(alias)
    return model_version(client, model, str(version)) if version is not None else None


def model_version(client: "MlflowClient", model: str, version: str) -> "ModelVersion":
    return tracking_call("model %s version %s" % (model, version), client.get_model_version, model, version)


def describe(client: "MlflowClient", version: "ModelVersion") -> Dict[str, Any]:
    """One version as the rules read it (``candidate`` and ``champion`` in the input document)."""
    where = "model %s version %s" % (version.name, version.version)
    run = tracking_call("the run of " + where, client.get_run, version.run_id, missing_ok=True) if version.run_id else None
    logged_id = version.model_id or _logged_model_id(version.source)
    logged = tracking_call("the logged model of " + where, client.get_logged_model, logged_id, missing_ok=True) if logged_id else None
    metrics: Dict[str, float] = dict(run.data.metrics) if run is not None else {}
    params: Dict[str, str] = dict(run.data.params) if run is not None else {}
    if logged is not None:
        latest = sorted(logged.metrics or [], key=lambda m: (m.step, m.timestamp))
        metrics.update({m.key: m.value for m in latest})
        params.update(logged.params or {})
    locations = [_model_location(version.source, logged, run)]
    if run is not None:
        locations.append(run.info.artifact_uri)
    return {
        "uri": "models:/%s/%s" % (version.name, version.version),
        "version": str(version.version),
        "status": version.status,
        "source": version.source,
        "run_id": version.run_id,
        "model_id": logged_id,
        "artifact_locations": sorted({location for location in locations if location}),
        "metrics": metrics,
        "params": params,
        "tags": dict(version.tags or {}),
        "aliases": sorted(version.aliases or []),
        "datasets": _datasets(run),
    }


def input_document(client: "MlflowClient", model: str, candidate: "ModelVersion", alias: str, target: str,
                   action: str, current: Optional["ModelVersion"], config: Dict[str, Any]) -> Dict[str, Any]:
    """The whole input document: the candidate, the current holder of the alias, the configuration."""
    return {
        "action": action,
        "model": model,
        "target": {"to": target, "alias": alias},
        "candidate": describe(client, candidate),
        "champion": describe(client, current) if current is not None else None,
        "config": config,
    }


def _logged_model_id(source: Optional[str]) -> Optional[str]:
    """MLflow 3 registers ``models:/m-<id>``, the logged model's URI."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/"):]:
        return source[len("models:/"):]
    return None


def _model_location(source: Optional[str], logged: Any, run: Any) -> Optional[str]:
    """Where the model's files are: the logged model's artifact location, a ``runs:/`` source resolved
    in its run's artifact root, or the source itself when it is a storage URI; else unknown."""
    if logged is not None:
        return logged.artifact_location
    if not source or source.startswith("models:/"):
        return None
    if source.startswith("runs:/"):
        run_id, _, path = source[len("runs:/"):].partition("/")
        if run is None or run.info.run_id != run_id:
            return None
        return run.info.artifact_uri.rstrip("/") + ("/" + path if path else "")
    return source


def _datasets(run: Any) -> List[Dict[str, Any]]:
    """The run's dataset inputs, each with the location its source names (``None`` when it names none)."""
    if run is None or run.inputs is None:
        return []
    found = []
    for item in run.inputs.dataset_inputs or []:
        dataset = item.dataset
        found.append({"name": dataset.name, "digest": dataset.digest, "source_type": dataset.source_type,
                      "location": _source_location(dataset.source),
                      "context": next((tag.value for tag in item.tags or [] if tag.key == "mlflow.data.context"), None)})
    return sorted(found, key=lambda d: (str(d["name"]), str(d["digest"])))


def _source_location(source: Optional[str]) -> Optional[str]:
    """The ``uri`` (or ``url``) a dataset source's JSON names; anything else is unknown."""
    try:
        parsed = json.loads(source or "")
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    for key in ("uri", "url"):
        if isinstance(parsed.get(key), str) and parsed[key]:
            return parsed[key]
    return None
