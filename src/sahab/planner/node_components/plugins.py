"""The provider plugins Pulumi installed, found where the Pulumi CLI looks for them.

``pulumi plugin install resource eks 2.8.1`` (or the first ``pulumi preview`` of a program that
uses the package) unpacks the plugin into ``$PULUMI_HOME/plugins/resource-eks-v2.8.1/`` (default
``~/.pulumi/plugins``), executable ``pulumi-resource-eks``; a ``resource-eks-v2.8.1.partial`` file
beside it marks an install that did not finish. The planner uses only the exact version the
program's SDK sends, as the engine asks for it: another version is a different implementation.
Plugins on ``PATH`` ("ambient" plugins, which the CLI may prefer without a version check) are not
used. The plan records the executable's sha256 (what ran).
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import NamedTuple, Optional, Tuple


class InstalledPlugin(NamedTuple):
    """One installed provider plugin of the exact version asked for."""

    folder: Path  # resource-<package>-v<version>
    executable: Path  # <folder>/pulumi-resource-<package>
    digest: str  # sha256:<hex> of the executable

    @property
    def name(self) -> str:
        return "%s %s" % (self.executable.name, self.folder.name.rsplit("-", 1)[1])


def plugins_folder() -> Path:
    """``$PULUMI_HOME/plugins``, else ``~/.pulumi/plugins``: where the Pulumi CLI installs plugins."""
    home = os.environ.get("PULUMI_HOME")
    return Path(home) / "plugins" if home else Path.home() / ".pulumi" / "plugins"


def find(package: str, version: str) -> Optional[InstalledPlugin]:
    """The installed ``pulumi-resource-<package>`` of exactly ``version``, or None."""
    folder = plugins_folder() / ("resource-%s-v%s" % (package, version))
    executable = folder / ("pulumi-resource-%s" % package)
    if (folder.parent / (folder.name + ".partial")).exists() or not executable.is_file() or not os.access(executable, os.X_OK):
        return None
    info = executable.stat()
    return InstalledPlugin(folder, executable, _digest(str(executable), (info.st_size, info.st_mtime_ns, info.st_ino)))


@functools.lru_cache(maxsize=16)
def _digest(path: str, identity: Tuple[int, int, int]) -> str:
    """sha256 of the file at ``path`` as ``identity`` (size, mtime, inode) saw it: hashed once per process."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()
