"""The input-logging sidecar (sahab.inference_log) in front of a real HTTP server answering like
MLServer's V2 endpoint, both on 127.0.0.1: answers pass through byte for byte, successful inference
inputs land as Parquet in the drift job's layout, and nothing the logger cannot handle costs a
response. Then the drift job's own code judges what the proxy wrote.
"""
from __future__ import annotations

import datetime
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_drift_job import REFERENCE, _frame, registry  # noqa: F401 (registry is a fixture)

from sahab.drift.detect import detect_drift
from sahab.drift.inputs import read_inputs
from sahab.drift.job import DriftJobConfig, check_once
from sahab.drift.metrics import DriftMetrics
from sahab.inference_log.__main__ import main, version_source
from sahab.inference_log.buffer import InputBuffer
from sahab.inference_log.metrics import (
    BUFFERED, FILES_WRITTEN, FLUSH_FAILURES, MALFORMED, OTHER_MODEL, ROWS_DROPPED, ROWS_LOGGED, STORE, TOO_LARGE, UNLOGGED,
    UPSTREAM_DOWN, UPSTREAM_STATUS, VERSION, InferenceLogMetrics,
)
from sahab.inference_log.proxy import ProxyConfig, make_server
from sahab.inference_log.tensors import Unloggable, infer_target, parse_request
from sahab.inference_log.writer import ParquetWriter

NOW = datetime.datetime(2026, 12, 3, 6, 0, tzinfo=datetime.timezone.utc)
TODAY = NOW.date()


