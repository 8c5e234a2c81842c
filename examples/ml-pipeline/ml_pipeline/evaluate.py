"""Stage 3: evaluate the trained model on the holdout split and log the metrics on its run.

The metrics are what the promotion gate's SAHAB-PRM-001 (thresholds) and SAHAB-PRM-002 (no
regression against the version holding the alias) read; the holdout is logged as the run's
``evaluation`` dataset, so its location is judged by SAHAB-PRM-004 like the training data's.
"""
from __future__ import annotations

from typing import Dict

import mlflow
from sklearn.metrics import accuracy_score, roc_auc_score

from .data import LABEL, Split
from .train import Trained

ACCURACY = "holdout_accuracy"
ROC_AUC = "holdout_roc_auc"


def evaluate(trained: Trained, split: Split) -> Dict[str, float]:
    holdout = split.holdout
    features = holdout[list(trained.features)]
    metrics = {ACCURACY: float(accuracy_score(holdout[LABEL], trained.model.predict(features))),
               ROC_AUC: float(roc_auc_score(holdout[LABEL], trained.model.predict_proba(features)[:, 1]))}
    with mlflow.start_run(run_id=trained.run_id):
        mlflow.log_input(mlflow.data.from_pandas(holdout, source=split.holdout_uri, name="holdout", targets=LABEL), context="evaluation")
        mlflow.log_metrics(metrics)
    return metrics
