"""``python -m ml_pipeline --tracking-uri URL --store DIR --work DIR [--model NAME] [--features a,b]``.

Exit 0: the version reached production; 1: a stage stopped it (printed); 2: bad arguments or a
promotion error (sahab's exit codes: docs/promotion.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from sahab.errors import SahabError

from .data import FEATURES
from .pipeline import run


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml_pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", required=True, help="the MLflow server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--store", type=Path, required=True, help="folder standing in for the platform's artifact store")
    parser.add_argument("--work", type=Path, required=True, help="folder for the promotion audit log")
    parser.add_argument("--model", default="churn-example", help="registered model name")
    parser.add_argument("--features", default=",".join(FEATURES),
                        help="features the model may use (fewer trains a deliberately worse model); default all")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    features = tuple(f for f in args.features.split(",") if f)
    unknown = sorted(set(features) - set(FEATURES))
    if unknown or not features:
        parser.error("--features: %s; choose from %s" % ("unknown " + ", ".join(unknown) if unknown else "none given", ",".join(FEATURES)))
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        outcome = run(args.tracking_uri, args.store, args.work, args.model, features, args.seed)
    except SahabError as exc:
        print("error: %s" % exc.one_line(), file=sys.stderr)
        return exc.exit_code
    print("stopped at %s" % outcome.stopped_at if outcome.stopped_at else "done: %s version %s is champion" % (args.model, outcome.version))
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
