"""Cluster on AKS: private API, Entra-only access, workload identity, CMK disks, pinned version."""
from __future__ import annotations

import pytest

from azure_compute_fixtures import ADMINS, API_SUBNET, NODE_SUBNET, TENANT, key
from sahab.components.azure.cluster import Cluster, ClusterArgs
from sahab.components.node_bootstrap import NodeBootstrap
from sahab.components.validation import ComponentInputError
from sahab.testing import assert_azure_pinned_and_contained, attempt_plan, one_of_type, plan_resources, resources_of_type

AKS = "azure-native:containerservice:ManagedCluster"
DES = "azure-native:compute:DiskEncryptionSet"
ROLE = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def cluster(name="ml", **overrides):
    values = dict(subnet_id=NODE_SUBNET, api_server_subnet_id=API_SUBNET, disk_key=key("disks"), secrets_key=key("cluster-secrets"),
                  admin_group_object_ids=[ADMINS], tenant_id=TENANT)
    values.update(overrides)
    return Cluster(name, ClusterArgs(**values))


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: cluster())


def test_private_api_server_in_its_own_subnet_and_no_public_access(planned):
    inputs = one_of_type(planned, AKS)["inputs"]
    assert inputs["apiServerAccessProfile"] == {
        "enablePrivateCluster": True, "enablePrivateClusterPublicFQDN": False, "privateDNSZone": "system", "disableRunCommand": True,
        "enableVnetIntegration": True, "subnetId": API_SUBNET}
    assert inputs["publicNetworkAccess"] == "Disabled"


def test_secrets_in_etcd_use_the_cluster_secrets_key_through_private_kms(planned):
    kms = one_of_type(planned, AKS)["inputs"]["securityProfile"]["azureKeyVaultKms"]
    secrets = key("cluster-secrets")
    assert kms == {"enabled": True, "keyId": secrets.key_uri_with_version, "keyVaultNetworkAccess": "Private",
                   "keyVaultResourceId": secrets.vault_id}


def test_entra_rbac_only_with_local_accounts_disabled(planned):
    inputs = one_of_type(planned, AKS)["inputs"]
    assert inputs["disableLocalAccounts"] is True and inputs["enableRBAC"] is True
    assert inputs["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "adminGroupObjectIDs": [ADMINS], "tenantID": TENANT}


def test_workload_identity_oidc_issuer_and_network_policy(planned):
    inputs = one_of_type(planned, AKS)["inputs"]
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"]["workloadIdentity"] == {"enabled": True}
    network = inputs["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"], network["networkPolicy"], network["networkDataplane"]) == (
        "azure", "overlay", "cilium", "cilium")


def test_pinned_version_and_upgrade_channels(planned):
    inputs = one_of_type(planned, AKS)["inputs"]
    assert inputs["kubernetesVersion"] == "1.33"
    assert inputs["autoUpgradeProfile"] == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}
    assert inputs["nodeResourceGroupProfile"] == {"restrictionLevel": "ReadOnly"}


