"""Command-line pieces both pod entry points share: the drift job and the inference-input logger
read the same model URI and the same inputs layout, and take the same kind of counts."""
from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("%r is not a whole number >= 1" % text)
    return int(text)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model-uri`` and ``--inputs-uri``, required by both."""
    parser.add_argument("--model-uri", required=True,
                        help="the URI MLServer serves: models:/<name>/<version> or models:/<name>@<alias>")
    parser.add_argument("--inputs-uri", required=True,
                        help="root of the inference-input layout, e.g. s3://bucket/inference-inputs")
