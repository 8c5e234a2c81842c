"""``sahab setup``: what an installed sahab needs beside its package, in one folder.

A wheel installed with ``uv tool install`` or ``pip install`` has no checkout and no
``./bootstrap``: this creates checkov's isolated environment and a runnable CrossGuard pack under
the data dir (:mod:`.data_dir`), and says whether ``sahab gate`` will find that checkov.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..crossguard.install import install_pack
from ..errors import SetupError
from .checkov import checkov_executable
from .checkov_install import CheckovSetup, install_checkov
from .data_dir import data_dir


@dataclass(frozen=True)
class SetupResult:
    data_dir: Path
    checkov: CheckovSetup
    pack: Path
    gate_uses: Optional[Path]   # the checkov `sahab gate` runs now (None: it finds none)


def setup(data: Optional[Path] = None, *, uv: Optional[str] = None, force: bool = False) -> SetupResult:
    """Install checkov into ``<data>/checkov`` and write the pack to ``<data>/crossguard``.

    ``data`` defaults to :func:`~.data_dir.data_dir`; ``uv`` and ``force`` as for
    :func:`~.checkov_install.install_checkov`.
    """
    root = (Path(data) if data is not None else data_dir()).absolute()
    checkov = install_checkov(root / "checkov", uv=uv, force=force)
    pack = install_pack(root / "crossguard")
    try:
        gate_uses: Optional[Path] = checkov_executable()
    except SetupError:
        gate_uses = None
    return SetupResult(root, checkov, pack, gate_uses)
