"""What the gate reads from the project, read once, before the program runs.

The program being planned runs as the same user as sahab and can write wherever the project
lives. Whatever the gate judges or relaxes with, apart from the program's registrations, is
therefore read into memory *before* the program starts, and the verdict uses only that copy: a
program that renames a Dockerfile away, deletes a workflow, rewrites its waivers or baseline, or
replaces a checkov check while it is planned changes nothing. (``sahab.yaml``, a trusted
configuration and the Rego rules are read before too, by :func:`sahab.api.run_gate`'s caller and
:func:`sahab.gate.rules.load_bundle`.) checkov scans the snapshot's bytes, staged in its own scratch
folder; its findings name the project's paths.

A saved plan or a preview is gated without running anything, so its snapshot is taken when it is
gated (:func:`sahab.gate.run.gate_plan`).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from .checkov.engine import CheckFile, default_checks_dir, read_checks
from .checkov.manifests import ProjectFiles, read_project_files
from .baseline import Baseline, read_baseline
from .config import GateConfig
from .relaxations import Relaxations, TrustedConfig, govern
from .rules import PolicyBundle
from .waivers import Waiver, load_waivers


@dataclass(frozen=True)
class ProjectSnapshot:
    """The project's inputs to the gate as they were when it was taken."""

    waivers: Tuple[Waiver, ...]
    baseline: Optional[Baseline]                # for the project and stack it names (checked on the plan)
    relaxations: Optional["Relaxations"]        # what the project's sahab.yaml relaxes (:mod:`.relaxations`)
    project_files: Optional[ProjectFiles]       # CI files and Dockerfiles; None: checkov scans none
    checkov_checks: Tuple[CheckFile, ...]       # sahab's and the team's checkov checks; () without checkov


def take_snapshot(config: GateConfig, bundle: PolicyBundle, trusted: Optional[TrustedConfig],
                  project_dir: Optional[Path], today: Optional[datetime.date] = None) -> ProjectSnapshot:
    """Read every project input ``config`` names now; the configuration errors they hold are raised now.

    ``project_dir``: the project whose CI files and Dockerfiles checkov scans (None: none).
    ``today``: the date waivers expire against.
    """
    relaxations = govern(config, bundle, trusted, project_dir)  # first: a forbidden relaxation is the first error
    return ProjectSnapshot(
        waivers=tuple(load_waivers(config.waivers, today)) if config.waivers else (),
        baseline=read_baseline(config.baseline) if config.baseline else None,
        relaxations=relaxations,
        project_files=read_project_files(project_dir) if config.checkov_enabled and project_dir is not None else None,
        checkov_checks=read_checks([default_checks_dir(), *config.checkov_checks_dirs]) if config.checkov_enabled else (),
    )
