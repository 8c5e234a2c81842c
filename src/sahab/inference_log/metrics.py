"""The input logger's counters, served as Prometheus text on its own port (``/metrics``).

Every series is labelled ``model``. Logging is best effort by design, so these are how a person
sees what it lost: rows dropped because the buffer was full, flushes that failed, requests not
logged (by ``reason``). Names and numbers only, never a payload. Stdlib only: the ModelServing
component imports the names for its alert rules.
"""
from __future__ import annotations

import threading
from typing import Dict, List, Optional, Tuple

from sahab.drift.metrics import labels_text

ROWS_LOGGED = "sahab_inference_log_rows_logged_total"
ROWS_DROPPED = "sahab_inference_log_rows_dropped_total"
FILES_WRITTEN = "sahab_inference_log_files_written_total"
FLUSH_FAILURES = "sahab_inference_log_flush_failures_total"
UNLOGGED = "sahab_inference_log_requests_unlogged_total"
BUFFERED = "sahab_inference_log_buffered_rows"
LAST_FLUSH = "sahab_inference_log_last_flush_timestamp_seconds"
# Why a forwarded request was not logged (the ``reason`` label of UNLOGGED).
MALFORMED = "malformed"            # not a V2 inference request the logger can read
TOO_LARGE = "too_large"            # body over the logger's size limit
OTHER_MODEL = "other_model"        # the path names a model this pod does not serve
UPSTREAM_STATUS = "upstream_status"  # MLServer answered with an error: the input was not served
UPSTREAM_DOWN = "upstream_unreachable"
# Why a flush failed (the ``reason`` label of FLUSH_FAILURES).
VERSION = "version"  # the served model version could not be resolved yet
STORE = "store"      # the artifact store refused or could not be reached
_HELP = {
    ROWS_LOGGED: ("counter", "Input rows written to the artifact store."),
    ROWS_DROPPED: ("counter", "Input rows dropped because the buffer was full."),
    FILES_WRITTEN: ("counter", "Parquet files written to the artifact store."),
    FLUSH_FAILURES: ("counter", "Flushes that failed (the rows stay buffered and are retried), by reason."),
    UNLOGGED: ("counter", "Requests forwarded to the model server but not logged, by reason."),
    BUFFERED: ("gauge", "Input rows held in memory, waiting to be written."),
    LAST_FLUSH: ("gauge", "Unix time of the latest flush that wrote its rows."),
}


class InferenceLogMetrics:
    """Counters of one model's input logger; safe across the proxy's and the flusher's threads."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._counters: Dict[Tuple[str, Optional[str]], float] = {}
        self._gauges: Dict[str, float] = {BUFFERED: 0.0}

    def count(self, name: str, amount: float = 1, reason: Optional[str] = None) -> None:
        with self._lock:
            self._counters[(name, reason)] = self._counters.get((name, reason), 0) + amount

    def set(self, name: str, value: float) -> None:
        with self._lock:
            self._gauges[name] = value

    def value(self, name: str, reason: Optional[str] = None) -> float:
        """The current value of one series (0 when never counted)."""
        with self._lock:
            return self._counters.get((name, reason), self._gauges.get(name, 0.0) if reason is None else 0.0)

    def render(self) -> str:
        model = (("model", self.model),)
        lines: List[str] = []
        with self._lock:
            for name, (kind, text) in _HELP.items():
                lines += ["# HELP %s %s" % (name, text), "# TYPE %s %s" % (name, kind)]
                if kind == "gauge":
                    if name in self._gauges:
                        lines.append("%s%s %r" % (name, labels_text(model), float(self._gauges[name])))
                    continue
                series = sorted((reason or "", value) for (key, reason), value in self._counters.items() if key == name)
                if not series and name in (ROWS_LOGGED, ROWS_DROPPED, FILES_WRITTEN):
                    series = [("", 0.0)]  # present from the start, so rate() and increase() see the first event
                for reason, value in series:
                    labels = model + ((("reason", reason),) if reason else ())
                    lines.append("%s%s %r" % (name, labels_text(labels), float(value)))
        return "\n".join(lines) + "\n"
