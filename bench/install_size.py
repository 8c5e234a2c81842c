"""Install size: the wheel gate-only, with the promotion/verify extras, with charts too, and
checkov's environment from `sahab setup`. Prints MB of each virtualenv's site-packages (du) and
the number of distributions. Needs ./bootstrap's uv and access to PyPI (uv's cache makes it fast).

    .venv/bin/python bench/install_size.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from installed_sahab import build_wheel, find_uv  # noqa: E402

VARIANTS = (("gate-only", "", ()), ("promotion,verify", "[promotion,verify]", ("promotion", "verify")),
            ("+charts", "[promotion,verify,charts]", ("promotion", "verify", "charts")))


def megabytes(path: Path) -> int:
    return int(subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def main() -> None:
    uv = str(find_uv(REPO))
    with tempfile.TemporaryDirectory(prefix="sahab-size-") as scratch:
        root = Path(scratch)
        wheel = build_wheel(REPO, root)
        print("%-18s %8s %14s" % ("install", "MB", "distributions"))
        for name, extras, extra_flags in VARIANTS:
            constraints = root / ("constraints-%s.txt" % name.replace(",", "-").replace(" ", "-"))
            subprocess.run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet", "-o", str(constraints)]
                           + [arg for extra in extra_flags for arg in ("--extra", extra)], cwd=REPO, check=True)
            venv = root / name.replace(",", "-").replace(" ", "-")
            subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
            subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel) + extras,
                            "-c", str(constraints)], check=True)
            count = subprocess.run([str(venv / "bin" / "python"), "-c",
                                    "import importlib.metadata as m; print(len(list(m.distributions())))"],
                                   capture_output=True, text=True, check=True).stdout.strip()
            site = next((venv / "lib").glob("python3*/site-packages"))
            print("%-18s %8d %14s" % (name, megabytes(site), count))
            if name == "gate-only":
                subprocess.run([str(venv / "bin" / "sahab"), "setup", "--uv", uv, "--data-dir", str(root / "data")],
                               check=True, capture_output=True)
        print("%-18s %8d %14s" % ("checkov (setup)", megabytes(root / "data" / "checkov"), "-"))


if __name__ == "__main__":
    main()
