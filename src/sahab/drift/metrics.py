"""The drift metric Prometheus scrapes from the job's pod (``/metrics``, text format 0.0.4).

There is no Pushgateway in the platform, so the job is a long-running pod with an internal
schedule that serves the results of its latest check (docs/decisions.md, 2026-12-03 "Model
drift"). Series, each labelled ``model`` (and ``version``, the version judged):

* ``sahab_model_drift_share``: share of the reference's columns that drifted (0..1);
* ``sahab_model_drift_detected``: 1 when the share reached the threshold (Evidently's verdict);
* ``sahab_model_drift_columns``: how many columns drifted;
* ``sahab_model_drift_last_success_timestamp_seconds``: when a check last gave a verdict;
* ``sahab_model_drift_check_failures_total``: checks that gave none (no inputs, too few rows,
  no reference, an error), counted by ``reason``;
* ``sahab_drift_retrain_dispatch_failures_total``: retraining dispatches GitHub did not accept
  (:mod:`.retrain`; present once one failed).

A version's series are dropped when the model's alias moves to another version, so an alert
never fires on a version that no longer serves. Nothing here is secret: names and numbers only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Dict, List, Optional, Protocol, Tuple

if TYPE_CHECKING:  # the component imports the metric names from here without pandas or Evidently
    from .detect import DriftVerdict

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SHARE = "sahab_model_drift_share"
DETECTED = "sahab_model_drift_detected"
COLUMNS = "sahab_model_drift_columns"
LAST_SUCCESS = "sahab_model_drift_last_success_timestamp_seconds"
FAILURES = "sahab_model_drift_check_failures_total"
DISPATCH_FAILURES = "sahab_drift_retrain_dispatch_failures_total"
_HELP = {
    SHARE: ("gauge", "Share of the reference data's columns that drifted in the latest check."),
    DETECTED: ("gauge", "1 when the latest check found dataset drift (share at or above the threshold)."),
    COLUMNS: ("gauge", "Number of columns that drifted in the latest check."),
    LAST_SUCCESS: ("gauge", "Unix time of the latest check that gave a verdict."),
    FAILURES: ("counter", "Checks that gave no verdict, by reason."),
    DISPATCH_FAILURES: ("counter", "Retraining dispatches to GitHub that failed (retried at the next check)."),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels_text(labels: Tuple[Tuple[str, str], ...]) -> str:
    return "{%s}" % ",".join('%s="%s"' % (key, _escape(value)) for key, value in labels)


@dataclass
class DriftMetrics:
    """The latest results of one model's checks, rendered on demand; safe across threads."""

    model: str
    _version: Optional[str] = None
    _verdict: Optional["DriftVerdict"] = None
    _last_success: Optional[float] = None
    _failures: Dict[str, int] = field(default_factory=dict)
    _dispatch_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record_verdict(self, version: str, verdict: "DriftVerdict", at: float) -> None:
        with self._lock:
            self._version, self._verdict, self._last_success = version, verdict, at

    def record_failure(self, reason: str) -> None:
        with self._lock:
            self._failures[reason] = self._failures.get(reason, 0) + 1

    def record_dispatch_failure(self) -> None:
        with self._lock:
            self._dispatch_failures += 1

    def render(self) -> str:
        with self._lock:
            samples: Dict[str, List[Tuple[Tuple[Tuple[str, str], ...], float]]] = {name: [] for name in _HELP}
            model = (("model", self.model),)
            if self._verdict is not None and self._version is not None:
                judged = model + (("version", self._version),)
                samples[SHARE].append((judged, self._verdict.share))
                samples[DETECTED].append((judged, 1.0 if self._verdict.dataset_drift else 0.0))
                samples[COLUMNS].append((judged, float(len(self._verdict.drifted_columns))))
            if self._last_success is not None:
                samples[LAST_SUCCESS].append((model, self._last_success))
            for reason, count in sorted(self._failures.items()):
                samples[FAILURES].append((model + (("reason", reason),), float(count)))
            if self._dispatch_failures:
                samples[DISPATCH_FAILURES].append((model, float(self._dispatch_failures)))
        lines: List[str] = []
        for name, (kind, text) in _HELP.items():
            lines += ["# HELP %s %s" % (name, text), "# TYPE %s %s" % (name, kind)]
            lines += ["%s%s %s" % (name, labels_text(labels), repr(float(value))) for labels, value in samples[name]]
        return "\n".join(lines) + "\n"


class Renders(Protocol):
    """Anything that renders its samples in the text format (the drift job's, the input logger's)."""

    def record_dispatch_failure(self) -> None:
        with self._lock:
            self._dispatch_failures += 1

    def render(self) -> str: ...


def serve(metrics: Renders, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve ``/metrics`` on ``port`` from a daemon thread; anything else is 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404)
                return
            body = metrics.render().encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # scrapes are not news
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="drift-metrics", daemon=True).start()
    return server
