"""checkov in the gate: Kubernetes manifests from the plan, CI pipelines and Dockerfiles.

checkov runs as a process from its own environment (see :mod:`sahab.tools.checkov`); sahab
never imports it. :func:`run_checkov` is the entry point; :mod:`.shards` explains how a large
plan is split so that checkov's cost stays linear while its findings stay those of one scan.
"""
from .background import prestarted_driver, start_checkov
from .engine import load_mandatory, run_checkov, scan, to_findings
from .manifests import build_inputs

__all__ = ["run_checkov", "start_checkov", "prestarted_driver", "scan", "to_findings", "build_inputs",
           "load_mandatory"]
