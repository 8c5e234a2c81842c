"""Stage 4: record the validation evidence on the model version, as tags the promotion gate requires.

Three kinds, each a ``validation.<kind>.status`` tag that ``sahab.yaml``'s
``promotion.required_evidence`` lists (SAHAB-PRM-005 denies a version without them), beside the
numbers it was decided on:

* ``holdout``: the holdout benchmark's metrics and the holdout's size and digest; ``passed`` when
  the holdout shares no row with the training data (checked again here, on what was logged).
* ``data_drift``: sahab's own drift detector (``sahab.drift.detect.detect_drift``, Evidently's
  ``DataDriftPreset``, as DriftMonitor runs it in production) between the training and holdout
  features: ``no-drift`` says the holdout represents the data the model was trained on, so its
  benchmark means something.
* ``fairness``: demographic-parity difference (gap in positive-prediction rate) and
  equal-opportunity difference (gap in true-positive rate) across the sensitive attribute,
  computed here with pandas (no fairness library is installed; fairlearn's
  ``demographic_parity_difference`` and ``equal_opportunity_difference`` are the same numbers);
  ``passed`` when both are at most :data:`MAX_FAIRNESS_GAP`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import pandas as pd
from mlflow import MlflowClient

from sahab.drift.detect import detect_drift

from .data import LABEL, ROW_ID, SENSITIVE, Split
from .train import Trained

PREFIX = "validation."
HOLDOUT, DRIFT, FAIRNESS = "holdout", "data_drift", "fairness"
MAX_FAIRNESS_GAP = 0.10


@dataclass(frozen=True)
class Fairness:
    demographic_parity_difference: float
    equal_opportunity_difference: float

    @property
    def passed(self) -> bool:
        return max(self.demographic_parity_difference, self.equal_opportunity_difference) <= MAX_FAIRNESS_GAP


def fairness_audit(labels: pd.Series, predictions: pd.Series, groups: pd.Series) -> Fairness:
    """The largest gap between groups in selection rate, and in true-positive rate."""
    frame = pd.DataFrame({"y": labels.to_numpy(), "p": predictions.to_numpy(), "g": groups.to_numpy()})
    selection = frame.groupby("g")["p"].mean()
    true_positive = frame[frame["y"] == 1].groupby("g")["p"].mean()
    if len(true_positive) < len(selection):
        raise ValueError("a group has no positive example, so its true-positive rate is undefined")
    return Fairness(float(selection.max() - selection.min()), float(true_positive.max() - true_positive.min()))


def evidence_tags(trained: Trained, split: Split, metrics: Dict[str, float]) -> Dict[str, str]:
    """Every evidence tag for ``trained``'s version (computed, not yet written)."""
    disjoint = not set(split.train[ROW_ID]) & set(split.holdout[ROW_ID])
    tags = {HOLDOUT + ".status": "passed" if disjoint else "failed", HOLDOUT + ".rows": str(len(split.holdout)),
            HOLDOUT + ".dataset": split.holdout_uri}
    tags.update({HOLDOUT + "." + name: "%.6g" % value for name, value in sorted(metrics.items())})

    features = list(trained.features)
    verdict = detect_drift(split.train[features], split.holdout[features]).verdict
    tags.update({DRIFT + ".status": "drift" if verdict.dataset_drift else "no-drift", DRIFT + ".share": "%.6g" % verdict.share,
                 DRIFT + ".drifted_columns": ",".join(verdict.drifted_columns),
                 DRIFT + ".methods": ",".join("%s:%s" % item for item in sorted(verdict.methods.items()))})

    predictions = pd.Series(trained.model.predict(split.holdout[features]))
    audit = fairness_audit(split.holdout[LABEL], predictions, split.holdout[SENSITIVE])
    tags.update({FAIRNESS + ".status": "passed" if audit.passed else "failed", FAIRNESS + ".attribute": SENSITIVE,
                 FAIRNESS + ".max_gap": "%g" % MAX_FAIRNESS_GAP,
                 FAIRNESS + ".demographic_parity_difference": "%.6g" % audit.demographic_parity_difference,
                 FAIRNESS + ".equal_opportunity_difference": "%.6g" % audit.equal_opportunity_difference})
    return {PREFIX + key: value for key, value in tags.items()}


def record(client: MlflowClient, model_name: str, trained: Trained, split: Split, metrics: Dict[str, float]) -> Dict[str, str]:
    """Write the evidence tags on the version; return them."""
    tags = evidence_tags(trained, split, metrics)
    for key, value in tags.items():
        client.set_model_version_tag(model_name, trained.version, key, value)
    return tags
