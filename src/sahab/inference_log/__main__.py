"""``python -m sahab.inference_log``: the input-logging sidecar of a ModelServing pod.

Serves the proxy on ``--listen-port`` (the pod's serving port, in front of MLServer on
``--upstream-port`` of localhost) and its counters on ``--metrics-port``; flushes until SIGTERM,
then flushes once more. Exit codes as sahab's (docs/cli.md): 0 a clean stop; 2 bad arguments.
Errors are one line, no traceback.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import re
import signal
import sys
import threading
from typing import Callable, List, Optional

from ..drift.arguments import add_model_arguments, positive_int
from ..drift.errors import DriftDataError
from ..drift.inputs import day_folders
from ..drift.metrics import serve
from ..drift.registry import parse_model_uri
from ..errors import EXIT_OK, EXIT_USAGE
from .buffer import InputBuffer
from .metrics import InferenceLogMetrics
from .proxy import ProxyConfig, make_server
from .writer import ParquetWriter

INPUTS_URI = re.compile(r"^(s3|wasbs|file)://\S+$")
POD = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m sahab.inference_log", description=__doc__.splitlines()[0])
    add_model_arguments(parse)
    parse.add_argument("--pod", default=os.environ.get("HOSTNAME", ""), help="names the files (default: $HOSTNAME, the pod's name)")
    parse.add_argument("--listen-port", type=positive_int, default=8080)
    parse.add_argument("--upstream-port", type=positive_int, default=8090)
    parse.add_argument("--metrics-port", type=positive_int, default=8083)
    parse.add_argument("--flush-seconds", type=positive_int, default=60)
    parse.add_argument("--flush-rows", type=positive_int, default=1000)
    parse.add_argument("--max-rows", type=positive_int, default=20000, help="rows held at most; more are dropped and counted")
    parse.add_argument("--max-body-bytes", type=positive_int, default=8 * 1024 * 1024)
    return parse


def version_source(model_uri: str) -> Callable[[], str]:
    """The served version: the URI's own, or its alias resolved in MLflow (``MLFLOW_TRACKING_URI``
    and the mounted ``~/.mlflow/credentials``, as MLServer resolves it)."""
    match = parse_model_uri(model_uri)
    if match.group("version"):
        return lambda: match.group("version")

    def resolve() -> str:
        from mlflow import MlflowClient

        from ..drift.registry import resolve_version

        return str(resolve_version(MlflowClient(), model_uri).version)

    return resolve


def main(argv: Optional[List[str]] = None) -> int:
    arguments = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        model = parse_model_uri(arguments.model_uri).group("name")
        day_folders(model, "1", 1, datetime.date.today())  # the model name must name a folder of the layout
        if not INPUTS_URI.match(arguments.inputs_uri):
            raise DriftDataError("--inputs-uri %r is not an s3://, wasbs:// or file:// URI" % arguments.inputs_uri)
        if not POD.match(arguments.pod):
            raise DriftDataError("--pod %r is not a pod name" % arguments.pod, "pass --pod or set HOSTNAME")
        if arguments.flush_rows > arguments.max_rows:
            raise DriftDataError("--flush-rows %d exceeds --max-rows %d" % (arguments.flush_rows, arguments.max_rows))
    except DriftDataError as error:
        print("sahab inference_log: %s" % error.one_line(), file=sys.stderr)
        return EXIT_USAGE
    metrics = InferenceLogMetrics(model)
    buffer = InputBuffer(metrics, max_rows=arguments.max_rows, flush_rows=arguments.flush_rows)
    writer = ParquetWriter(buffer, metrics, inputs_uri=arguments.inputs_uri, model=model,
                           version=version_source(arguments.model_uri), pod=arguments.pod)
    proxy = make_server(ProxyConfig(model=model, upstream_port=arguments.upstream_port,
                                    max_body_bytes=arguments.max_body_bytes), buffer, metrics, "0.0.0.0", arguments.listen_port)
    metrics_server = serve(metrics, arguments.metrics_port)
    threading.Thread(target=proxy.serve_forever, name="inference-log-proxy", daemon=True).start()
    stop = threading.Event()

    def on_term(*_: object) -> None:
        stop.set()
        buffer.ready.set()

    signal.signal(signal.SIGTERM, on_term)
    try:
        writer.run(stop, arguments.flush_seconds)
    finally:
        proxy.shutdown()
        metrics_server.shutdown()
    return EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(EXIT_USAGE)
