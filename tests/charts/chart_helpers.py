"""Helpers for the chart tests (imported as a module): the test chart, archives, releases planned in-process."""
from __future__ import annotations

import shutil
import tarfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pulumi
import pulumi_kubernetes as k8s

from sahab.charts.expand import expand_helm
from sahab.testing import plan_resources

CHART = Path(__file__).resolve().parents[1] / "fixtures" / "charts" / "sahab-demo"
NAME, VERSION = "sahab-demo", "0.3.1"
REPO = "https://charts.example.org/sahab"
RELEASE = "kubernetes:helm.sh/v3:Release"


def build_archive(target: Path, chart_dir: Path = CHART) -> Path:
    """A chart archive as `helm package`/`helm pull` write it: one top folder named after the chart."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as archive:
        archive.add(chart_dir, arcname=NAME)
    return target


def chart_copy(target: Path, **chart_yaml: str) -> Path:
    """A copy of the test chart, with Chart.yaml fields replaced (e.g. version="0.3.2")."""
    shutil.copytree(CHART, target)
    text = (target / "Chart.yaml").read_text()
    for key, value in chart_yaml.items():
        text = "\n".join("%s: %s" % (key, value) if line.startswith(key + ":") else line for line in text.splitlines()) + "\n"
    (target / "Chart.yaml").write_text(text)
    return target


def release_program(values: Any = None, *, namespace: Any = "training",
                    name: Optional[str] = "ray", chart: str = NAME, version: Optional[str] = VERSION,
                    kind: str = "release", **extra: Any) -> Callable[[], None]:
    """A program with one kubernetes provider and one Release (or v4 Chart) of the test chart.

    ``values`` and ``namespace`` may be callables, run inside the program (to make outputs).
    """

    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="apiVersion: v1\nkind: Config\n")
        opts = pulumi.ResourceOptions(provider=provider)
        ns = namespace(opts) if callable(namespace) else namespace
        planned = values() if callable(values) else values
        if kind == "release":
            k8s.helm.v3.Release("ray", name=name, chart=chart, version=version, namespace=ns, values=planned or {},
                                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPO), opts=opts, **extra)
        else:
            k8s.helm.v4.Chart("ray", name=name, chart=chart, version=version, namespace=ns, values=planned or {},
                              repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=REPO), opts=opts, **extra)

    return program


def expanded(program: Callable[[], None], cache: Path, program_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The program's plan resources after the planner's Helm expansion."""
    resources, _ = expand_helm(plan_resources(program), cache=cache, program_dir=program_dir)
    return resources


def the_release(resources: List[Dict[str, Any]]) -> Dict[str, Any]:
    (release,) = [r for r in resources if r["type"] in (RELEASE, "kubernetes:helm.sh/v4:Chart")]
    return release


def children(resources: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Rendered objects by ``<Kind> <metadata.name>``."""
    return {"%s %s" % (r["inputs"]["kind"], r["inputs"]["metadata"]["name"]): r for r in resources if "rendered" in r}
