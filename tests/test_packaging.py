"""Installing sahab puts only the ``sahab`` package into site-packages.

The repository keeps components/, stacks/ and policies/ at the top level; the
build maps them into ``sahab.*``. A bare ``components`` module in site-packages would collide
with users' own code, so the built wheel is inspected, not just the source tree.
"""
from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

MAPPED_FOLDERS = {"components": "sahab.components", "stacks": "sahab.stacks",
                  "policies": "sahab.policies", "verify": "sahab.verify"}


def _declared_packages(repo_root: Path) -> set:
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    return set(pyproject["tool"]["setuptools"]["packages"])


def _packages_on_disk(repo_root: Path) -> set:
    found = set()
    roots = {"sahab": repo_root / "src" / "sahab"}
    roots.update({name: repo_root / folder for folder, name in MAPPED_FOLDERS.items()})
    for package, root in roots.items():
        for init in root.rglob("__init__.py"):
            relative = init.parent.relative_to(root)
            if any(part in ("__pycache__",) for part in relative.parts):
                continue
            found.add(".".join((package,) + relative.parts) if relative.parts else package)
    return found


def test_every_package_folder_is_declared(repo_root: Path):
    assert _packages_on_disk(repo_root) == _declared_packages(repo_root)


def test_wheel_installs_only_the_sahab_namespace(built_wheel: Path):
    wheel = built_wheel
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"sahab", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    for package in MAPPED_FOLDERS.values():
        assert package.replace(".", "/") + "/__init__.py" in names
    assert "sahab/planner/harness/monitor.py" in names
    assert "sahab/planner/harness/azure_autonames.json" in names  # read beside autonames.py in the child
    assert "sahab/planner/plan.schema.json" in names
    assert "sahab/policies/residency/region_allowed.rego" in names
    assert "sahab/policies/lib/plan.rego" in names
    assert "sahab/policies/checkov/sahab_in_region_registry.py" in names
    assert "sahab/policies/crossguard/PulumiPolicy.yaml" in names
    assert "sahab/gate/checkov/mandatory.yaml" in names
    assert "sahab/components/aws/data/me-central-1.json" in names
    # what `sahab setup` installs checkov from, and the CrossGuard pack it writes out
    assert "sahab/tools/checkov-lock/requirements.txt" in names
    assert "sahab/policies/crossguard/__main__.py" in names
    assert "sahab/policies/crossguard/requirements.txt" not in names   # the checkout's (-e ../..)
    # the post-deploy suites `sahab verify` runs from the installed package, with their conftest
    assert {"sahab/verify/conftest.py", "sahab/verify/test_ci_runner_pods.py", "sahab/verify/test_platform_endpoints.py",
            "sahab/verification/plugin.py"} <= set(names)
