"""RoleGrant.path_prefix: a blob role on one container limited to a path prefix by an ABAC condition,
and ArtifactStore.prefix_grant: the same condition on the store's data-only custom roles.

The expected conditions are written out in full: they are what Azure evaluates, so a change to
the text is a change to who can read or write which blobs and must show up here.
"""
from __future__ import annotations

import dataclasses

import pulumi
import pytest

from azure_compute_fixtures import BUCKETS, ISSUER
from azure_fixtures import foundation
from sahab.components.azure.artifact_store import ArtifactStore, ArtifactStoreArgs
from sahab.components.azure.ci_identity import CiIdentity, CiIdentityArgs, GithubBinding
from sahab.components.azure.roles import BLOB_DATA_ACTIONS, blob_prefix_role
from sahab.components.azure.workload_identity import RoleGrant, WorkloadIdentity, WorkloadIdentityArgs
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

ROLE = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"
ACCOUNT_TYPE = "azure-native:storage:StorageAccount"
CONTAINER_TYPE = "azure-native:storage:BlobContainer"
CONTAINER = BUCKETS + "/blobServices/default/containers/models"
PREFIX = "inference-inputs/churn/"
BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"

# Microsoft's "Read or list blobs in named containers with a path" (storage-auth-abac-examples),
# without the container-name test (the scope is the container): reads by the blob's path, lists
# by the request's prefix.
READ_CONDITION = (
    "((!(ActionMatches{'%(b)s/read'} AND NOT SubOperationMatches{'Blob.List'})) "
    "OR (@Resource[%(b)s:path] StringStartsWith '%(p)s')) AND "
    "((!(ActionMatches{'%(b)s/read'} AND SubOperationMatches{'Blob.List'})) "
    "OR (@Request[%(b)s:prefix] StringStartsWith '%(p)s'))" % {"b": BLOBS, "p": PREFIX})
# Plus "Write blobs in named containers with a path" for every other data action of the role.
WRITE_CONDITION = READ_CONDITION + (
    " AND ((!(ActionMatches{'%(b)s/write'}) AND !(ActionMatches{'%(b)s/add/action'}) AND !(ActionMatches{'%(b)s/delete'}) "
    "AND !(ActionMatches{'%(b)s/move/action'})) OR (@Resource[%(b)s:path] StringStartsWith '%(p)s'))" % {"b": BLOBS, "p": PREFIX})


def workload(*grants):
    return WorkloadIdentity("drift", WorkloadIdentityArgs(namespace="serving", service_account="churn-drift",
                                                          oidc_issuer_url=ISSUER, grants=list(grants)))


def assignment_of(make_grant):
    """The one RoleAssignment's inputs; ``make_grant`` runs inside the program (for Output scopes)."""
    return one_of_type(plan_resources(lambda: workload(make_grant())), ROLE)["inputs"]


def assignment(grant):
    return assignment_of(lambda: grant)


@pytest.mark.parametrize("role, role_guid, condition", [
    ("Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", READ_CONDITION),
    ("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", WRITE_CONDITION),
])
def test_a_prefix_grant_carries_the_exact_condition_on_its_container(role, role_guid, condition):
    grant = assignment(RoleGrant(role=role, scope=CONTAINER, path_prefix=PREFIX))
    assert grant["condition"] == condition
    assert grant["conditionVersion"] == "2.0"
    assert grant["scope"] == CONTAINER
    assert grant["roleDefinitionId"].endswith("/roleDefinitions/" + role_guid)
    assert grant["description"] == "sahab: %s under %s" % (role, PREFIX)


@pytest.mark.parametrize("role", sorted(BLOB_DATA_ACTIONS))
def test_the_condition_restricts_every_data_action_of_the_role(role):
    # An action missing from the condition would stay unrestricted across the whole container.
    condition = assignment(RoleGrant(role=role, scope=CONTAINER, path_prefix=PREFIX))["condition"]
    targeted = {part.split("'")[1] for part in condition.split("ActionMatches{")[1:]}
    assert targeted == {"%s/%s" % (BLOBS, action) for action in BLOB_DATA_ACTIONS[role]}


def test_a_grant_without_a_prefix_has_no_condition():
    grant = assignment(RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER))
    assert "condition" not in grant and "conditionVersion" not in grant
    assert grant["description"] == "sahab: Storage Blob Data Contributor"


def test_a_container_scope_known_only_at_deploy_time_gets_the_same_condition():
    grant = assignment_of(lambda: RoleGrant(role="Storage Blob Data Reader", scope=pulumi.Output.from_input(CONTAINER),
                                            path_prefix=PREFIX))
    assert grant["condition"] == READ_CONDITION and grant["scope"] == CONTAINER