class Upstream(BaseHTTPRequestHandler):
    """MLServer's REST shape: V2 health, readiness and inference. ``X-Test-Status`` picks the status;
    every request is recorded as (method, path, headers, body) for the test to compare."""

    protocol_version = "HTTP/1.1"
    received: List[Tuple[str, str, Dict[str, str], bytes]] = []

    def _answer(self, status: int, body: bytes, content_type: str = "application/json", extra: Tuple = ()) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        for key, value in extra:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self.received.append(("GET", self.path, dict(self.headers.items()), b""))
        if self.path == "/v2/health/ready":
            self._answer(200, b"")
        elif self.path == "/chunked":
            self.send_response_only(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"data: one\n\n", b"data: two\n\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._answer(404, b'{"error":"not found"}')

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append(("POST", self.path, dict(self.headers.items()), body))
        status = int(self.headers.get("X-Test-Status", "200"))
        if status != 200:
            self._answer(status, json.dumps({"error": "Model 'fraud' rejected the request (%d)" % status}).encode())
            return
        answer = {"model_name": "fraud", "model_version": "7", "id": "a1b2",
                  "outputs": [{"name": "predict", "shape": [1, 1], "datatype": "FP64", "data": [0.25]}]}
        self._answer(200, json.dumps(answer, separators=(",", ":")).encode(), extra=(("X-Request-Id", "a1b2"),))

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def upstream() -> Iterator[ThreadingHTTPServer]:
    Upstream.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class Sidecar:
    """The proxy on a free loopback port in front of ``upstream_port``, with its buffer and writer."""

    def __init__(self, upstream_port: int, inputs_uri: str, *, max_rows: int = 10_000, flush_rows: int = 10_000,
                 max_body_bytes: int = 1 << 20, model: str = "fraud", version: Callable[[], str] = lambda: "7") -> None:
        self.metrics = InferenceLogMetrics(model)
        self.buffer = InputBuffer(self.metrics, max_rows=max_rows, flush_rows=flush_rows)
        self.writer = ParquetWriter(self.buffer, self.metrics, inputs_uri=inputs_uri, model=model,
                                    version=version, pod="fraud-7d9f-x2", clock=lambda: NOW)
        self.server = make_server(ProxyConfig(model=model, upstream_port=upstream_port, max_body_bytes=max_body_bytes),
                                  self.buffer, self.metrics, "127.0.0.1", 0, clock=lambda: NOW)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def request(self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
                port: Optional[int] = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response

    def wait_for(self, name: str, value: float, reason: Optional[str] = None) -> None:
        """The proxy logs after answering: wait (bounded) until a counter reaches ``value``."""
        deadline = time.monotonic() + 10
        while self.metrics.value(name, reason) < value and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.metrics.value(name, reason) == value

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture()
def sidecar(upstream, tmp_path) -> Iterator[Sidecar]:
    proxy = Sidecar(upstream.server_address[1], (tmp_path / "inputs").as_uri())
    yield proxy
    proxy.close()


def v2_request(frame: pd.DataFrame) -> bytes:
    """A V2 request as clients of MLServer's pandas codec send it: one tensor per column."""
    types = {"float64": "FP64", "int64": "INT64", "object": "BYTES", "bool": "BOOL"}
    return json.dumps({"id": "r-1", "parameters": {"content_type": "pd"}, "inputs": [
        {"name": column, "shape": [len(frame), 1], "datatype": types[str(frame[column].dtype)],
         "data": frame[column].tolist()} for column in frame.columns]}).encode()


INFER = "/v2/models/fraud/infer"
JSON = {"Content-Type": "application/json"}


# --- passing through -------------------------------------------------------------------------

def test_answers_pass_through_byte_for_byte_and_the_request_reaches_mlserver_unchanged(sidecar, upstream):
    body = v2_request(_frame(1, rows=3))
    headers = {**JSON, "X-Correlation-Id": "c-9", "Authorization": "Bearer not-a-real-token"}
    proxied = sidecar.request("POST", INFER, body, headers)
    direct = sidecar.request("POST", INFER, body, headers, port=upstream.server_address[1])
    assert (proxied.status, proxied.reason, proxied.body) == (direct.status, direct.reason, direct.body)
    assert proxied.getheaders() == direct.getheaders() == [
        ("Content-Type", "application/json"), ("X-Request-Id", "a1b2"), ("Content-Length", str(len(direct.body)))]
    (method, path, seen, forwarded), _ = Upstream.received
    assert (method, path, forwarded) == ("POST", INFER, body)
    assert (seen["Content-Type"], seen["X-Correlation-Id"], seen["Authorization"], seen["Content-Length"]) == (
        "application/json", "c-9", "Bearer not-a-real-token", str(len(body)))


def test_health_readiness_and_chunked_answers_pass_through(sidecar):
    ready = sidecar.request("GET", "/v2/health/ready")
    assert (ready.status, ready.body) == (200, b"")
    missing = sidecar.request("GET", "/v2/models/other")
    assert (missing.status, missing.body) == (404, b'{"error":"not found"}')
    streamed = sidecar.request("GET", "/chunked")
    assert (streamed.status, streamed.getheader("Transfer-Encoding"), streamed.body) == (
        200, "chunked", b"data: one\n\ndata: two\n\n")
    assert sidecar.metrics.value(UNLOGGED, UPSTREAM_STATUS) == 0  # not inference requests: nothing to count


def test_an_upstream_error_passes_through_and_is_not_logged(sidecar, upstream):
    response = sidecar.request("POST", INFER, v2_request(_frame(1, rows=3)), {**JSON, "X-Test-Status": "422"})
    assert (response.status, json.loads(response.body)) == (422, {"error": "Model 'fraud' rejected the request (422)"})
    sidecar.wait_for(UNLOGGED, 1, UPSTREAM_STATUS)
    assert sidecar.metrics.value(BUFFERED) == 0 and sidecar.buffer.take() == []


def test_an_unreachable_model_server_is_a_502_and_counted(tmp_path, upstream):
    port = upstream.server_address[1]
    upstream.shutdown()
    upstream.server_close()
    proxy = Sidecar(port, (tmp_path / "inputs").as_uri())
    try:
        response = proxy.request("POST", INFER, v2_request(_frame(1, rows=3)), JSON)
        assert (response.status, json.loads(response.body)) == (502, {"error": "model server unreachable"})
        assert proxy.metrics.value(UNLOGGED, UPSTREAM_DOWN) == 1
        assert proxy.request("GET", "/v2/health/ready").status == 502  # so the pod is not ready either
    finally:
        proxy.close()


@pytest.mark.parametrize("body", [b"not json", b'{"inputs": "nope"}', b'{"inputs": [{"name": "x", "shape": [2], '
                                  b'"datatype": "FP64", "data": [1.0]}]}'])
def test_a_body_the_logger_cannot_read_is_forwarded_answered_and_counted(sidecar, body):
    response = sidecar.request("POST", INFER, body, JSON)
    assert response.status == 200 and json.loads(response.body)["outputs"][0]["data"] == [0.25]
    assert Upstream.received[-1][3] == body
    sidecar.wait_for(UNLOGGED, 1, MALFORMED)
    assert sidecar.buffer.take() == []


def test_a_body_over_the_limit_streams_through_unlogged(upstream, tmp_path):
    proxy = Sidecar(upstream.server_address[1], (tmp_path / "inputs").as_uri(), max_body_bytes=256)
    try:
        body = v2_request(_frame(1, rows=50))
        assert len(body) > 256
        response = proxy.request("POST", INFER, body, JSON)
        assert response.status == 200 and Upstream.received[-1][3] == body
        proxy.wait_for(UNLOGGED, 1, TOO_LARGE)
    finally:
        proxy.close()


def test_another_models_path_is_forwarded_and_not_logged(sidecar):
    assert sidecar.request("POST", "/v2/models/churn/infer", v2_request(_frame(1, rows=3)), JSON).status == 200
    sidecar.wait_for(UNLOGGED, 1, OTHER_MODEL)


# --- logging ---------------------------------------------------------------------------------

def test_inputs_land_as_parquet_in_the_drift_layout_with_one_column_per_input(sidecar, tmp_path):
    first, second = _frame(1, rows=3), _frame(2, rows=2)
    for frame in (first, second):
        assert sidecar.request("POST", INFER, v2_request(frame), JSON).status == 200
    assert sidecar.request("POST", "/v2/models/fraud/versions/7/infer", v2_request(first), JSON).status == 200
    sidecar.wait_for(BUFFERED, 8)
    assert sidecar.writer.flush() is True
    files = sorted(p.relative_to(tmp_path / "inputs").as_posix() for p in (tmp_path / "inputs").rglob("*") if p.is_file())
    assert files == ["fraud/7/2026-12-03/fraud-7d9f-x2-20261203T060000Z-000001.parquet"]
    written = pq.read_table(tmp_path / "inputs" / files[0])
    assert written.schema.names == ["tenure", "spend", "plan"]
    assert [str(t) for t in written.schema.types] == ["double", "double", "string"]
    # Requests are added as their answers go out, so compare as sets of rows.
    expected = pd.concat([first, second, first], ignore_index=True)
    assert sorted(map(tuple, written.to_pandas().values.tolist())) == sorted(map(tuple, expected.values.tolist()))
    assert (sidecar.metrics.value(ROWS_LOGGED), sidecar.metrics.value(FILES_WRITTEN), sidecar.metrics.value(BUFFERED)) == (8, 1, 0)


def test_a_full_buffer_drops_whole_requests_and_counts_their_rows(upstream, tmp_path):
    proxy = Sidecar(upstream.server_address[1], (tmp_path / "inputs").as_uri(), max_rows=10, flush_rows=10)
    try:
        for rows in (6, 6, 4):
            assert proxy.request("POST", INFER, v2_request(_frame(rows, rows=rows)), JSON).status == 200
            time.sleep(0.05)  # in order: the second does not fit, the third does
        proxy.wait_for(ROWS_DROPPED, 6)
        proxy.wait_for(BUFFERED, 10)
        assert 'sahab_inference_log_rows_dropped_total{model="fraud"} 6.0' in proxy.metrics.render().splitlines()
        assert proxy.writer.flush() is True
        assert proxy.metrics.value(ROWS_LOGGED) == 10
    finally:
        proxy.close()


def test_a_failed_flush_keeps_the_rows_counts_and_the_next_flush_writes_them(upstream, tmp_path):
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store's folder should be")
    proxy = Sidecar(upstream.server_address[1], (blocker / "inputs").as_uri())
    try:
        assert proxy.request("POST", INFER, v2_request(_frame(1, rows=5)), JSON).status == 200
        proxy.wait_for(BUFFERED, 5)
        assert proxy.writer.flush() is False
        assert (proxy.metrics.value(FLUSH_FAILURES, STORE), proxy.metrics.value(BUFFERED), proxy.metrics.value(ROWS_LOGGED)) == (1, 5, 0)
        assert proxy.request("POST", INFER, v2_request(_frame(2, rows=2)), JSON).status == 200  # serving goes on
        proxy.wait_for(BUFFERED, 7)
        blocker.unlink()
        assert proxy.writer.flush() is True
        (written,) = list((blocker / "inputs").rglob("*.parquet"))
        assert pq.read_table(written).num_rows == 7 and proxy.metrics.value(BUFFERED) == 0
    finally:
        proxy.close()


def test_an_unresolved_version_is_a_counted_failure_and_writes_nothing(tmp_path):
    metrics = InferenceLogMetrics("fraud")
    buffer = InputBuffer(metrics, max_rows=100, flush_rows=100)
    buffer.add(TODAY, parse_request(v2_request(_frame(1, rows=3))))

    def unreachable() -> str:
        raise ConnectionError("registry down")

    writer = ParquetWriter(buffer, metrics, inputs_uri=tmp_path.as_uri(), model="fraud", version=unreachable, pod="p")
    assert writer.flush() is False
    assert (metrics.value(FLUSH_FAILURES, VERSION), metrics.value(BUFFERED)) == (1, 3)
    assert not list(tmp_path.rglob("*.parquet"))


def test_the_flush_loop_writes_when_enough_rows_wait_and_once_more_on_stop(upstream, tmp_path):
    proxy = Sidecar(upstream.server_address[1], (tmp_path / "inputs").as_uri(), flush_rows=5)
    stop = threading.Event()
    loop = threading.Thread(target=proxy.writer.run, args=(stop, 3600))  # only the row count can trigger it
    loop.start()
    try:
        assert proxy.request("POST", INFER, v2_request(_frame(1, rows=6)), JSON).status == 200
        proxy.wait_for(ROWS_LOGGED, 6)
        assert proxy.request("POST", INFER, v2_request(_frame(2, rows=2)), JSON).status == 200
        proxy.wait_for(BUFFERED, 2)
    finally:
        stop.set()
        proxy.buffer.ready.set()
        loop.join(timeout=30)
        proxy.close()
    assert not loop.is_alive()
    assert proxy.metrics.value(ROWS_LOGGED) == 8 and len(list((tmp_path / "inputs").rglob("*.parquet"))) == 2


# --- V2 tensors ------------------------------------------------------------------------------

def test_tensors_become_rows_with_nested_data_and_vector_inputs():
    batch = parse_request(json.dumps({"inputs": [
        {"name": "age", "shape": [2], "datatype": "INT32", "data": [31, 40]},
        {"name": "embedding", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]},
        {"name": "active", "shape": [2, 1], "datatype": "BOOL", "data": [True, False]},
    ]}).encode())
    assert batch.rows == 2
    assert batch.schema == (("age", "INT32", 1), ("embedding", "FP32", 3), ("active", "BOOL", 1))
    assert batch.columns == {"age": [31, 40], "embedding": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "active": [True, False]}
    assert infer_target("/v2/models/fraud/versions/7/infer?x=1") == ("fraud", "7")
    assert infer_target("/v2/models/fraud/ready") is None


@pytest.mark.parametrize("inputs, reason", [
    ([{"name": "a", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]},
      {"name": "b", "shape": [3], "datatype": "FP64", "data": [1.0, 2.0, 3.0]}], "input 'b' has 3 elements, another input 2"),
    ([{"name": "a", "shape": [1], "datatype": "INT64", "data": [1.5]}], "a INT64 tensor holds 'float'"),
    ([{"name": "a", "shape": [1], "datatype": "UINT8", "data": [-1]}], "a UINT8 tensor holds 'int'"),
    ([{"name": "a", "shape": [1], "datatype": "FP64", "data": [True]}], "a FP64 tensor holds 'bool'"),
    ([{"name": "a", "shape": [1], "datatype": "COMPLEX", "data": [1]}], "input 'a' has datatype 'COMPLEX'"),
    ([{"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]},
      {"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}], "an input has no name, or a repeated one"),
])
def test_tensors_that_do_not_make_rows_are_refused_with_the_reason(inputs, reason):
    with pytest.raises(Unloggable) as error:
        parse_request(json.dumps({"inputs": inputs}).encode())
    assert str(error.value) == reason


def test_the_command_refuses_bad_arguments_in_one_line(capsys):
    assert main(["--model-uri", "models:/fraud/latest", "--inputs-uri", "s3://b/p", "--pod", "p"]) == 2
    assert capsys.readouterr().err == (
        "sahab inference_log: model URI 'models:/fraud/latest' is not models:/<name>/<version> or models:/<name>@<alias>\n")
    assert main(["--model-uri", "models:/fraud/7", "--inputs-uri", "https://x/y", "--pod", "p"]) == 2
    assert capsys.readouterr().err == "sahab inference_log: --inputs-uri 'https://x/y' is not an s3://, wasbs:// or file:// URI\n"
    assert main(["--model-uri", "models:/fraud/7", "--inputs-uri", "s3://b/p", "--pod", "p", "--flush-rows", "9",
                 "--max-rows", "5"]) == 2
    assert capsys.readouterr().err == "sahab inference_log: --flush-rows 9 exceeds --max-rows 5\n"
    assert version_source("models:/fraud/7")() == "7"


# --- end to end: the drift job judges what the proxy wrote -------------------------------------

def _serve_and_flush(proxy: Sidecar, frame: pd.DataFrame, per_request: int = 50) -> None:
    for start in range(0, len(frame), per_request):
        assert proxy.request("POST", INFER, v2_request(frame.iloc[start:start + per_request]), JSON).status == 200
    proxy.wait_for(BUFFERED, len(frame))
    assert proxy.writer.flush() is True


@pytest.mark.parametrize("current, verdict", [
    (_frame(2), (0.0, False, ())),
    (_frame(2, tenure_shift=1.0, plan=(0.2, 0.3, 0.5)), (2 / 3, True, ("tenure", "plan"))),
])
def test_the_drift_check_judges_the_inputs_the_proxy_logged(upstream, tmp_path, current, verdict):
    inputs = (tmp_path / "inputs").as_uri()
    proxy = Sidecar(upstream.server_address[1], inputs)
    try:
        _serve_and_flush(proxy, current)
    finally:
        proxy.close()
    logged = read_inputs(inputs, "fraud", "7", window_days=1, today=TODAY)
    assert len(logged) == 600 and list(logged.columns) == ["tenure", "spend", "plan"]
    found = detect_drift(REFERENCE, logged).verdict
    assert (found.share, found.dataset_drift, found.drifted_columns) == verdict


def test_an_alias_is_resolved_in_mlflow_and_the_drift_job_tags_that_version(registry, upstream, tmp_path):  # noqa: F811
    client, version = registry
    inputs = (tmp_path / "inputs").as_uri()
    proxy = Sidecar(upstream.server_address[1], inputs, model="churn", version=version_source("models:/churn@champion"))
    try:
        shifted = _frame(2, tenure_shift=1.0, plan=(0.2, 0.3, 0.5))
        for start in range(0, 600, 100):
            body = v2_request(shifted.iloc[start:start + 100])
            assert proxy.request("POST", "/v2/models/churn/infer", body, JSON).status == 200
        proxy.wait_for(BUFFERED, 600)
        assert proxy.writer.flush() is True
    finally:
        proxy.close()
    assert [p.relative_to(tmp_path / "inputs").parts[:3] for p in (tmp_path / "inputs").rglob("*.parquet")] == [
        ("churn", version, TODAY.isoformat())]
    published = check_once(DriftJobConfig(model_uri="models:/churn@champion", inputs_uri=inputs), client,
                           DriftMetrics(model="churn"), NOW)
    tags = client.get_model_version("churn", version).tags
    assert (published.version, tags["sahab.drift.status"], tags["sahab.drift.drifted_columns"]) == (version, "drift", "tenure,plan")