def test_system_pool_has_no_public_ips_and_runs_only_critical_addons(planned):
    [pool] = one_of_type(planned, AKS)["inputs"]["agentPoolProfiles"]
    assert pool["mode"] == "System" and pool["enableNodePublicIP"] is False and pool["enableEncryptionAtHost"] is True
    assert pool["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert pool["availabilityZones"] == ["1", "2", "3"]


def test_system_pool_carries_the_node_bootstrap_aks_settings(planned):
    """The same AKS render as the user pools (SAHAB-NOD-002): SSH off, no unsafe sysctls, swap off."""
    [pool] = one_of_type(planned, AKS)["inputs"]["agentPoolProfiles"]
    assert pool["securityProfile"] == {"sshAccess": "Disabled"}
    assert pool["kubeletConfig"] == {"allowedUnsafeSysctls": [], "failSwapOn": True}
    assert pool["linuxOSConfig"] == {"swapFileSizeMB": 0}


def test_system_pool_key_only_ssh_is_aks_local_user():
    planned = plan_resources(lambda: cluster(system_bootstrap=NodeBootstrap(ssh="key-only")))
    [pool] = one_of_type(planned, AKS)["inputs"]["agentPoolProfiles"]
    assert pool["securityProfile"] == {"sshAccess": "LocalUser"}


def test_disks_use_the_customer_managed_key_through_a_disk_encryption_set(planned):
    des = one_of_type(planned, DES)
    disks = key("disks")
    assert des["inputs"]["encryptionType"] == "EncryptionAtRestWithCustomerKey"
    assert des["inputs"]["activeKey"] == {"keyUrl": disks.key_uri_with_version, "sourceVault": {"id": disks.vault_id}}
    assert des["inputs"]["rotationToLatestKeyVersionEnabled"] is True
    assert one_of_type(planned, AKS)["propertyDependencies"]["diskEncryptionSetID"] == [des["urn"]]


def test_role_grants_are_exact_and_precede_the_cluster(planned):
    grants = {}
    for grant in resources_of_type(planned, ROLE):
        grants.setdefault(grant["inputs"]["description"], []).append(grant)
    assert {role: sorted(str(g["inputs"]["scope"]) for g in found) for role, found in grants.items() if role != "sahab: Reader"} == {
        "sahab: Network Contributor": sorted([NODE_SUBNET, API_SUBNET]),
        "sahab: Key Vault Crypto User": [key("cluster-secrets").key_id],
        "sahab: Key Vault Contributor": [key("cluster-secrets").vault_id],
        "sahab: Key Vault Crypto Service Encryption User": [key("disks").key_id],
    }
    [disk_grant] = grants["sahab: Key Vault Crypto Service Encryption User"]
    assert disk_grant["inputs"]["roleDefinitionId"].endswith("/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6")
    [des_read] = grants["sahab: Reader"]
    assert des_read["propertyDependencies"]["scope"] == [one_of_type(planned, DES)["urn"]]
    aks = one_of_type(planned, AKS)
    assert set(aks["dependencies"]) >= {g["urn"] for g in resources_of_type(planned, ROLE)}
    control_plane = one_of_type(planned, IDENTITY)
    assert aks["propertyDependencies"]["identity"] == [control_plane["urn"]]


def test_everything_is_pinned_to_the_location_and_inside_the_component(planned):
    assert_azure_pinned_and_contained(planned, "sahab:azure:Cluster")
    central = plan_resources(lambda: cluster(location="uaecentral", disk_key=key("disks", "uaecentral"),
                                             secrets_key=key("cluster-secrets", "uaecentral")))
    assert_azure_pinned_and_contained(central, "sahab:azure:Cluster", location="uaecentral")
    assert "availabilityZones" not in one_of_type(central, AKS)["inputs"]["agentPoolProfiles"][0]


@pytest.mark.parametrize("overrides, message", [
    (dict(location="eastus"), "region 'eastus' is outside the UAE"),
    (dict(location="uaecentral", disk_key=key("disks", "uaecentral"), secrets_key=key("cluster-secrets", "uaecentral"), zones=["1"]),
     "uaecentral has no availability zones"),
    (dict(disk_key=key("disks", "uaecentral")), "disk_key is a key in uaecentral but the component is in uaenorth"),
    (dict(secrets_key=None), "secrets_key is required (a CustomerManagedKey"),
    (dict(api_server_subnet_id=""), "api_server_subnet_id is required"),
    (dict(disk_key="https://kv.vault.azure.net/keys/disks"), "disk_key is required (a CustomerManagedKey"),
    (dict(admin_group_object_ids=[]), "admin_group_object_ids must name at least one Entra ID group"),
    (dict(admin_group_object_ids=["admins"]), "admin_group_object_ids[0] 'admins' is not an Entra ID"),
    (dict(kubernetes_version="latest"), "kubernetes_version 'latest' must be a pinned minor version such as '1.33'"),
    (dict(system_vm_size="Standard_NC4as_T4_v3"), "system_vm_size 'Standard_NC4as_T4_v3' must be a CPU VM size"),
    (dict(system_min_count=0), "system_min_count must be >= 1, got 0"),
    (dict(network_policy="none"), "network_policy 'none' is not allowed"),
    (dict(subnet_id="subnet-1"), "subnet_id 'subnet-1' is not a resource ID"),
    (dict(dns_service_ip="10.1.0.10"), "dns_service_ip '10.1.0.10' must be an address inside service_cidr 10.0.0.0/16"),
    (dict(pod_cidr="10.0.0.0/8"), "pod_cidr 10.0.0.0/8 overlaps service_cidr 10.0.0.0/16"),
    (dict(pod_cidr="8.8.0.0/16"), "pod_cidr 8.8.0.0/16 must be a private range"),
    (dict(system_bootstrap=NodeBootstrap(ssh="password")), "Cluster: bootstrap ssh must be one of disabled, key-only, got 'password'"),
    (dict(system_bootstrap="disabled"), "Cluster: system_bootstrap must be a NodeBootstrap(ssh=...), got 'disabled'"),
])
def test_bad_input_is_refused_before_any_resource(overrides, message):
    name = overrides.pop("name", "ml")
    resources, error = attempt_plan(lambda: cluster(name, **overrides))
    assert isinstance(error, ComponentInputError) and message in str(error), error
    assert resources == []


def test_empty_name_is_refused():
    resources, error = attempt_plan(lambda: cluster(""))
    assert str(error) == "Cluster: name must be a non-empty string" and resources == []
