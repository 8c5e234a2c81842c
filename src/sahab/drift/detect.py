"""Data drift between a model version's reference data and its recent inputs, judged by Evidently.

Evidently 0.7.23's ``DataDriftPreset`` picks a statistical test per column (Kolmogorov-Smirnov or
chi-squared/Z-test on small samples, Wasserstein or Jensen-Shannon distance on large ones) and
decides each column's drift; the dataset drifts when the share of drifted columns reaches
``drift_share``. The verdict here is Evidently's own (its per-column and share tests), read back
from the report rather than recomputed, so the HTML report a person opens and the metric an alert
fires on cannot disagree.

Columns are typed from the reference data: numbers are numerical, strings, categories and
booleans categorical; any other type (dates, nested values) is refused by name, since a column
Evidently silently skipped would read as "not drifted". Too few rows on either side is refused
too: no evidence is not a pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Tuple

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.presets import DataDriftPreset

from ..errors import SahabError
from .errors import DriftDataError

DEFAULT_DRIFT_SHARE = 0.5
DEFAULT_MIN_ROWS = 100
_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
_DRIFTED_COLUMNS = "evidently:metric_v2:DriftedColumnsCount"


@dataclass(frozen=True)
class DriftVerdict:
    """What one check found: ``share`` of the ``columns`` drifted (``drifted_columns``), each
    column's drift ``scores`` (a p-value or a distance, per ``methods``) and whether the dataset
    drifted (``share >= drift_share``, Evidently's test)."""

    drift_share: float
    share: float
    dataset_drift: bool
    columns: Tuple[str, ...]
    drifted_columns: Tuple[str, ...]
    scores: Mapping[str, float]
    methods: Mapping[str, str]
    reference_rows: int
    current_rows: int


@dataclass(frozen=True)
class DriftCheck:
    """The verdict and Evidently's report it was read from (``html()``/``json()`` for the store)."""

    verdict: DriftVerdict
    snapshot: Snapshot

    def html(self) -> str:
        return self.snapshot.get_html_str(as_iframe=False)

    def json(self) -> str:
        return self.snapshot.json()


def data_definition(reference: pd.DataFrame) -> DataDefinition:
    """Numerical and categorical columns from the reference's types; any other type is refused."""
    numerical: List[str] = []
    categorical: List[str] = []
    for column, dtype in reference.dtypes.items():
        if not isinstance(column, str):
            raise DriftDataError("reference column %r is not named by a string" % (column,),
                                 "name every feature column of the reference data")
        if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype) \
                or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            categorical.append(column)
        elif pd.api.types.is_numeric_dtype(dtype):
            numerical.append(column)
        else:
            raise DriftDataError("reference column %r has type %s, which drift detection cannot judge" % (column, dtype),
                                 "drop it from the reference data or convert it to a number or a category")
    return DataDefinition(numerical_columns=numerical, categorical_columns=categorical)


def _require_rows(side: str, frame: pd.DataFrame, min_rows: int) -> None:
    if len(frame) < min_rows:
        raise DriftDataError("%s data has %d rows, fewer than the %d a verdict needs" % (side, len(frame), min_rows),
                             "wait for more inputs or lower min_rows; until then the check reports no verdict")


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, *, drift_share: float = DEFAULT_DRIFT_SHARE,
                 min_rows: int = DEFAULT_MIN_ROWS) -> DriftCheck:
    """Compare ``current`` with ``reference`` on the reference's columns (extra input columns,
    such as a request id or timestamp, are ignored; a missing one is an error)."""
    if not 0 < drift_share <= 1:
        raise DriftDataError("drift_share %r must be a share above 0 and at most 1" % (drift_share,))
    if reference.columns.empty:
        raise DriftDataError("the reference data has no columns", "log the model's input features as its reference")
    missing = [column for column in reference.columns if column not in current.columns]
    if missing:
        raise DriftDataError("the inference inputs lack the reference column(s) %s" % ", ".join(map(str, missing)),
                             "log every feature the model takes, under the reference's column names")
    _require_rows("reference", reference, min_rows)
    _require_rows("current", current, min_rows)
    definition = data_definition(reference)
    current = current[list(reference.columns)]
    snapshot = Report([DataDriftPreset(drift_share=drift_share)], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition))
    return DriftCheck(_verdict(snapshot.dict(), drift_share, tuple(reference.columns), len(reference), len(current)), snapshot)


def _verdict(report: Mapping, drift_share: float, columns: Tuple[str, ...], reference_rows: int,
             current_rows: int) -> DriftVerdict:
    """Read Evidently's own results back: per-column scores and tests, the share and its test."""
    scores: Dict[str, float] = {}
    methods: Dict[str, str] = {}
    share = None
    for metric in report["metrics"]:
        config = metric["config"]
        if config["type"] == _VALUE_DRIFT:
            scores[config["column"]] = float(metric["value"])
            methods[config["column"]] = config["method"]
        elif config["type"] == _DRIFTED_COLUMNS:
            share = float(metric["value"]["share"])
    drifted, dataset_drift = [], None
    for test in report["tests"]:
        params = test["metric_config"]["params"]
        if params["type"] == _VALUE_DRIFT and test["status"] == "FAIL":
            drifted.append(params["column"])
        elif params["type"] == _DRIFTED_COLUMNS:
            dataset_drift = test["status"] == "FAIL"
    if share is None or dataset_drift is None or set(scores) != set(columns) or not set(drifted) <= set(columns):
        # Evidently's report lacks a result sahab reads: never guess a verdict from a partial report.
        raise SahabError("Evidently's report has no complete drift result for columns %s" % ", ".join(columns),
                         "check the evidently version (sahab[drift] pins 0.7.23)")
    ordered = tuple(column for column in columns if column in drifted)
    return DriftVerdict(drift_share=drift_share, share=share, dataset_drift=dataset_drift, columns=columns,
                        drifted_columns=ordered, scores=scores, methods=methods, reference_rows=reference_rows,
                        current_rows=current_rows)
