"""The rows waiting to be written: bounded, so logging never grows the pod's memory without limit.

Rows are grouped by UTC day and by schema (input names, datatypes, values per row), so every
Parquet file is one day's folder and one consistent table. ``max_rows`` bounds everything held,
including rows a failed flush gave back: when a request's rows do not fit, the whole request is
dropped and counted (never half a request), and serving goes on. Adding is a list extend under
a lock; the proxy never waits for the store.
"""
from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from .metrics import BUFFERED, ROWS_DROPPED, InferenceLogMetrics
from .tensors import Batch, Schema

Key = Tuple[datetime.date, Schema]


@dataclass
class Chunk:
    """The rows of one day and one schema, taken for a flush."""

    day: datetime.date
    schema: Schema
    columns: Dict[str, List[Any]]
    rows: int


class InputBuffer:
    """At most ``max_rows`` rows held; :attr:`ready` is set once ``flush_rows`` wait to be written."""

    def __init__(self, metrics: InferenceLogMetrics, *, max_rows: int, flush_rows: int) -> None:
        if not 1 <= flush_rows <= max_rows:
            raise ValueError("flush_rows must be between 1 and max_rows")
        self.metrics = metrics
        self.max_rows = max_rows
        self.flush_rows = flush_rows
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._chunks: Dict[Key, Chunk] = {}
        self._waiting = 0  # rows in _chunks
        self._held = 0     # rows in _chunks and in flushes under way

    def add(self, day: datetime.date, batch: Batch) -> bool:
        """Keep the request's rows, or drop and count them all when they do not fit."""
        if batch.rows == 0:
            return True
        with self._lock:
            if self._held + batch.rows > self.max_rows:
                self.metrics.count(ROWS_DROPPED, batch.rows)
                return False
            chunk = self._chunks.get((day, batch.schema))
            if chunk is None:
                chunk = self._chunks[(day, batch.schema)] = Chunk(day, batch.schema, {name: [] for name, _, _ in batch.schema}, 0)
            for name, values in batch.columns.items():
                chunk.columns[name].extend(values)
            chunk.rows += batch.rows
            self._waiting += batch.rows
            self._held += batch.rows
            self.metrics.set(BUFFERED, self._held)
            if self._waiting >= self.flush_rows:
                self.ready.set()
        return True

    def take(self) -> List[Chunk]:
        """Everything waiting; the rows stay counted against ``max_rows`` until :meth:`done`."""
        with self._lock:
            chunks = list(self._chunks.values())
            self._chunks, self._waiting = {}, 0
            self.ready.clear()
        return chunks

    def done(self, chunk: Chunk) -> None:
        """The chunk is in the store: its rows no longer count."""
        with self._lock:
            self._held -= chunk.rows
            self.metrics.set(BUFFERED, self._held)

    def give_back(self, chunk: Chunk) -> None:
        """A chunk whose write failed waits again, ahead of rows that arrived since."""
        with self._lock:
            later = self._chunks.pop((chunk.day, chunk.schema), None)
            if later is not None:
                for name, values in later.columns.items():
                    chunk.columns[name].extend(values)
                chunk.rows += later.rows
                self._waiting -= later.rows
            self._chunks = {(chunk.day, chunk.schema): chunk, **self._chunks}
            self._waiting += chunk.rows
