"""Azure RBAC role assignments from a fixed set of built-in roles, each on one exact scope.

Why a fixed set: a component grants a managed identity only what the platform needs (encrypt
with a key, attach to a subnet, read blobs, pull images), by name, so a review sees the role in
the plan and no free-form role ID or subscription-wide scope slips in.
"""
from __future__ import annotations

from typing import Any, Mapping

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError

__all__ = ["BUILT_IN_ROLES", "GRANTABLE_ROLES", "assign_role", "require_role", "require_scope"]

# Built-in role definition IDs, the same in every subscription (learn.microsoft.com, "Azure
# built-in roles"; the Key Vault ones cross-checked against public Bicep/Terraform templates).
BUILT_IN_ROLES: Mapping[str, str] = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}
# What a workload or CI identity may be granted (RoleGrant): data access to one resource. The
# management roles above (Key Vault Contributor, Network Contributor, ...) are for the cluster's
# own control plane only.
GRANTABLE_ROLES = ("AcrPull", "AcrPush", "Key Vault Secrets User", "Reader", "Storage Blob Data Contributor",
                   "Storage Blob Data Reader")


def role_definition_id(scope_id: pulumi.Input[str], role_guid: str) -> pulumi.Output[str]:
    """The subscription-qualified ID of a built-in role, read from an ARM ID in that subscription."""
    return pulumi.Output.from_input(scope_id).apply(
        lambda arm_id: "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (arm_id.split("/")[2], role_guid)
    )


def require_role(component: str, argument: str, role: object) -> str:
    if not isinstance(role, str) or role not in GRANTABLE_ROLES:
        raise ComponentInputError(
            "%s: %s %r is not a role sahab grants; choose one of: %s" % (component, argument, role, ", ".join(GRANTABLE_ROLES)))
    return role


def require_scope(component: str, argument: str, scope: Any) -> Any:
    """A resource scope (a resource or resource group ID), never a whole subscription."""
    if scope is None or (isinstance(scope, str) and not scope.strip()):
        raise ComponentInputError("%s: %s is required (the ARM ID of the one resource the role applies to)" % (component, argument))
    if isinstance(scope, str):
        parts = [p for p in scope.split("/") if p]
        if len(parts) < 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
            raise ComponentInputError(
                "%s: %s %r must be a resource group or resource ID (/subscriptions/<id>/resourceGroups/...); "
                "subscription-wide grants are refused" % (component, argument, scope))
    return scope


def assign_role(resource_name: str, *, principal_id: pulumi.Input[str], role: str, scope: pulumi.Input[str],
                opts: pulumi.ResourceOptions, principal_type: str = "ServicePrincipal") -> azure_native.authorization.RoleAssignment:
    """Grant ``role`` on ``scope`` to a principal: a managed identity by default (``principal_type``
    ServicePrincipal, so Azure does not wait for a new identity to replicate before it accepts the
    assignment)."""
    return azure_native.authorization.RoleAssignment(
        resource_name,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_definition_id(scope, BUILT_IN_ROLES[role]),
        scope=scope,
        description="sahab: %s" % role,
        opts=opts,
    )