def test_an_artifact_store_container_is_the_scope_and_the_condition_is_in_the_plan():
    # The container's ID is unknown until it exists, but the condition depends only on role and
    # prefix, so the plan (and the gate) see it in full before the deployment.
    def program():
        placement, network, keys = foundation()
        store = ArtifactStore("ml", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"),
                                                      containers=["models", "datasets"], **placement))
        WorkloadIdentity("drift", WorkloadIdentityArgs(
            namespace="serving", service_account="churn-drift", oidc_issuer_url=ISSUER, **placement,
            grants=[RoleGrant(role="Storage Blob Data Reader", scope=store.container_ids["models"], path_prefix=PREFIX)]))

    resources = plan_resources(program)
    grant = next(r for r in resources_of_type(resources, ROLE) if r["name"] == "drift-0")
    models = next(r for r in resources_of_type(resources, CONTAINER_TYPE) if r["inputs"]["containerName"] == "models")
    assert grant["propertyDependencies"]["scope"] == [models["urn"]]
    assert grant["inputs"]["condition"] == READ_CONDITION and grant["inputs"]["conditionVersion"] == "2.0"


def test_an_output_scope_that_is_not_a_container_fails_instead_of_granting():
    # Checked when the value is known: the deployment fails and no assignment is registered.
    resources, error = attempt_plan(lambda: workload(
        RoleGrant(role="Storage Blob Data Reader", scope=pulumi.Output.from_input(BUCKETS), path_prefix=PREFIX)))
    assert error is not None and "scope %r must be a blob container ID" % BUCKETS in str(error), error
    assert resources_of_type(resources, ROLE) == []


def test_ci_bindings_take_prefix_grants_too():
    grant = RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER, path_prefix=PREFIX)
    resources = plan_resources(lambda: CiIdentity("ci", CiIdentityArgs(
        github=[GithubBinding(repository="uae-ml/platform", environment="production", grants=[grant])])))
    assert one_of_type(resources, ROLE)["inputs"]["condition"] == WRITE_CONDITION


@pytest.mark.parametrize("grant, message", [
    (RoleGrant(role="AcrPull", scope=CONTAINER, path_prefix=PREFIX),
     "grants[0].path_prefix is only for Storage Blob Data Reader or Storage Blob Data Contributor; role 'AcrPull'"),
    (RoleGrant(role="Storage Blob Data Reader", scope=BUCKETS, path_prefix=PREFIX),
     "grants[0].scope %r must be a blob container ID" % BUCKETS),
    (RoleGrant(role="Storage Blob Data Reader", scope=CONTAINER + "/extra", path_prefix=PREFIX),
     "grants[0].scope %r must be a blob container ID" % (CONTAINER + "/extra")),
    (RoleGrant(role="Storage Blob Data Reader", scope=CONTAINER, path_prefix=""),
     "grants[0].path_prefix must be a non-empty blob name prefix"),
    (RoleGrant(role="Storage Blob Data Reader", scope=CONTAINER, path_prefix="/inference-inputs/churn/"),
     "grants[0].path_prefix '/inference-inputs/churn/' must not start with '/'"),
    (RoleGrant(role="Storage Blob Data Reader", scope=CONTAINER, path_prefix="inference-inputs/churn"),
     "grants[0].path_prefix 'inference-inputs/churn' must end with '/'"),
    (RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER, path_prefix="inference-inputs/../churn/"),
     "grants[0].path_prefix 'inference-inputs/../churn/' must not contain a '..' segment"),
    (RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER, path_prefix="churn') OR (true/"),
     "must not contain quotes"),
    (RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER, path_prefix='churn"/'), "must not contain quotes"),
    (RoleGrant(role="Storage Blob Data Contributor", scope=CONTAINER, path_prefix="churn*/"), "must not contain quotes"),
])
def test_bad_prefix_grants_are_refused_before_anything_registers(grant, message):
    resources, error = attempt_plan(lambda: workload(grant))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert str(error).startswith("WorkloadIdentity: ") and "\n" not in str(error)
    assert resources == []


# ArtifactStore.prefix_grant: the account's custom roles, with blob data actions and nothing else.

def store_program(*grants_of, containers=("models", "datasets")):
    """An ArtifactStore and one WorkloadIdentity whose grants are ``grant_of(store)`` each."""
    def program():
        placement, network, keys = foundation()
        store = ArtifactStore("ml", ArtifactStoreArgs(key=keys.key("artifacts"), private_link=network.private_link("blob"),
                                                      containers=list(containers), **placement))
        WorkloadIdentity("drift", WorkloadIdentityArgs(namespace="serving", service_account="churn-drift",
                                                       oidc_issuer_url=ISSUER, grants=[g(store) for g in grants_of], **placement))
    return program


def by_name(resources, type_token):
    return {r["name"]: r for r in resources_of_type(resources, type_token)}


def identity_assignments(resources):
    """The role assignments of the "drift" WorkloadIdentity (the keys' own are not grants)."""
    return [r for r in resources_of_type(resources, ROLE) if r["name"].startswith("drift-")]


@pytest.mark.parametrize("read_only, kind, like", [(True, "reader", "Storage Blob Data Reader"),
                                                   (False, "writer", "Storage Blob Data Contributor")])
