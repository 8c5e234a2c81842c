"""sahab's Rego rules as a Pulumi CrossGuard policy pack.

:mod:`.adapter` turns what ``pulumi preview/up`` hands a stack policy into the plan document's
shape (docs/plan-format.md); :mod:`.pack` makes one ``StackValidationPolicy`` per rule. The pack
program itself is ``policies/crossguard/__main__.py``; see docs/crossguard.md.
"""
from __future__ import annotations

from .adapter import adapt_resources, adapt_stack, keep_secrets, secrets_kept
from .pack import PACK_NAME, build_policies, build_policy_pack, control_framework

__all__ = ["PACK_NAME", "adapt_resources", "adapt_stack", "build_policies", "build_policy_pack",
           "control_framework", "keep_secrets", "secrets_kept"]
