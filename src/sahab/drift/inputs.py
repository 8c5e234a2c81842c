"""The recent inference inputs of one model version, from the artifact store.

Layout (the contract between whatever logs a model's inputs and the drift job)::

    <inputs_uri>/<model>/<version>/<YYYY-MM-DD>/<any name>.parquet

one folder per UTC day, Parquet files with one row per inference request and one column per model
input (under the reference data's column names; extra columns such as a request id or timestamp
are ignored). A check reads the folders of the last ``window_days`` days, today included; files
of other types are skipped. The store is reached through MLflow's artifact repositories
(``s3://``, ``wasbs://``, ``file://``...), so the pod's workload identity is the only credential:
boto3's web-identity chain on EKS, ``DefaultAzureCredential`` on AKS.

MLServer does not write these files by itself: :mod:`sahab.inference_log`, the sidecar
``ModelServing(input_logging=...)`` runs in front of MLServer, writes them (REST V2 inference
requests only; docs/components-kubernetes.md, "Model drift"). A model served without it finds no
inputs and reports no verdict, which the stale-check alert makes visible.
"""
from __future__ import annotations

import datetime
import posixpath
import re
import tempfile
from pathlib import Path
from typing import List

import pandas as pd

from .errors import DriftDataError

PARQUET = ".parquet"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


def day_folders(model: str, version: str, window_days: int, today: datetime.date) -> List[str]:
    """The relative folders a check reads, newest first."""
    for name, value in (("model", model), ("version", version)):
        if not _SEGMENT.match(value or "") or value in (".", ".."):
            raise DriftDataError("%s %r cannot name a folder of the inputs layout" % (name, value))
    if window_days < 1:
        raise DriftDataError("window_days must be at least 1, got %d" % window_days)
    return [posixpath.join(model, version, (today - datetime.timedelta(days=back)).isoformat())
            for back in range(window_days)]


def read_inputs(inputs_uri: str, model: str, version: str, *, window_days: int,
                today: datetime.date) -> pd.DataFrame:
    """Every Parquet file of the window, concatenated; none at all is an error, not an empty pass."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repository = get_artifact_repository(inputs_uri.rstrip("/"))
    frames: List[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="sahab-drift-") as scratch:
        for folder in day_folders(model, version, window_days, today):
            for entry in repository.list_artifacts(folder):
                if entry.is_dir or not entry.path.endswith(PARQUET):
                    continue
                local = repository.download_artifacts(entry.path, dst_path=scratch)
                frames.append(pd.read_parquet(local))
                Path(local).unlink()
    if not frames:
        raise DriftDataError(
            "no inference inputs for %s version %s in the last %d day(s) under %s" % (model, version, window_days, inputs_uri),
            "log the served model's inputs as <inputs_uri>/<model>/<version>/<YYYY-MM-DD>/*.parquet")
    return pd.concat(frames, ignore_index=True)
