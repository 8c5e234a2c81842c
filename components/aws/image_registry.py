"""ECR repositories for training and serving images: KMS-encrypted, scanned, immutable tags.

Why: what runs on the GPUs must be exactly what was built and scanned. Immutable tags mean a
tag can never be re-pointed at another image after review; every push is scanned; images are
encrypted with a customer key in the UAE; untagged layers expire so old, unscanned images do
not linger. Mutable tags are an explicit, tagged exception (``allow_mutable_tags=True``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..validation import ComponentInputError, require_name, require_non_empty
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION
from .arguments import require_kms_key_arn
from .provider import UaeProvider, resolve_provider

COMPONENT = "ImageRegistry"
TYPE_TOKEN = "sahab:aws:ImageRegistry"
MUTABLE_EXCEPTION = "mutable-image-tags"
_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")


@dataclass
class ImageRegistryArgs:
    """Repositories are created as ``<component name>/<repository>``.

    ``kms_key_arn``: a key whose policy lets ECR use it and create grants, e.g.
    ``EncryptionKeys.key_arn("images")`` (the S3-only artifacts key would refuse ECR).
    """

    kms_key_arn: pulumi.Input[str]
    repositories: Sequence[str] = field(default_factory=lambda: ["training", "serving"])
    allow_mutable_tags: bool = False
    untagged_expiry_days: int = 14
    max_image_count: int = 500
    provider: Optional[UaeProvider] = None
    region: str = UAE_AWS_REGION


def _validate(name: str, args: ImageRegistryArgs) -> None:
    resolve_provider(COMPONENT, args.provider, args.region)
    require_name(COMPONENT, name)
    require_kms_key_arn(COMPONENT, "kms_key_arn", args.kms_key_arn)
    require_non_empty(COMPONENT, "repositories", list(args.repositories))
    for repository in args.repositories:
        if not isinstance(repository, str) or not _REPOSITORY.match(repository) or len(repository) > 64:
            raise ComponentInputError(
                "%s: repository name %r must be 1-64 lowercase letters or digits, separated by single '.', '_' or '-'"
                % (COMPONENT, repository)
            )
    if len(set(args.repositories)) != len(list(args.repositories)):
        raise ComponentInputError("%s: repositories must not repeat: %s" % (COMPONENT, ", ".join(args.repositories)))
    if not isinstance(args.allow_mutable_tags, bool):
        raise ComponentInputError("%s: allow_mutable_tags must be True or False, got %r" % (COMPONENT, args.allow_mutable_tags))
    for argument in ("untagged_expiry_days", "max_image_count"):
        value = getattr(args, argument)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ComponentInputError("%s: %s must be a whole number >= 1, got %r" % (COMPONENT, argument, value))


def lifecycle_policy(untagged_expiry_days: int, max_image_count: int) -> Dict[str, List[Dict[str, object]]]:
    """Untagged images expire; beyond ``max_image_count`` the oldest images go."""
    return {"rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged images after %d days" % untagged_expiry_days,
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": untagged_expiry_days},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep at most %d images" % max_image_count,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": max_image_count},
            "action": {"type": "expire"},
        },
    ]}


class ImageRegistry(AwsComponent):
    """KMS-encrypted ECR repositories with immutable tags, scan on push and a lifecycle policy."""

    repository_urls: Dict[str, pulumi.Output[str]]
    repository_arns: Dict[str, pulumi.Output[str]]
    repository_names: Dict[str, str]

    def __init__(self, name: str, args: ImageRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        _validate(name, args)
        super().__init__(TYPE_TOKEN, name, provider=args.provider, region=args.region, opts=opts)
        mutability = "MUTABLE" if args.allow_mutable_tags else "IMMUTABLE"
        tags = {"sahab:exception": MUTABLE_EXCEPTION} if args.allow_mutable_tags else None
        policy = json.dumps(lifecycle_policy(args.untagged_expiry_days, args.max_image_count))

        self.repository_urls, self.repository_arns, self.repository_names = {}, {}, {}
        for repository in args.repositories:
            full_name = "%s/%s" % (name, repository)
            repo = aws.ecr.Repository(
                "%s-%s" % (name, repository),
                name=full_name,
                image_tag_mutability=mutability,
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn,
                )],
                force_delete=False,
                tags=tags,
                opts=self.child_opts(),
            )
            aws.ecr.LifecyclePolicy("%s-%s" % (name, repository), repository=repo.name, policy=policy, opts=self.child_opts())
            self.repository_urls[repository] = repo.repository_url
            self.repository_arns[repository] = repo.arn
            self.repository_names[repository] = full_name

        self.register_outputs({
            "repository_urls": dict(self.repository_urls),
            "repository_arns": dict(self.repository_arns),
            "image_tag_mutability": mutability,
        })
