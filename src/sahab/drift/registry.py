"""The MLflow side of a drift check: the model version's reference data in, the verdict out.

Conventions (docs/components-kubernetes.md, "Model drift"):

* **Reference data** is the artifact :data:`REFERENCE_ARTIFACT` of the run that produced the model
  version: a Parquet file of the model's input features, usually a sample of its training or
  validation inputs. Training code logs it with :func:`log_reference` in the same run as the
  model. A version without it cannot be checked, and the check says so.
* **The verdict** goes to the model version as tags (``sahab.drift.*``: status, share, drifted
  columns, time, and the run holding the report) and to a run of the experiment
  ``sahab-drift/<model>`` with the numbers as metrics (a history per version) and Evidently's
  report (HTML and JSON) as artifacts, which the tracking server stores in the artifact store.

The job logs in as a registry user with ``EDIT`` on the served models (tags on their versions)
and ``READ`` on the experiments holding them (the reference artifact); it creates its own
experiment, which MLflow's basic-auth makes it the manager of. It holds no storage credentials
for any of this: the tracking server proxies the artifacts.
"""
from __future__ import annotations

import datetime
import json
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

import pandas as pd

from .errors import DriftDataError

if TYPE_CHECKING:  # mlflow is imported where it is used: the drift extra, not the gate, needs it
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

    # Evidently only for the type: the input logger resolves versions here without importing it.
    from .detect import DriftCheck

REFERENCE_ARTIFACT = "sahab-drift/reference.parquet"
EXPERIMENT_PREFIX = "sahab-drift/"
TAG_PREFIX = "sahab.drift."
# MLflow's metric-name alphabet; a column name outside it gets no per-column metric (it stays in
# the report and in the drifted-columns tag).
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_.\- /]{1,200}$")
_MODEL_URI = re.compile(r"^models:/(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]{0,254})(/(?P<version>[1-9]\d*)|@(?P<alias>[A-Za-z0-9_-]{1,255}))$")
_TAG_LIMIT = 5000  # MLflow's model version tag value limit


@dataclass(frozen=True)
class Published:
    """Where a check's results went: the run with the report, and the model version it judged."""

    run_id: str
    model: str
    version: str
    report_uri: str


def parse_model_uri(model_uri: str) -> "re.Match[str]":
    """``models:/<name>/<version>`` or ``models:/<name>@<alias>`` (groups name, version, alias)."""
    match = _MODEL_URI.match(model_uri or "")
    if match is None:
        raise DriftDataError("model URI %r is not models:/<name>/<version> or models:/<name>@<alias>" % (model_uri,))
    return match


def resolve_version(client: "MlflowClient", model_uri: str) -> "ModelVersion":
    """The version the URI names now (an alias is resolved on every check, as the model server
    resolves it on every start)."""
    match = parse_model_uri(model_uri)
    if match.group("alias"):
        return client.get_model_version_by_alias(match.group("name"), match.group("alias"))
    return client.get_model_version(match.group("name"), match.group("version"))


def log_reference(frame: pd.DataFrame, run_id: Optional[str] = None) -> None:
    """Log ``frame`` (the model's input features) as the reference data of ``run_id``, or of the
    active run: call it in the run that logs the model, before registering the version."""
    import mlflow

    if frame.empty or frame.columns.empty:
        raise DriftDataError("the reference data is empty", "log a sample of the model's training or validation inputs")
    folder, name = REFERENCE_ARTIFACT.rsplit("/", 1)
    with tempfile.TemporaryDirectory(prefix="sahab-drift-") as scratch:
        path = Path(scratch) / name
        frame.to_parquet(path, index=False)
        if run_id is None:
            mlflow.log_artifact(str(path), folder)
        else:
            mlflow.MlflowClient().log_artifact(run_id, str(path), folder)


