"""A runnable copy of the CrossGuard pack for an installed sahab (``sahab crossguard path``).

The pack folder shipped in the package (``sahab/policies/crossguard``) cannot be handed to
``pulumi preview --policy-pack`` as it is: its ``requirements.txt`` installs the checkout
(``-e ../..``) and Pulumi would create a virtualenv inside site-packages. So the pack is written
to a folder of its own (under the data dir) whose ``PulumiPolicy.yaml`` names, as the pack's
virtualenv, the environment this sahab is installed in: the pack runs the installed sahab, with
its pinned pulumi-policy and Rego engine, and there is nothing for Pulumi to install.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, Optional

import yaml

from ..errors import SetupError
from ..gate.rules import default_policies_root
from ..tools.data_dir import data_dir

_HEADER = ("# Written by `sahab setup` / `sahab crossguard path` from the pack sahab ships (docs/crossguard.md). It runs in the\n"
           "# environment sahab is installed in (runtime.options.virtualenv): nothing to install, no `pulumi install`.\n")


def install_pack(target: Optional[Path] = None) -> Path:
    """Write the pack into ``target`` (default ``<data dir>/crossguard``), created or refreshed: the
    folder to pass to ``pulumi preview --policy-pack``."""
    environment = Path(sys.prefix)
    if sys.prefix == sys.base_prefix or not (environment / "bin" / "python").exists():
        raise SetupError("sahab runs from %s, which is not a virtualenv: the CrossGuard pack runs in sahab's own environment"
                         % environment, "install sahab with `uv tool install`, pipx or into a venv")
    shipped = default_policies_root() / "crossguard"
    manifest = yaml.safe_load((shipped / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    manifest["runtime"]["options"]["virtualenv"] = str(environment)
    files: Dict[str, str] = {
        "PulumiPolicy.yaml": _HEADER + yaml.safe_dump(manifest, sort_keys=False, width=1000),
        "__main__.py": (shipped / "__main__.py").read_text(encoding="utf-8"),
    }
    target = (Path(target) if target is not None else data_dir() / "crossguard").absolute()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = target / name
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SetupError("cannot write the CrossGuard pack to %s: %s" % (target, exc.strerror),
                         "choose a writable --data-dir or set SAHAB_DATA_DIR") from None
    return target
