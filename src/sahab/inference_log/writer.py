"""The flush loop: buffered rows to Parquet files in the drift job's layout, through MLflow.

Each flush writes one file per (day, schema) chunk to
``<inputs_uri>/<model>/<version>/<YYYY-MM-DD>/<pod>-<YYYYmmddTHHMMSSZ>-<seq>.parquet``
(:func:`sahab.drift.inputs.day_folders` names the folder, so writer and reader share one
definition). The store is MLflow's artifact repository for ``inputs_uri`` (``s3://`` through
boto3's web-identity chain, ``wasbs://`` through ``DefaultAzureCredential``, ``file://``), the
same way the drift job reads, so the pod's workload identity is the only credential.

A flush runs every ``interval`` seconds, or sooner once ``flush_rows`` rows wait. A chunk that
fails to write is given back to the buffer, counted, and retried after the next interval (not at
once: a store that is down is not hammered); meanwhile the buffer's bound drops new rows. An
exception never leaves the loop. The version is resolved once (an alias as MLServer resolved it
when the pod started, within the same seconds); until it is, flushes fail with reason ``version``.
"""
from __future__ import annotations

import datetime
import itertools
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from sahab.drift.inputs import PARQUET, day_folders

from .buffer import Chunk, InputBuffer
from .metrics import FILES_WRITTEN, FLUSH_FAILURES, LAST_FLUSH, ROWS_LOGGED, STORE, VERSION, InferenceLogMetrics

LOG = logging.getLogger("sahab.inference_log")
# V2 datatypes as Parquet columns; FP16 widens to float32 (pandas has no half-float columns).
ARROW_TYPES = {
    "BOOL": pa.bool_(), "BYTES": pa.string(),
    "INT8": pa.int8(), "INT16": pa.int16(), "INT32": pa.int32(), "INT64": pa.int64(),
    "UINT8": pa.uint8(), "UINT16": pa.uint16(), "UINT32": pa.uint32(), "UINT64": pa.uint64(),
    "FP16": pa.float32(), "FP32": pa.float32(), "FP64": pa.float64(),
}


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def table(chunk: Chunk) -> pa.Table:
    """The chunk as an Arrow table typed from the V2 datatypes (a list column when a row holds several values)."""
    columns = {}
    for name, datatype, width in chunk.schema:
        kind = ARROW_TYPES[datatype]
        columns[name] = pa.array(chunk.columns[name], type=kind if width == 1 else pa.list_(kind))
    return pa.table(columns)


class ParquetWriter:
    """Writes the buffer's chunks for one model; ``version`` returns the served version's number."""

    def __init__(self, buffer: InputBuffer, metrics: InferenceLogMetrics, *, inputs_uri: str, model: str,
                 version: Callable[[], str], pod: str, clock: Callable[[], datetime.datetime] = utc_now) -> None:
        self.buffer = buffer
        self.metrics = metrics
        self.inputs_uri = inputs_uri.rstrip("/")
        self.model = model
        self.pod = pod
        self.clock = clock
        self._resolve = version
        self._version: Optional[str] = None
        self._repository: Any = None
        self._sequence = itertools.count(1)

    def version(self) -> Optional[str]:
        """The served version, resolved once; None (and a counted failure) while it cannot be."""
        if self._version is None:
            try:
                self._version = str(self._resolve())
                LOG.info("logging the inputs of %s version %s under %s", self.model, self._version, self.inputs_uri)
            except Exception as error:  # noqa: BLE001 (the registry may be unreachable for now: retried)
                self.metrics.count(FLUSH_FAILURES, reason=VERSION)
                LOG.warning("cannot resolve the served version of %s yet: %s", self.model, _one_line(error))
        return self._version

    def flush(self) -> bool:
        """Write everything waiting; True when nothing failed."""
        version = self.version()
        if version is None:
            return False
        ok = True
        for chunk in self.buffer.take():
            try:
                self._write(chunk, version)
            except Exception as error:  # noqa: BLE001 (never crash the sidecar; the rows wait for the next flush)
                ok = False
                self.buffer.give_back(chunk)
                self.metrics.count(FLUSH_FAILURES, reason=STORE)
                LOG.warning("writing %d input rows of %s failed (kept for the next flush): %s",
                            chunk.rows, self.model, _one_line(error))
                continue
            self.buffer.done(chunk)
            self.metrics.count(ROWS_LOGGED, chunk.rows)
            self.metrics.count(FILES_WRITTEN)
            self.metrics.set(LAST_FLUSH, self.clock().timestamp())
        return ok

    def run(self, stop: threading.Event, interval_seconds: float) -> None:
        """Flush every ``interval_seconds`` or when the buffer is ready, until ``stop``; then a last flush."""
        self.version()
        while not stop.is_set():
            self.buffer.ready.wait(interval_seconds)
            if stop.is_set():
                break
            if not self.flush():
                stop.wait(interval_seconds)
        self.flush()

    def _write(self, chunk: Chunk, version: str) -> None:
        if self._repository is None:
            from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

            self._repository = get_artifact_repository(self.inputs_uri)
        folder = day_folders(self.model, version, 1, chunk.day)[0]
        name = "%s-%s-%06d%s" % (self.pod, self.clock().strftime("%Y%m%dT%H%M%SZ"), next(self._sequence), PARQUET)
        with tempfile.TemporaryDirectory(prefix="sahab-inputs-") as scratch:
            path = Path(scratch) / name
            pq.write_table(table(chunk), path)
            self._repository.log_artifact(str(path), folder)


def _one_line(error: BaseException) -> str:
    text = str(error).splitlines()
    return "%s: %s" % (type(error).__name__, text[0] if text else "")
