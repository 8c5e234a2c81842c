"""`sahab verify`'s own failures: bad input is exit 2 in one line, a run that cannot finish is exit 3, never a pass."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sahab.verify
from sahab.errors import VerificationError
from sahab.verification import Inventory, verify_stack
from sahab.verification.inventory import Endpoint
from sahab.verification.run import suites_dir


@pytest.mark.parametrize("args, message", [
    (["--hosts", "ssh://10.0.0.5"], "error: --hosts 'ssh://10.0.0.5' has no ROLE= (write --hosts ROLE=SPEC[,SPEC], ROLE one of "
                                    "gpu-training, inference, ci-runner)"),
    (["--hosts", "inference=10.0.0.5"], "error: --hosts hosts.inference: host spec '10.0.0.5' has no ssh://, paramiko:// or "
                                        "kubectl:// scheme (write e.g. ssh://user@10.0.0.5 or kubectl://POD?namespace=NS)"),
    (["--inventory", "EMPTY"], "error: nothing to verify: the inventory names no host and no endpoint (pass --hosts ROLE=SPEC, "
                               "--inventory FILE or --stack-outputs FILE (docs/verify.md))"),
    ([], "error: pulumi is not on PATH, so the stack's outputs cannot be read (install the Pulumi CLI, or pass --stack-outputs "
         "FILE written by `pulumi stack output --json`)"),
    (["--hosts", "inference=ssh://a", "--timeout", "0"], "error: --timeout must be a number of seconds from 1 to 86400, not '0' "
                                                         "(the default is 900)"),
])
def test_bad_input_is_exit_2_in_one_line(sahab_cli, tmp_path, args, message, monkeypatch):
    (tmp_path / "EMPTY").write_text("hosts: {}\nendpoints: []\n")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi here
    completed = sahab_cli(["verify", "--stack", "dev"] + [str(tmp_path / a) if a == "EMPTY" else a for a in args], cwd=tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.strip() == message
    assert not list(tmp_path.glob("verify-dev.*"))


def _suites(tmp_path, body):
    folder = tmp_path / "suites"
    folder.mkdir()
    shutil.copy(suites_dir() / "conftest.py", folder / "conftest.py")
    (folder / "test_broken.py").write_text(body)
    return folder


PRIVATE = Inventory(endpoints=(Endpoint("m", "http://127.0.0.1:9", tls=False, auth=False),))


@pytest.mark.parametrize("body, message", [
    ("def test_unmapped():\n    assert True\n", "test test_broken.py::test_unmapped has no @pytest.mark.controls(...)"),
    ("import pytest\n\n@pytest.mark.controls('SAHAB-WKL-005')\ndef test_local(host):\n    assert host.user().uid != 0\n",
     "uses the host fixture but its ROLE is None"),
])
def test_a_suite_that_would_prove_nothing_stops_the_run_with_exit_3(tmp_path, body, message):
    """An unmarked test is no evidence; a host test without a role would check the verifying machine itself."""
    with pytest.raises(VerificationError) as raised:
        verify_stack("dev", PRIVATE, junit=tmp_path / "j.xml", results_file=tmp_path / "r.json",
                     suites=_suites(tmp_path, body))
    assert raised.value.exit_code == 3 and message in raised.value.message + (raised.value.details or "")
    assert not (tmp_path / "r.json").exists()


def test_a_stale_result_file_is_never_read_as_this_runs(tmp_path):
    (tmp_path / "r.json").write_text("{}")
    with pytest.raises(VerificationError):
        verify_stack("dev", PRIVATE, junit=tmp_path / "j.xml", results_file=tmp_path / "r.json",
                     suites=_suites(tmp_path, "def test_x(:\n"))
    assert not (tmp_path / "r.json").exists()


def test_the_suites_are_the_installed_package():
    assert suites_dir() == Path(sahab.verify.__path__[0])
