"""`sahab setup`'s parts on their own: where the data dir is, how checkov is found (and refused),
what a failed install says, and the CrossGuard pack it writes. The real install, from the wheel
outside the checkout, is tests/test_installed_wheel.py."""
from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
import yaml

from sahab.crossguard.install import install_pack
from sahab.errors import EXIT_USAGE, SetupError
from sahab.tools import checkov as locator
from sahab.tools.checkov import PINNED_CHECKOV_VERSION, STAMP_NAME, checkov_executable, lock_sha256
from sahab.tools.checkov_install import install_checkov
from sahab.tools.data_dir import data_dir


@pytest.fixture
def no_checkout(monkeypatch, tmp_path):
    """As an installed wheel sees it: no checkout's .tools, the data dir in tmp_path."""
    monkeypatch.setattr(locator, "checkout_root", lambda: None)
    monkeypatch.delenv("SAHAB_CHECKOV", raising=False)
    monkeypatch.setenv("SAHAB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _fake_environment(root: Path, stamp: str) -> Path:
    executable = root / "bin" / "checkov"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\necho %s\n" % PINNED_CHECKOV_VERSION)
    executable.chmod(executable.stat().st_mode | stat.S_IEXEC)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / STAMP_NAME).write_text(stamp + "\n")
    return executable


def test_data_dir_follows_sahab_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SAHAB_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "sahab"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "sahab"
    monkeypatch.setenv("SAHAB_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"


def test_the_checkout_is_found_from_the_source_tree(repo_root):
    assert locator.checkout_root() == repo_root


def test_no_checkov_anywhere_names_the_fix(no_checkout):
    with pytest.raises(SetupError) as caught:
        checkov_executable()
    assert caught.value.one_line() == "checkov is not installed: run `sahab setup` (or pass --no-checkov)"
    assert caught.value.exit_code == EXIT_USAGE


def test_data_dir_environment_is_used_when_its_stamp_matches(no_checkout):
    executable = _fake_environment(no_checkout / "checkov", lock_sha256())
    assert checkov_executable() == executable


def test_environment_from_another_lock_is_refused(no_checkout):
    _fake_environment(no_checkout / "checkov", "0" * 64)
    with pytest.raises(SetupError) as caught:
        checkov_executable()
    assert caught.value.one_line() == (
        "checkov in %s was not installed from this sahab's lock (checkov %s): run `sahab setup` (or pass --no-checkov)"
        % (no_checkout / "checkov", PINNED_CHECKOV_VERSION))


def test_checkout_environment_comes_before_the_data_dir(monkeypatch, no_checkout, tmp_path):
    checkout = tmp_path / "checkout"
    from_checkout = _fake_environment(checkout / ".tools" / "checkov", lock_sha256())
    _fake_environment(no_checkout / "checkov", lock_sha256())
    monkeypatch.setattr(locator, "checkout_root", lambda: checkout)
    assert checkov_executable() == from_checkout
    (checkout / ".tools" / "checkov" / STAMP_NAME).unlink()   # a stale checkout is refused, not skipped
    with pytest.raises(SetupError, match=r"run \./bootstrap in "):
        checkov_executable()


def test_sahab_checkov_comes_first(monkeypatch, no_checkout, tmp_path):
    _fake_environment(no_checkout / "checkov", "0" * 64)
    explicit = tmp_path / "my-checkov"
    explicit.write_text("")
    monkeypatch.setenv("SAHAB_CHECKOV", str(explicit))
    assert checkov_executable() == explicit


def test_a_failed_install_is_one_line_without_credentials(tmp_path):
    fake_uv = tmp_path / "uv"
    fake_uv.write_text("#!/bin/sh\necho 'Downloading from https://ci:t0ken-123@pypi.example.internal/simple' >&2\n"
                       "echo 'error: Failed to fetch: https://ci:t0ken-123@pypi.example.internal/simple/checkov/' >&2\nexit 2\n")
    fake_uv.chmod(0o755)
    with pytest.raises(SetupError) as caught:
        install_checkov(tmp_path / "checkov", uv=str(fake_uv))
    assert caught.value.message == ("installing checkov into %s failed: error: Failed to fetch: "
                                    "https://***@pypi.example.internal/simple/checkov/" % (tmp_path / "checkov"))
    assert "t0ken-123" not in caught.value.one_line() + (caught.value.details or "")
    assert not (tmp_path / "checkov" / STAMP_NAME).exists()


def test_setup_never_deletes_a_folder_it_did_not_make(tmp_path):
    target = tmp_path / "checkov"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(SetupError, match="exists and is not a virtualenv sahab made"):
        install_checkov(target, uv="/bin/false")
    assert (target / "notes.txt").read_text() == "mine"


def test_matching_environment_is_left_alone(tmp_path):
    executable = _fake_environment(tmp_path / "checkov", lock_sha256())
    result = install_checkov(tmp_path / "checkov", uv="/bin/false")   # would fail if it installed anything
    assert (result.action, result.executable, result.version) == ("unchanged", executable, PINNED_CHECKOV_VERSION)


def test_pack_is_written_for_this_environment_and_refreshed(tmp_path):
    pack = install_pack(tmp_path / "pack")
    manifest = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["options"] == {"toolchain": "pip", "virtualenv": sys.prefix}
    assert "build_policy_pack()" in (pack / "__main__.py").read_text()
    (pack / "__main__.py").write_text("edited")
    assert install_pack(tmp_path / "pack") == pack
    assert "build_policy_pack()" in (pack / "__main__.py").read_text()


def test_pack_needs_sahab_in_a_virtualenv(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    with pytest.raises(SetupError, match="which is not a virtualenv"):
        install_pack(tmp_path / "pack")
    assert not (tmp_path / "pack").exists()
