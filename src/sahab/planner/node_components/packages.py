"""Which multi-language packages the planner can construct, and from where.

The program's Python SDK sends its own version with every registration (``request.version``); the
provider of the same version constructs the component. Two places hold it: the provider plugin
Pulumi installed (``pulumi-resource-<package>``, :mod:`.plugins`), which is what ``pulumi
preview`` runs, and, for some releases, the npm package: only releases whose npm tarball ships the
provider's implementation (``cmd/provider``, what the plugin binary runs) can be constructed from
npm. From pulumi-eks 3.0 the npm package is a generated SDK that registers the same remote
component again, and every ``@pulumi/awsx`` release since 1.0 (the first with a Python SDK) is one
too; their implementation ships only inside the plugin binary.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional, Tuple, Union


class NodePackage(NamedTuple):
    """A Pulumi package whose components have a Node.js implementation."""

    package: str  # the type tokens' package: ``eks`` in ``eks:index:Cluster``
    npm: str  # its npm name
    entry: str  # the module that starts the provider (``pulumi.provider.main``), within the npm package
    implementation_below: Optional[Tuple[int, ...]]  # npm releases from this version on are generated SDKs


class Release(NamedTuple):
    """The npm release that constructs a component: its package and exact version."""

    package: NodePackage
    version: str

    @property
    def spec(self) -> str:
        return "%s@%s" % (self.package.npm, self.version)

    @property
    def entry(self) -> str:
        return "%s/%s" % (self.package.npm, self.package.entry)

    @property
    def on_npm(self) -> bool:
        """Whether the npm release ships the implementation (else it is a generated SDK)."""
        below = self.package.implementation_below
        return below is None or _number(self.version) < below

    def not_installed(self, type_: str) -> str:
        """Why nothing constructs ``type_`` when the plugin is missing and npm has no implementation."""
        name = self.package.package
        return ("the provider plugin that implements %s (pulumi-resource-%s v%s) is not installed, and %s on npm is a "
                "generated SDK without it: install the plugin (pulumi plugin install resource %s %s)"
                % (type_, name, self.version, self.spec, name, self.version))


PACKAGES = {
    "eks": NodePackage("eks", "@pulumi/eks", "cmd/provider", (3, 0, 0)),
    "awsx": NodePackage("awsx", "@pulumi/awsx", "cmd/provider", (1, 0, 0)),
}
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$")


def is_supported(type_: str) -> bool:
    """Whether ``type_`` belongs to a package this module knows (expanded, or unchecked with a reason)."""
    return type_.split(":", 1)[0] in PACKAGES


def release_for(type_: str, version: str) -> Union[Release, str]:
    """The release that constructs ``type_`` for the program's SDK ``version``, else why none is known."""
    package = PACKAGES[type_.split(":", 1)[0]]
    if _VERSION.match(version or "") is None:
        return ("the program's %s SDK sent no usable version (%r), so the matching %s release is unknown"
                % (package.package, version, package.npm))
    return Release(package, version)


def _number(version: str) -> Tuple[int, ...]:
    match = _VERSION.match(version)
    assert match is not None  # a Release's version matched already
    return tuple(int(part) for part in match.groups())
