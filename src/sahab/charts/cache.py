"""Where a chart's files come from: a chart cache the user fills once, or a path in the program.

For a release pinned to chart NAME at VERSION, the cache folder may hold (docs/charts.md):

- ``NAME-VERSION.tgz``: what ``helm pull REPO/NAME --version VERSION`` (or
  ``helm pull oci://HOST/PATH/NAME --version VERSION``) writes;
- ``NAME-VERSION/``: the same archive unpacked;
- ``NAME/``: what ``helm pull ... --untar`` writes, used only when its ``Chart.yaml`` says VERSION.

The first that exists is used. Whatever the file is called, the chart inside must be NAME at
VERSION (checked when it is loaded), so a renamed archive cannot stand in for another chart.
A release whose ``chart`` is a local path (``./charts/demo``) is rendered from that path,
relative to the program's folder, as Helm would.

The folder is ``--chart-cache``, else ``charts: {cache: DIR}`` in sahab.yaml, else
``$SAHAB_CHART_CACHE``, else ``$XDG_CACHE_HOME/sahab/charts`` (``~/.cache/sahab/charts``).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

from .releases import HelmInstall

ENV_VAR = "SAHAB_CHART_CACHE"
# Chart names and versions become file names: nothing that could leave the cache folder.
_FILE_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class ChartMissing(Exception):
    """The chart's files are not available; the message says what to do."""


@dataclass(frozen=True)
class ChartSource:
    """The files to render, and how the plan names them (never an absolute path)."""

    path: Path
    origin: str               # "cache:NAME-VERSION.tgz", "cache:NAME/", "program:charts/demo"
    digest: Optional[str]     # sha256 of an archive, as a repository index lists it


def cache_dir(explicit: Optional[Path] = None) -> Path:
    """The chart cache folder: ``explicit`` (flag or sahab.yaml), else the environment, else the default."""
    if explicit is not None:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sahab" / "charts"


def shown(path: Path) -> str:
    """A path as messages show it: under the home folder as ``~/…``."""
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text


def find_chart(install: HelmInstall, cache: Path, program_dir: Optional[Path]) -> ChartSource:
    """The files of ``install``'s chart, or :class:`ChartMissing` saying how to provide them."""
    local = _local_path(install.reference, program_dir)
    if local is not None:
        if not local.exists():
            raise ChartMissing("its chart path %s does not exist" % install.reference)
        return ChartSource(local, "program:%s" % install.reference, _digest(local))
    if install.version is None:
        raise ChartMissing("it pins no chart version, so no chart archive can be matched to it (set `version`)")
    if not (_FILE_SAFE.match(install.chart) and _FILE_SAFE.match(install.version)):
        raise ChartMissing("chart %r version %r cannot name a file in the chart cache" % (install.chart, install.version))
    stem = "%s-%s" % (install.chart, install.version)
    for candidate, origin in ((cache / (stem + ".tgz"), stem + ".tgz"), (cache / stem, stem + "/")):
        if candidate.is_file() or (candidate.is_dir() and (candidate / "Chart.yaml").is_file()):
            return ChartSource(candidate, "cache:" + origin, _digest(candidate))
    untarred = cache / install.chart
    found_version = _chart_yaml_version(untarred)
    if found_version == install.version:
        return ChartSource(untarred, "cache:%s/" % install.chart, None)
    other = " (%s/ holds version %s)" % (install.chart, found_version) if found_version else ""
    raise ChartMissing("%s is not in the chart cache %s%s: fill it with `%s`" % (
        stem + ".tgz", shown(cache), other, pull_command(install, cache)))


def pull_command(install: HelmInstall, cache: Path) -> str:
    """The ``helm pull`` that puts this chart where the cache looks for it."""
    if install.reference.startswith("oci://"):
        source = install.reference
    elif install.repository:
        source = "%s --repo %s" % (install.chart, install.repository)
    else:
        source = install.reference
    return "helm pull %s --version %s -d %s" % (source, install.version, shown(cache))


def _local_path(reference: str, program_dir: Optional[Path]) -> Optional[Path]:
    """A chart given as a path: absolute, ``./``/``../``, or an existing path in the program's folder."""
    if reference.startswith("oci://") or reference == "(unknown)":
        return None
    if os.path.isabs(reference):
        return Path(reference)
    if program_dir is None:
        return None
    candidate = program_dir / reference
    if reference.startswith(("./", "../")) or candidate.exists():
        return candidate
    return None


def _chart_yaml_version(folder: Path) -> Optional[str]:
    try:
        metadata = yaml.safe_load((folder / "Chart.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    version = metadata.get("version") if isinstance(metadata, dict) else None
    return str(version) if version is not None else None


def _digest(path: Path) -> Optional[str]:
    """``sha256:<hex>`` of an archive (what `helm repo index` records); None for a folder."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()