def load_reference(client: "MlflowClient", version: "ModelVersion") -> pd.DataFrame:
    """The reference data of ``version``'s run, downloaded through the tracking server."""
    where = "%s version %s" % (version.name, version.version)
    if not version.run_id:
        raise DriftDataError("%s was registered without a run, so it has no reference data" % where,
                             "log the model and sahab.drift.log_reference(...) in one run, then register it")
    folder = REFERENCE_ARTIFACT.rsplit("/", 1)[0]
    if REFERENCE_ARTIFACT not in {entry.path for entry in client.list_artifacts(version.run_id, folder)}:
        raise DriftDataError("%s has no reference data (%s in run %s)" % (where, REFERENCE_ARTIFACT, version.run_id),
                             "log it with sahab.drift.log_reference(...) in the run that logged the model")
    with tempfile.TemporaryDirectory(prefix="sahab-drift-") as scratch:
        return pd.read_parquet(client.download_artifacts(version.run_id, REFERENCE_ARTIFACT, scratch))


def _experiment_id(client: "MlflowClient", model: str) -> str:
    name = EXPERIMENT_PREFIX + model
    experiment = client.get_experiment_by_name(name)
    return experiment.experiment_id if experiment is not None else client.create_experiment(name)


def verdict_tags(check: DriftCheck, checked_at: datetime.datetime, run_id: str) -> Dict[str, str]:
    """The model version's ``sahab.drift.*`` tags (what a pipeline reads to decide on retraining)."""
    verdict = check.verdict
    drifted = ",".join(verdict.drifted_columns)
    return {
        TAG_PREFIX + "status": "drift" if verdict.dataset_drift else "no-drift",
        TAG_PREFIX + "share": "%.6g" % verdict.share,
        TAG_PREFIX + "drifted_columns": drifted if len(drifted) <= _TAG_LIMIT else drifted[:_TAG_LIMIT - 3] + "...",
        TAG_PREFIX + "checked_at": checked_at.isoformat(timespec="seconds"),
        TAG_PREFIX + "run_id": run_id,
    }


def publish(client: "MlflowClient", version: "ModelVersion", check: DriftCheck, *,
            checked_at: datetime.datetime, settings: Dict[str, Any]) -> Published:
    """The report and metrics as a run of ``sahab-drift/<model>``, then the tags on the version."""
    verdict = check.verdict
    run = client.create_run(_experiment_id(client, version.name), start_time=int(checked_at.timestamp() * 1000),
                            tags={TAG_PREFIX + "model": version.name, TAG_PREFIX + "model_version": str(version.version)},
                            run_name="%s-v%s-%s" % (version.name, version.version, checked_at.strftime("%Y%m%dT%H%M%SZ")))
    run_id = run.info.run_id
    try:
        for key, value in sorted(settings.items()):
            client.log_param(run_id, key, value)
        metrics = {"drift_share": verdict.share, "drifted_columns": len(verdict.drifted_columns),
                   "dataset_drift": float(verdict.dataset_drift), "reference_rows": verdict.reference_rows,
                   "current_rows": verdict.current_rows}
        metrics.update({"drift_score/%s" % column: score for column, score in verdict.scores.items()
                        if _METRIC_NAME.match("drift_score/%s" % column)})
        for key, value in sorted(metrics.items()):
            client.log_metric(run_id, key, float(value))
        with tempfile.TemporaryDirectory(prefix="sahab-drift-") as scratch:
            folder = Path(scratch)
            (folder / "report.html").write_text(check.html(), encoding="utf-8")
            (folder / "report.json").write_text(check.json(), encoding="utf-8")
            (folder / "verdict.json").write_text(json.dumps(asdict(verdict), sort_keys=True, indent=2), encoding="utf-8")
            client.log_artifacts(run_id, scratch, "report")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    for key, value in verdict_tags(check, checked_at, run_id).items():
        client.set_model_version_tag(version.name, str(version.version), key, value)
    return Published(run_id=run_id, model=version.name, version=str(version.version),
                     report_uri="%s/report/report.html" % run.info.artifact_uri)
