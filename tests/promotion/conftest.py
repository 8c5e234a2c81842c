"""tests/promotion: OPA's own evaluator (tests/gate/real_opa.py) is the oracle here too."""
import sys
from pathlib import Path

GATE_TESTS = str(Path(__file__).resolve().parents[1] / "gate")
if GATE_TESTS not in sys.path:
    sys.path.append(GATE_TESTS)
