"""``python -m sahab.drift``: the DriftMonitor pod's entry point (``--once`` for a single check).

Exit codes as sahab's (docs/cli.md): 0 a verdict (``--once``) or a clean stop on SIGTERM; 2 bad
arguments or data that cannot be judged; 3 anything else. Errors are one line, no traceback.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import re
import signal
import sys
import threading
from typing import Callable, List, Optional

from ..errors import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, SahabError, UsageError
from .job import DEFAULT_INTERVAL_SECONDS, DEFAULT_PORT, DriftJobConfig, check_once, run_forever
from .metrics import DriftMetrics, serve
from .arguments import add_model_arguments, positive_int
from .registry import parse_model_uri
from .retrain import DEFAULT_API_URL, DEFAULT_EVENT_TYPE, EVENT_TYPE, REPOSITORY, RetrainConfig, api_url_problem

_DURATION = re.compile(r"^([1-9]\d*)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> int:
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError("%r is not a duration such as 30m, 6h or 1d" % text)
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("%r is not a share above 0 and at most 1" % text)
    return value


def _matching(pattern: "re.Pattern[str]", what: str) -> "Callable[[str], str]":
    def check(text: str) -> str:
        if not pattern.match(text):
            raise argparse.ArgumentTypeError("%r is not %s" % (text, what))
        return text
    return check


def _api_url(text: str) -> str:
    problem = api_url_problem(text)
    if problem:
        raise argparse.ArgumentTypeError("%r %s" % (text, problem))
    return text


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m sahab.drift", description=__doc__.splitlines()[0])
    add_model_arguments(parse)
    parse.add_argument("--window-days", type=positive_int, default=1)
    parse.add_argument("--drift-share", type=_share, default=0.5)
    parse.add_argument("--min-rows", type=positive_int, default=100)
    parse.add_argument("--interval", type=_duration, default=DEFAULT_INTERVAL_SECONDS)
    parse.add_argument("--port", type=positive_int, default=DEFAULT_PORT)
    parse.add_argument("--once", action="store_true", help="one check, then exit (no metrics server)")
    retrain = parse.add_argument_group("retraining on drift (sahab.drift.retrain; off unless --retrain-repository)")
    retrain.add_argument("--retrain-repository", type=_matching(REPOSITORY, "a GitHub repository owner/name"),
                         help="send a repository_dispatch here when a version drifts")
    retrain.add_argument("--retrain-token-file", help="file holding a token that may create dispatches there")
    retrain.add_argument("--retrain-event-type", type=_matching(EVENT_TYPE, "an event type (letters, digits, _ . -)"),
                         default=DEFAULT_EVENT_TYPE)
    retrain.add_argument("--retrain-api-url", type=_api_url, default=DEFAULT_API_URL)
    return parse


def retrain_config(arguments: argparse.Namespace) -> Optional[RetrainConfig]:
    """The dispatch settings, or None when retraining is off; a token file without a repository
    (or the reverse) is refused rather than silently ignored."""
    if (arguments.retrain_repository is None) != (arguments.retrain_token_file is None):
        raise UsageError("--retrain-repository and --retrain-token-file go together",
                         "pass both to dispatch retraining on drift, or neither")
    if arguments.retrain_repository is None:
        return None
    return RetrainConfig(repository=arguments.retrain_repository, token_file=arguments.retrain_token_file,
                         event_type=arguments.retrain_event_type, api_url=arguments.retrain_api_url)


def main(argv: Optional[List[str]] = None) -> int:
    arguments = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = DriftJobConfig(model_uri=arguments.model_uri, inputs_uri=arguments.inputs_uri,
                                window_days=arguments.window_days, drift_share=arguments.drift_share,
                                min_rows=arguments.min_rows, interval_seconds=arguments.interval, port=arguments.port,
                                retrain=retrain_config(arguments))
        model = parse_model_uri(config.model_uri).group("name")
    except SahabError as error:
        print("sahab drift: %s" % error.one_line(), file=sys.stderr)
        return error.exit_code
    from mlflow import MlflowClient

    client = MlflowClient()
    metrics = DriftMetrics(model=model)
    if arguments.once:
        try:
            published = check_once(config, client, metrics, datetime.datetime.now(datetime.timezone.utc))
        except SahabError as error:
            print("sahab drift: %s" % error.one_line(), file=sys.stderr)
            return error.exit_code
        except Exception as error:  # noqa: BLE001 (one line, no traceback)
            print("sahab drift: %s: %s" % (type(error).__name__, str(error).splitlines()[0] if str(error) else ""),
                  file=sys.stderr)
            return EXIT_INTERNAL
        print("%s version %s: report in run %s" % (published.model, published.version, published.run_id))
        return EXIT_OK
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = serve(metrics, config.port)
    try:
        run_forever(config, client, metrics, stop)
    finally:
        server.shutdown()
    return EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(EXIT_USAGE)
