"""Installed, not cloned: the wheel in a fresh virtualenv outside the checkout gates a program
with checkov after `sahab setup`, and a gate-only install carries neither MLflow nor testinfra.

The virtualenv is built once per session (tests/installed_sahab.py); commands run from a folder
outside the checkout, on a copy of tests/fixtures/programs/kubernetes_small.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sahab.tools.checkov import PINNED_CHECKOV_VERSION, STAMP_NAME, lock_sha256

# checkov 3.3.30 (pinned) on the fixture's Deployment, with sahab's curated mandatory list and
# its own check CKV_SAHAB_2 (shipped in the wheel as an external check).
CHECKOV_FINDINGS = {
    ("CKV2_K8S_6", "mandatory"), ("CKV_K8S_20", "mandatory"), ("CKV_K8S_23", "mandatory"), ("CKV_SAHAB_2", "mandatory"),
    ("CKV_K8S_8", "advisory"), ("CKV_K8S_9", "advisory"), ("CKV_K8S_10", "advisory"), ("CKV_K8S_11", "advisory"),
    ("CKV_K8S_12", "advisory"), ("CKV_K8S_13", "advisory"), ("CKV_K8S_15", "advisory"), ("CKV_K8S_22", "advisory"),
    ("CKV_K8S_28", "advisory"), ("CKV_K8S_29", "advisory"), ("CKV_K8S_30", "advisory"), ("CKV_K8S_31", "advisory"),
    ("CKV_K8S_37", "advisory"), ("CKV_K8S_38", "advisory"), ("CKV_K8S_40", "advisory"), ("CKV_K8S_43", "advisory"),
}
DEPLOYMENT = "urn:pulumi:dev::k8s-small::kubernetes:apps/v1:Deployment::nginx"


@pytest.fixture(scope="module")
def program(installed_sahab, repo_root) -> Path:
    target = installed_sahab.workdir / "k8s-small"
    if not target.exists():
        shutil.copytree(repo_root / "tests" / "fixtures" / "programs" / "kubernetes_small", target)
    return target


def _findings(path: Path):
    return json.loads(path.read_text())["findings"]


def test_the_wheel_runs_from_site_packages_not_the_checkout(installed_sahab, repo_root):
    completed = installed_sahab.run_python(
        "import sahab, sahab.tools.checkov as c; print(sahab.__file__); print(c.checkout_root()); print(c.LOCK_FILE.is_file())")
    assert completed.returncode == 0, completed.stderr
    location, checkout, lock = completed.stdout.split()
    assert Path(location).is_relative_to(installed_sahab.venv) and not Path(location).is_relative_to(repo_root)
    assert checkout == "None" and lock == "True"


def test_gate_only_install_has_no_extras_and_no_checkov(installed_sahab):
    code = ("import importlib.metadata as m\n"
            "names = {d.metadata['Name'].lower().replace('_', '-') for d in m.distributions()}\n"
            "print(' '.join(sorted(names)))")
    completed = installed_sahab.run_python(code)
    assert completed.returncode == 0, completed.stderr
    names = set(completed.stdout.split())
    assert {"sahab", "pulumi", "pulumi-policy", "gordon-to-regorus"} <= names
    assert not names & {"mlflow", "mlflow-skinny", "pytest-testinfra", "checkov", "helm-python-sdk"}


def test_gate_before_setup_names_the_fix(installed_sahab, program, tmp_path):
    completed = installed_sahab.sahab(["gate", str(program), "--stack", "dev"], data_dir=tmp_path / "empty")
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines()[-1] == \
        "error: checkov is not installed: run `sahab setup` (or pass --no-checkov)"
    assert "Traceback" not in completed.stderr
    no_checkov = installed_sahab.sahab(["gate", str(program), "--stack", "dev", "--no-checkov", "--format", "json"],
                                       data_dir=tmp_path / "empty")
    assert no_checkov.returncode == 1, no_checkov.stderr
    assert not any(f["engine"] == "checkov" for f in json.loads(no_checkov.stdout)["findings"])


def test_setup_installs_checkov_in_the_data_dir_once(set_up_sahab):
    data = Path(set_up_sahab.env["SAHAB_DATA_DIR"])
    executable = data / "checkov" / "bin" / "checkov"
    assert (data / "checkov" / STAMP_NAME).is_file()
    again = set_up_sahab.sahab(["setup", "--uv", str(set_up_sahab.uv)])
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "checkov %s unchanged: %s" % (PINNED_CHECKOV_VERSION, executable)
    assert again.stderr == ""   # no note: `sahab gate` finds this checkov


def test_installed_gate_runs_checkov_and_matches_the_checkout(set_up_sahab, program, sahab_cli):
    report = set_up_sahab.workdir / "installed.json"
    completed = set_up_sahab.sahab(["gate", str(program), "--stack", "dev", "--format", "json", "--out", str(report)])
    assert completed.returncode == 1, completed.stderr
    document = json.loads(report.read_text())
    assert document["summary"]["engines"] == ["regorus", "checkov"]
    checkov = {(f["rule_id"], f["enforcement"]) for f in document["findings"] if f["engine"] == "checkov"}
    assert checkov == CHECKOV_FINDINGS
    assert all(f["urn"] == DEPLOYMENT for f in document["findings"] if f["engine"] == "checkov")

    # the checkout's sahab on the same program: the same findings, field for field
    reference = set_up_sahab.workdir / "checkout.json"
    from_checkout = sahab_cli(["gate", str(program), "--stack", "dev", "--format", "json", "--out", str(reference)])
    assert from_checkout.returncode == 1, from_checkout.stderr
    assert _findings(report) == _findings(reference)


def test_a_changed_lock_is_reinstalled(set_up_sahab):
    """As after an upgrade that ships another lock (the gate's refusal of the old environment is
    tests/test_setup.py): setup replaces it. Last in this module: it reinstalls the shared one."""
    data = Path(set_up_sahab.env["SAHAB_DATA_DIR"])
    (data / "checkov" / STAMP_NAME).write_text("0" * 64 + "\n")
    again = set_up_sahab.sahab(["setup", "--uv", str(set_up_sahab.uv)])
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "checkov %s reinstalled: %s" % (PINNED_CHECKOV_VERSION, data / "checkov" / "bin" / "checkov")
    assert (data / "checkov" / STAMP_NAME).read_text().strip() == lock_sha256()
    assert again.stderr == ""
