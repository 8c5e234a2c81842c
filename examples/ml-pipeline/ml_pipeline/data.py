"""Stage 1: generate a tabular data set, split it, validate it, and write it to the store.

The data is synthetic (numpy): four numeric features decide a binary label through a fixed linear
rule plus noise, and a sensitive attribute ``group`` (a/b) is drawn independently of them. The
model never sees ``group``; the fairness audit (:mod:`.evidence`) measures its outcomes across it.
Validation checks what a training job would otherwise fail on, or silently learn from: the schema,
missing values, the label's values, both groups present, enough rows, and a holdout that shares
no row with the training data (else the holdout benchmark measures memory, not generalisation).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

import numpy as np
import pandas as pd

FEATURES: Tuple[str, ...] = ("tenure", "monthly_spend", "support_calls", "usage_hours")
SENSITIVE = "group"
LABEL = "label"
ROW_ID = "row_id"
GROUPS = ("a", "b")
_WEIGHTS = np.array([1.2, -0.9, 1.5, -1.1])
_NOISE = 0.6
MIN_ROWS = 500


class DataValidationError(Exception):
    """The data fails a check: the pipeline stops before anything is trained."""


@dataclass(frozen=True)
class Split:
    """The training and holdout frames and where each was written (their dataset sources)."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    train_uri: str
    holdout_uri: str


def generate(rows: int, seed: int, first_id: int = 0) -> pd.DataFrame:
    """``rows`` rows of features, sensitive attribute and label, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, len(FEATURES)))
    frame = pd.DataFrame(features, columns=list(FEATURES))
    frame.insert(0, ROW_ID, np.arange(first_id, first_id + rows))
    frame[SENSITIVE] = rng.choice(GROUPS, size=rows)
    frame[LABEL] = (features @ _WEIGHTS + rng.normal(scale=_NOISE, size=rows) > 0).astype(int)
    return frame


def validate(frame: pd.DataFrame, name: str) -> None:
    """Raise :class:`DataValidationError` naming the first check ``frame`` fails."""
    expected = [ROW_ID, *FEATURES, SENSITIVE, LABEL]
    if list(frame.columns) != expected:
        raise DataValidationError("%s: columns are %s, expected %s" % (name, list(frame.columns), expected))
    if len(frame) < MIN_ROWS:
        raise DataValidationError("%s: %d rows, fewer than %d" % (name, len(frame), MIN_ROWS))
    non_numeric = [c for c in FEATURES if not pd.api.types.is_float_dtype(frame[c])]
    if non_numeric:
        raise DataValidationError("%s: feature(s) %s are not numbers" % (name, ", ".join(non_numeric)))
    missing = [c for c in expected if frame[c].isna().any()]
    if missing:
        raise DataValidationError("%s: missing values in %s" % (name, ", ".join(missing)))
    if not np.isfinite(frame[list(FEATURES)].to_numpy()).all():
        raise DataValidationError("%s: a feature is infinite" % name)
    labels = set(frame[LABEL].unique())
    if not labels <= {0, 1} or len(labels) < 2:
        raise DataValidationError("%s: label values %s, expected both 0 and 1" % (name, sorted(labels)))
    groups = set(frame[SENSITIVE].unique())
    if groups != set(GROUPS):
        raise DataValidationError("%s: %s values %s, expected %s" % (name, SENSITIVE, sorted(groups), list(GROUPS)))
    if frame[ROW_ID].duplicated().any():
        raise DataValidationError("%s: duplicate %s values" % (name, ROW_ID))


def validate_split(train: pd.DataFrame, holdout: pd.DataFrame) -> None:
    validate(train, "training data")
    validate(holdout, "holdout data")
    shared = set(train[ROW_ID]) & set(holdout[ROW_ID])
    if shared:
        raise DataValidationError("the holdout shares %d row(s) with the training data" % len(shared))


def prepare(store: Path, run_name: str, seed: int, train_rows: int = 2000, holdout_rows: int = 1000) -> Split:
    """Generate, validate, and write the split under ``store/data/<run_name>/`` as Parquet."""
    data = generate(train_rows + holdout_rows, seed)
    train, holdout = data.iloc[:train_rows].reset_index(drop=True), data.iloc[train_rows:].reset_index(drop=True)
    validate_split(train, holdout)
    folder = store / "data" / run_name
    folder.mkdir(parents=True, exist_ok=True)
    train.to_parquet(folder / "train.parquet", index=False)
    holdout.to_parquet(folder / "holdout.parquet", index=False)
    return Split(train, holdout, (folder / "train.parquet").as_uri(), (folder / "holdout.parquet").as_uri())
