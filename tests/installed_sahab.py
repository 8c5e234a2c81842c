"""sahab as a user gets it: the wheel, installed into a fresh virtualenv outside the checkout.

Built once per test session (tests/conftest.py: ``built_wheel``, ``installed_sahab``,
``set_up_sahab``). The install is gate-only (no extras): the locked dependencies without dev tools
or extras (``uv sync --no-install-project`` into the new virtualenv), then the wheel, then
``uv pip check``, which fails if the wheel's metadata asks for anything that is not there. It all
runs offline from uv's cache, which ./bootstrap filled (uv hardlinks: about a second); so does
``sahab setup`` (``UV_OFFLINE=1``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

UV_TIMEOUT = 600


def find_uv(repo_root: Path) -> Path:
    """The uv ./bootstrap pins (``.tools/uv``), else uv on PATH; the tests need one."""
    pinned = repo_root / ".tools" / "uv" / "bin" / "uv"
    found = pinned if pinned.is_file() else (Path(shutil.which("uv")) if shutil.which("uv") else None)
    if found is None:
        raise RuntimeError("no uv: run ./bootstrap (it installs the pinned uv into .tools/uv)")
    return found


def build_wheel(repo_root: Path, out: Path) -> Path:
    """The wheel of the working tree (setuptools' PEP 517 hook, no network, no build isolation).

    Built from a copy of what pyproject.toml packages, never in the checkout: setuptools keeps
    ``build/lib`` between builds, so a file deleted from the tree would still be in a wheel built
    there (and two builds at once would share it).
    """
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())
    source = out / "source"
    for folder in sorted({Path(d).parts[0] for d in project["tool"]["setuptools"]["package-dir"].values()}):
        shutil.copytree(repo_root / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", project["project"]["readme"]):
        shutil.copy2(repo_root / name, source / name)
    code = "import sys; from setuptools import build_meta as b; print(b.build_wheel(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(out)], cwd=source, check=True, capture_output=True)
    return next(out.glob("sahab-*.whl"))


@dataclass
class InstalledSahab:
    """A virtualenv with the wheel installed, and the environment its commands run with."""

    venv: Path
    workdir: Path                      # outside the checkout: commands run here
    uv: Path
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def sahab(self, args: List[str], *, data_dir: Optional[Path] = None, cwd: Optional[Path] = None,
              timeout: float = 600) -> subprocess.CompletedProcess:
        """Run the installed ``sahab`` (``data_dir`` overrides ``SAHAB_DATA_DIR``)."""
        env = dict(self.env, **({"SAHAB_DATA_DIR": str(data_dir)} if data_dir is not None else {}))
        return subprocess.run([str(self.venv / "bin" / "sahab")] + args, cwd=cwd or self.workdir, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def run_python(self, code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.python), "-c", code], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=120, check=False)


def install(repo_root: Path, wheel: Path, root: Path) -> InstalledSahab:
    """Create ``root/venv`` and install ``wheel`` into it, gate-only, at uv.lock's versions."""
    uv = find_uv(repo_root)
    venv = root / "venv"
    python = str(venv / "bin" / "python")
    _uv([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=root)
    _uv([str(uv), "sync", "--offline", "--frozen", "--no-dev", "--no-install-project", "--quiet", "--project", str(repo_root)],
        cwd=root, env={"UV_PROJECT_ENVIRONMENT": str(venv)})
    _uv([str(uv), "pip", "install", "--offline", "--quiet", "--no-deps", "--python", python, str(wheel)], cwd=root)
    _uv([str(uv), "pip", "check", "--python", python], cwd=root)
    workdir = root / "work"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "SAHAB_CHECKOV", "PYTEST_CURRENT_TEST")}
    env.update({"SAHAB_DATA_DIR": str(root / "data"), "SAHAB_CACHE_DIR": str(root / "cache"), "UV_OFFLINE": "1"})
    return InstalledSahab(venv=venv, workdir=workdir, uv=uv, env=env)


def _uv(command: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> None:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=UV_TIMEOUT, check=False,
                               env=dict(os.environ, **(env or {})))
    if completed.returncode != 0:
        raise RuntimeError("%s failed (run ./bootstrap first: it fills uv's cache):\n%s%s"
                           % (" ".join(command[:3]), completed.stderr, completed.stdout))