def test_a_prefix_role_has_the_blob_data_actions_and_no_action_at_exactly_the_account(read_only, kind, like):
    # A condition limits data actions only; the built-in roles' actions (containers/delete,
    # containers/write, containers/read, generateUserDelegationKey) would stay unconditioned.
    definition = one_of_type(plan_resources(lambda: blob_prefix_role(
        "prefix", account_id=BUCKETS, account_name="artifacts", read_only=read_only, opts=pulumi.ResourceOptions())),
        DEFINITION)["inputs"]
    assert definition["permissions"] == [{
        "actions": [], "notActions": [], "notDataActions": [],
        "dataActions": ["%s/%s" % (BLOBS, action) for action in BLOB_DATA_ACTIONS[like]]}]
    assert definition["scope"] == BUCKETS and definition["assignableScopes"] == [BUCKETS]
    assert definition["roleName"] == "sahab blob prefix %s (artifacts)" % kind
    assert definition["roleType"] == "CustomRole"


def test_the_store_grants_its_own_roles_with_the_prefix_condition_on_the_container():
    resources = plan_resources(store_program(lambda store: store.prefix_grant("models", PREFIX, read_only=True),
                                             lambda store: store.prefix_grant("models", "mlflow/", read_only=False)))
    definitions = by_name(resources, DEFINITION)
    assert sorted(definitions) == ["ml-blob-prefix-reader", "ml-blob-prefix-writer"]
    [account] = resources_of_type(resources, ACCOUNT_TYPE)
    for definition in definitions.values():
        # Created at, and assignable only at, the store's own account; named after it.
        assert definition["propertyDependencies"]["scope"] == [account["urn"]]
        assert definition["propertyDependencies"]["assignableScopes"] == [account["urn"]]
        assert definition["propertyDependencies"]["roleName"] == [account["urn"]]
        assert definition["inputs"]["permissions"][0]["actions"] == []
    models = next(r for r in resources_of_type(resources, CONTAINER_TYPE) if r["inputs"]["containerName"] == "models")
    assignments = {r["name"]: r for r in identity_assignments(resources)}
    for name, definition, description, condition in (
            ("drift-0", "ml-blob-prefix-reader", "sahab: blob prefix reader under " + PREFIX, READ_CONDITION),
            ("drift-1", "ml-blob-prefix-writer", "sahab: blob prefix writer under mlflow/",
             WRITE_CONDITION.replace(PREFIX, "mlflow/"))):
        assignment = assignments[name]
        assert definitions[definition]["urn"] in assignment["propertyDependencies"]["roleDefinitionId"]
        assert assignment["propertyDependencies"]["scope"] == [models["urn"]]
        assert assignment["inputs"]["condition"] == condition and assignment["inputs"]["conditionVersion"] == "2.0"
        assert assignment["inputs"]["description"] == description


def test_each_role_is_created_once_and_only_when_granted():
    readers = plan_resources(store_program(lambda store: store.prefix_grant("models", PREFIX, read_only=True),
                                           lambda store: store.prefix_grant("datasets", "churn/", read_only=True)))
    assert sorted(by_name(readers, DEFINITION)) == ["ml-blob-prefix-reader"]
    assert len(identity_assignments(readers)) == 2
    # A store nobody is granted a prefix of defines no tenant-wide custom role.
    unused = plan_resources(store_program(lambda store: RoleGrant(role="AcrPull", scope=BUCKETS)))
    assert resources_of_type(unused, DEFINITION) == []


@pytest.mark.parametrize("grant_of, message", [
    (lambda store: store.prefix_grant("artifacts", PREFIX, read_only=True),
     "ArtifactStore ml: prefix_grant container 'artifacts' is not one of the store's containers (datasets, models)"),
    (lambda store: store.prefix_grant("models", "churn", read_only=True),
     "ArtifactStore ml: prefix_grant path_prefix 'churn' must end with '/'"),
    (lambda store: store.prefix_grant("models", None, read_only=False),
     "ArtifactStore ml: prefix_grant path_prefix must be a non-empty blob name prefix"),
    (lambda store: store.prefix_grant("models", PREFIX, read_only="yes"),
     "ArtifactStore ml: prefix_grant read_only must be True or False, got 'yes'"),
    # The custom role is granted under a prefix of a container only, even when the grant is built by hand.
    (lambda store: dataclasses.replace(store.prefix_grant("models", PREFIX, read_only=True), path_prefix=None),
     "WorkloadIdentity: grants[0].path_prefix is required with the custom role 'blob prefix reader'"),
    (lambda store: dataclasses.replace(store.prefix_grant("models", PREFIX, read_only=False), scope=BUCKETS),
     "WorkloadIdentity: grants[0].scope %r must be a blob container ID" % BUCKETS),
])
def test_bad_store_prefix_grants_are_refused_before_any_grant(grant_of, message):
    resources, error = attempt_plan(store_program(grant_of))
    assert isinstance(error, ComponentInputError) and str(error).startswith(message), error
    assert "\n" not in str(error)
    assert identity_assignments(resources) == [] and resources_of_type(resources, "sahab:azure:WorkloadIdentity") == []
    if message.startswith("ArtifactStore"):  # refused before the store defines a role for it
        assert resources_of_type(resources, DEFINITION) == []
