"""Stage 2: train a tiny scikit-learn model and register it as a new version of the model.

On the platform this is the RayJob on the GPU pool (pipelines/github/ml-pipeline.yml, job
``train``); here a logistic regression on the CPU. What matters for the promotion gate is the
same: one MLflow run holds the model, its parameters and its training data as a dataset input
(with the location it was read from, judged by SAHAB-PRM-004), and the registered version points
at that run. The features are also logged as the drift reference (``sahab.drift.log_reference``)
that DriftMonitor compares production inputs with once the version serves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import mlflow
import sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

from sahab.drift.registry import log_reference

from .data import LABEL, Split


@dataclass(frozen=True)
class Trained:
    model: LogisticRegression
    features: Sequence[str]
    version: str
    run_id: str
    model_uri: str


def train(split: Split, model_name: str, experiment_id: str, features: Sequence[str], run_name: str) -> Trained:
    """Fit on the training split, log everything in one run, register the model version."""
    frame = split.train
    model = LogisticRegression(max_iter=200).fit(frame[list(features)], frame[LABEL])
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.log_params({"model": "LogisticRegression", "features": ",".join(features), "train_rows": len(frame)})
        mlflow.log_input(mlflow.data.from_pandas(frame, source=split.train_uri, name="train", targets=LABEL), context="training")
        log_reference(frame[list(features)])
        signature = infer_signature(frame[list(features)], model.predict(frame[list(features)]))
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=model_name, signature=signature,
                                        # pinned here, so MLflow does not infer them by importing the model in a child
                                        pip_requirements=["scikit-learn==%s" % sklearn.__version__])
    return Trained(model, tuple(features), str(info.registered_model_version), run.info.run_id, info.model_uri)
