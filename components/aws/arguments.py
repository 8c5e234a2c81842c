"""AWS-specific argument checks shared by the components (run before anything registers)."""
from __future__ import annotations

import re
from typing import Any

from ..validation import ComponentInputError
from .catalogue import UAE_AWS_REGION, UAE_AWS_REGIONS

_KMS_ARN = re.compile(r"^arn:aws:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<kind>key|alias)/\S+$")


def require_kms_key_arn(component: str, argument: str, value: Any, allow_alias: bool = True) -> Any:
    """A KMS key ARN argument: required; a literal one must be a key (or alias) in the UAE.

    An ``Output`` (a key made in the same program) cannot be read before registration; it is
    accepted as it is, and the plan shows where it came from (``propertyDependencies``).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ComponentInputError("%s: %s is required (a KMS key ARN in %s)" % (component, argument, UAE_AWS_REGION))
    if isinstance(value, str):
        match = _KMS_ARN.match(value)
        if match is None or (match.group("kind") == "alias" and not allow_alias):
            raise ComponentInputError(
                "%s: %s %r is not a KMS key ARN (arn:aws:kms:%s:<account>:key/<id>)" % (component, argument, value, UAE_AWS_REGION)
            )
        if match.group("region") not in UAE_AWS_REGIONS:
            raise ComponentInputError(
                "%s: %s %r is a key in %s, outside the UAE; use a key in %s"
                % (component, argument, value, match.group("region"), ", ".join(UAE_AWS_REGIONS))
            )
    return value
