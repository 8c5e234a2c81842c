"""Azure RBAC role assignments from a fixed set of built-in roles, each on one exact scope, and
the two custom blob roles of a storage account that a path-prefix grant uses.

Why a fixed set: a component grants a managed identity only what the platform needs (encrypt
with a key, attach to a subnet, read blobs, pull images), by name, so a review sees the role in
the plan and no free-form role ID or subscription-wide scope slips in. Why custom roles for
prefixes: a role assignment condition constrains data actions only, and the built-in blob roles
also carry management actions (delete or rewrite the container, get a user delegation key) that
no condition can limit; :class:`BlobPrefixRole` has the same data actions and no action at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple, Union

import pulumi
import pulumi_azure_native as azure_native

from ..validation import ComponentInputError

__all__ = ["BLOB_DATA_ACTIONS", "BUILT_IN_ROLES", "BlobPrefixRole", "GRANTABLE_ROLES", "assign_role", "blob_prefix_condition",
           "blob_prefix_role", "require_container_scope", "require_path_prefix", "require_prefix", "require_role",
           "require_scope"]

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

# The data actions of the two blob roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage),
# relative to _BLOBS. A path-prefix condition must cover every one of them: an action it leaves out stays
# unrestricted in the whole container.
BLOB_DATA_ACTIONS: Mapping[str, Tuple[str, ...]] = {
    "Storage Blob Data Reader": ("read",),
    "Storage Blob Data Contributor": ("read", "write", "add/action", "delete", "move/action"),
}
_BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
_CONTAINER_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[^/]+"
    r"/blobServices/default/containers/[^/]+$", re.IGNORECASE)
# Characters the condition language gives a meaning inside or around a string literal.
_LITERAL_BREAKERS = ("'", '"', "\\", "*", "?")


@dataclass(frozen=True)
class BlobPrefixRole:
    """A custom role with the blob data actions of one built-in blob role (``like``, a key of
    :data:`BLOB_DATA_ACTIONS`) and no management action, assignable at one storage account only.
    Made by :func:`blob_prefix_role` (``ArtifactStore.prefix_grant``) and granted only under a
    path prefix, so every action it allows is one the prefix condition restricts."""

    label: str                              # "blob prefix reader": role name and assignment description
    like: str
    definition_guid: pulumi.Output[str]     # the RoleDefinition's name (a GUID); depends on it

    @property
    def data_actions(self) -> Tuple[str, ...]:
        return BLOB_DATA_ACTIONS[self.like]


Role = Union[str, BlobPrefixRole]


def role_definition_id(scope_id: pulumi.Input[str], role_guid: pulumi.Input[str]) -> pulumi.Output[str]:
    """The subscription-qualified ID of a role (built-in, or custom in that subscription), read
    from an ARM ID in that subscription."""
    return pulumi.Output.all(scope_id, role_guid).apply(
        lambda ids: "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (ids[0].split("/")[2], ids[1])
    )


def blob_prefix_role(resource_name: str, *, account_id: pulumi.Input[str], account_name: pulumi.Input[str],
                     read_only: bool, opts: pulumi.ResourceOptions) -> BlobPrefixRole:
    """The custom role "sahab blob prefix reader|writer (<account>)" of one storage account: the
    data actions of Storage Blob Data Reader or Contributor, no ``actions`` (so no container
    delete/write/read and no ``generateUserDelegationKey``), created at and assignable at exactly
    the account. The name is unique in the tenant (account names are globally unique) and fixed
    for the account, so a redeploy updates the same role."""
    like = "Storage Blob Data Reader" if read_only else "Storage Blob Data Contributor"
    label = "blob prefix %s" % ("reader" if read_only else "writer")
    definition = azure_native.authorization.RoleDefinition(
        resource_name,
        scope=account_id,
        assignable_scopes=[account_id],
        role_name=pulumi.Output.from_input(account_name).apply(lambda account: "sahab %s (%s)" % (label, account)),
        description="sahab: the blob data actions of %s, no management actions; granted under a path prefix only" % like,
        role_type="CustomRole",
        permissions=[azure_native.authorization.PermissionArgs(
            actions=[], not_actions=[], not_data_actions=[],
            data_actions=["%s/%s" % (_BLOBS, action) for action in BLOB_DATA_ACTIONS[like]])],
        opts=opts,
    )
    return BlobPrefixRole(label=label, like=like, definition_guid=definition.name)


def require_role(component: str, argument: str, role: object) -> Role:
    if isinstance(role, BlobPrefixRole):
        return role
    if not isinstance(role, str) or role not in GRANTABLE_ROLES:
        raise ComponentInputError(
            "%s: %s %r is not a role sahab grants; choose one of: %s, or ArtifactStore.prefix_grant(...)'s role"
            % (component, argument, role, ", ".join(GRANTABLE_ROLES)))
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


def require_container_scope(component: str, argument: str, scope: str) -> str:
    """A blob container's ARM ID: the one scope a path-prefix condition is written for (the
    condition names paths inside a container, so a wider scope would apply it to every container)."""
    if not isinstance(scope, str) or not _CONTAINER_ID.match(scope):
        raise ComponentInputError(
            "%s: %s %r must be a blob container ID (.../storageAccounts/<account>/blobServices/default/containers/<name>) "
            "when path_prefix is set" % (component, argument, scope))
    return scope


def require_path_prefix(component: str, argument: str, role: Role, scope: Any, path_prefix: Any) -> None:
    """``path_prefix`` of a grant (``argument``): a blob role, a container scope (checked here when
    it is a string, by :func:`assign_role` once an Output's value is known) and a literal prefix.
    A :class:`BlobPrefixRole` must have one: unconditioned, it would reach the whole container."""
    where = argument + ".path_prefix"
    if path_prefix is None:
        if isinstance(role, BlobPrefixRole):
            raise ComponentInputError("%s: %s is required with the custom role %r (it is granted under a path prefix only)"
                                      % (component, where, role.label))
        return
    if not isinstance(role, BlobPrefixRole) and role not in BLOB_DATA_ACTIONS:
        raise ComponentInputError("%s: %s is only for %s; role %r has no blob data actions to restrict"
                                  % (component, where, " or ".join(BLOB_DATA_ACTIONS), role))
    if isinstance(scope, str):
        require_container_scope(component, argument + ".scope", scope)
    require_prefix(component, where, path_prefix)


def require_prefix(component: str, where: str, path_prefix: Any) -> str:
    """A literal blob name prefix a condition can hold: non-empty, relative, ending in ``/``, no
    ``..`` segment and no character with a meaning in the condition language."""
    if not isinstance(path_prefix, str) or not path_prefix.strip("/"):
        raise ComponentInputError("%s: %s must be a non-empty blob name prefix such as 'inference-inputs/churn/', got %r"
                                  % (component, where, path_prefix))
    if path_prefix.startswith("/"):
        raise ComponentInputError("%s: %s %r must not start with '/' (blob names are relative to the container)"
                                  % (component, where, path_prefix))
    if not path_prefix.endswith("/"):
        raise ComponentInputError("%s: %s %r must end with '/'; without it the condition also matches %r"
                                  % (component, where, path_prefix, path_prefix + "-other/..."))
    if ".." in path_prefix.split("/"):
        raise ComponentInputError("%s: %s %r must not contain a '..' segment" % (component, where, path_prefix))
    if any(c in path_prefix for c in _LITERAL_BREAKERS) or not path_prefix.isprintable():
        raise ComponentInputError("%s: %s %r must not contain quotes, '\\', '*', '?' or control characters "
                                  "(they would change the condition's string literal)" % (component, where, path_prefix))
    return path_prefix


def blob_prefix_condition(role: Role, path_prefix: str) -> str:
    """The role assignment condition (version 2.0) that limits every data action of ``role`` to
    blobs whose name starts with ``path_prefix``: reading a blob and (Contributor) writing,
    creating, deleting and renaming one by the blob's path; listing by the request's prefix, so a
    list call must pass a prefix that starts with ``path_prefix``.

    The form is Microsoft's "Read or list blobs in named containers with a path" and "Write blobs
    in named containers with a path" (learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples)
    without their container-name test: the assignment's scope is the container itself.
    """
    path = "@Resource[%s:path] StringStartsWith '%s'" % (_BLOBS, path_prefix)
    listed = "@Request[%s:prefix] StringStartsWith '%s'" % (_BLOBS, path_prefix)
    read = "ActionMatches{'%s/read'}" % _BLOBS
    blocks = [([read + " AND NOT SubOperationMatches{'Blob.List'}"], path),
              ([read + " AND SubOperationMatches{'Blob.List'}"], listed)]
    actions = role.data_actions if isinstance(role, BlobPrefixRole) else BLOB_DATA_ACTIONS[role]
    others = [action for action in actions if action != "read"]
    if others:
        blocks.append((["ActionMatches{'%s/%s'}" % (_BLOBS, action) for action in others], path))
    return " AND ".join("((%s) OR (%s))" % (" AND ".join("!(%s)" % match for match in matches), expression)
                        for matches, expression in blocks)


def assign_role(resource_name: str, *, principal_id: pulumi.Input[str], role: Role, scope: pulumi.Input[str],
                opts: pulumi.ResourceOptions, principal_type: str = "ServicePrincipal",
                path_prefix: Optional[str] = None) -> azure_native.authorization.RoleAssignment:
    """Grant ``role`` on ``scope`` to a principal: a managed identity by default (``principal_type``
    ServicePrincipal, so Azure does not wait for a new identity to replicate before it accepts the
    assignment). With ``path_prefix`` (blob roles on a container only) the assignment carries
    :func:`blob_prefix_condition`; a container scope that is an Output is checked when its value
    is known, and a wrong one fails the deployment instead of granting anything. A
    :class:`BlobPrefixRole` is always granted with a prefix (:func:`require_path_prefix`)."""
    condition = None
    custom = isinstance(role, BlobPrefixRole)
    description = "sahab: %s" % (role.label if custom else role)
    require_path_prefix("RoleAssignment %s" % resource_name, "grant", role, scope, path_prefix)
    if path_prefix is not None:
        if not isinstance(scope, str):
            scope = pulumi.Output.from_input(scope).apply(
                lambda value: require_container_scope("RoleAssignment %s" % resource_name, "scope", value))
        condition = blob_prefix_condition(role, path_prefix)
        description += " under %s" % path_prefix
    return azure_native.authorization.RoleAssignment(
        resource_name,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_definition_id(scope, role.definition_guid if custom else BUILT_IN_ROLES[role]),
        scope=scope,
        description=description,
        condition=condition,
        condition_version="2.0" if condition is not None else None,
        opts=opts,
    )
