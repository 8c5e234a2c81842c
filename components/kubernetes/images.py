"""Container images from the in-region registry, pinned by digest or by an immutable tag.

A component takes :class:`Image` values, never free strings, and checks them before it
registers anything: the registry must be ECR in me-central-1 or an Azure Container Registry
(whose UAE location the gate checks against the registry the plan declares, SAHAB-RES-006), and
the reference must not move under the deployment (``latest``, ``main``... are refused).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..validation import ComponentInputError

ECR_UAE_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.me-central-1\.amazonaws\.com$")
ACR_HOST = re.compile(r"^[a-z0-9]{5,50}\.azurecr\.io$")
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Tags that by convention move to new content: a pod restarted tomorrow would run other code.
MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "edge", "nightly", "dev", "head", "release"})


def require_registry_host(component: str, argument: str, host: object) -> str:
    """A registry host inside the UAE: ECR in me-central-1, or an ACR login server."""
    if not isinstance(host, str) or not (ECR_UAE_HOST.match(host) or ACR_HOST.match(host)):
        raise ComponentInputError(
            "%s: %s %r is not an in-region registry; mirror the image into ECR in me-central-1 "
            "(<account>.dkr.ecr.me-central-1.amazonaws.com) or a UAE Azure Container Registry (<name>.azurecr.io)"
            % (component, argument, host)
        )
    return host


@dataclass(frozen=True)
class Image:
    """``registry/repository`` at a digest (preferred) or an immutable tag."""

    registry: str
    repository: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def reference(self) -> str:
        if self.digest:
            return "%s/%s@%s" % (self.registry, self.repository, self.digest)
        return "%s/%s:%s" % (self.registry, self.repository, self.tag)

    @classmethod
    def parse(cls, reference: str) -> "Image":
        """``host/repo:tag``, ``host/repo@sha256:...`` or ``host/repo:tag@sha256:...``."""
        rest, _, digest = reference.partition("@")
        registry, _, path = rest.partition("/")
        repository, tag = path, None
        if ":" in path.rsplit("/", 1)[-1]:
            repository, _, tag = path.rpartition(":")
        return cls(registry, repository, tag or None, digest or None)


def require_image(component: str, argument: str, image: object) -> str:
    """Check an image and return its reference; fails before anything registers."""
    if not isinstance(image, Image):
        raise ComponentInputError(
            "%s: %s must be a sahab Image(registry, repository, tag|digest); got %r" % (component, argument, image)
        )
    require_registry_host(component, argument + ".registry", image.registry)
    if not _REPOSITORY.match(image.repository or ""):
        raise ComponentInputError("%s: %s.repository %r is not a valid repository path" % (component, argument, image.repository))
    if image.digest is not None and not _DIGEST.match(image.digest):
        raise ComponentInputError(
            "%s: %s.digest %r must be sha256:<64 lowercase hex>" % (component, argument, image.digest))
    if image.digest is None:
        if not image.tag or not _TAG.match(image.tag):
            raise ComponentInputError(
                "%s: %s needs a digest (sha256:...) or a version tag; got %r" % (component, argument, image.tag))
        if image.tag.lower() in MUTABLE_TAGS:
            raise ComponentInputError(
                "%s: %s tag %r moves to new content; pin a version tag or, better, a digest"
                % (component, argument, image.tag))
    return image.reference


def require_chart_image(component: str, argument: str, image: object) -> str:
    """An image a Helm chart pulls: charts write ``<repository>:<tag>``, so a tag is needed even
    with a digest (the digest then rides on the tag, ``v1.0@sha256:...``)."""
    reference = require_image(component, argument, image)
    if not image.tag:  # type: ignore[union-attr]
        raise ComponentInputError(
            "%s: %s needs a version tag as well as its digest (the chart pulls <repository>:<tag>)" % (component, argument))
    return reference
