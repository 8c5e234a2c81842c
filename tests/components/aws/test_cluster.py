"""Cluster: private endpoint, KMS-encrypted secrets and logs, all log types, pinned add-ons."""
from __future__ import annotations

import json

import pulumi
import pytest

from sahab.components.aws import UaeProvider
from sahab.components.aws.cluster import (
    CONTROL_PLANE_LOG_TYPES,
    DEFAULT_ADDON_VERSIONS,
    EKS_OIDC_THUMBPRINT,
    Cluster,
    ClusterArgs,
)
from sahab.components.validation import ComponentInputError
from sahab.testing import attempt_plan, one_of_type, plan_resources, resources_of_type

SECRETS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
LOGS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000002"
EBS_KEY = "arn:aws:kms:me-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000003"
ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
SUBNETS = ["subnet-0a", "subnet-0b", "subnet-0c"]

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"


def _args(**overrides) -> ClusterArgs:
    values = dict(subnet_ids=SUBNETS, secrets_kms_key_arn=SECRETS_KEY, logs_kms_key_arn=LOGS_KEY)
    values.update(overrides)
    return ClusterArgs(**values)


@pytest.fixture(scope="module")
def planned():
    return plan_resources(lambda: Cluster("ml", _args(admin_role_arns=[ADMIN], ebs_csi_kms_key_arns=[EBS_KEY])))


def _named(resources, type_token, name):
    return next(r for r in resources if r["type"] == type_token and r["name"] == name)


def test_endpoint_is_private_only(planned):
    vpc = one_of_type(planned, CLUSTER)["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == SUBNETS


def test_secrets_encrypted_with_the_given_key_and_every_log_type_on(planned):
    inputs = one_of_type(planned, CLUSTER)["inputs"]
    assert inputs["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": SECRETS_KEY}}
    assert sorted(inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"])
    assert tuple(inputs["enabledClusterLogTypes"]) == CONTROL_PLANE_LOG_TYPES


def test_version_pinned_access_entries_only_no_creator_admin(planned):
    inputs = one_of_type(planned, CLUSTER)["inputs"]
    assert inputs["name"] == "ml"
    assert inputs["version"] == "1.33"
    assert inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["deletionProtection"] is True
    assert "sahab:exception" not in inputs["tags"]


def test_control_plane_log_group_is_encrypted_and_exists_before_the_cluster(planned):
    group = one_of_type(planned, "aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["name"] == "/aws/eks/ml/cluster"
    assert group["inputs"]["kmsKeyId"] == LOGS_KEY
    assert group["inputs"]["retentionInDays"] == 365
    assert group["urn"] in one_of_type(planned, CLUSTER)["dependencies"]


def test_cluster_role_trusts_eks_with_the_cluster_policy(planned):
    role = _named(planned, ROLE, "ml-cluster")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                                   "Action": ["sts:AssumeRole"]}]
    attachment = _named(planned, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ml-cluster-AmazonEKSClusterPolicy")
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert one_of_type(planned, CLUSTER)["propertyDependencies"]["roleArn"] == [role["urn"]]


def test_irsa_oidc_provider_from_the_cluster_issuer(planned):
    oidc = one_of_type(planned, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc["inputs"]["thumbprintLists"] == [EKS_OIDC_THUMBPRINT]
    assert oidc["inputs"]["url"] == {"$unknown": True}
    assert oidc["propertyDependencies"]["url"] == [one_of_type(planned, CLUSTER)["urn"]]


def test_every_addon_is_installed_at_its_pinned_version(planned):
    addons = {a["inputs"]["addonName"]: a["inputs"] for a in resources_of_type(planned, ADDON)}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver"}
    for name, inputs in addons.items():
        assert inputs["addonVersion"] == DEFAULT_ADDON_VERSIONS[name]
        assert inputs["addonVersion"] != "latest"
        assert inputs["clusterName"] == "ml"


@pytest.mark.parametrize("addon, service_account, policy", [
    ("vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
    ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"),
])
def test_addon_permissions_come_through_pod_identity(planned, addon, service_account, policy):
    resource = _named(planned, ADDON, "ml-%s" % addon)
    association = resource["inputs"]["podIdentityAssociations"]
    assert [a["serviceAccount"] for a in association] == [service_account]
    role = _named(planned, ROLE, "ml-%s" % addon)
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    attachments = [a for a in resources_of_type(planned, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a["propertyDependencies"].get("role") == [role["urn"]]]
    assert [a["inputs"]["policyArn"] for a in attachments] == [policy]
    agent = _named(planned, ADDON, "ml-eks-pod-identity-agent")
    assert agent["urn"] in resource["dependencies"]


def test_ebs_csi_may_use_the_listed_volume_keys_only(planned):
    policy = json.loads(one_of_type(planned, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])
    assert {tuple(s["Resource"]) for s in policy["Statement"]} == {(EBS_KEY,)}


def test_ebs_csi_kms_permissions_are_exactly_what_encrypted_volumes_need(planned):
    """Grants only for AWS resources (EC2 attaching the volume), and using the key: no ListGrants,
    RevokeGrant or key administration, on the listed key only, on the driver's own role."""
    role_policy = one_of_type(planned, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy["propertyDependencies"]["role"] == [_named(planned, ROLE, "ml-aws-ebs-csi-driver")["urn"]]
    assert json.loads(role_policy["inputs"]["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["kms:CreateGrant"], "Resource": [EBS_KEY],
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": [EBS_KEY]},
    ]


def test_encrypted_volumes_name_a_key_the_ebs_csi_driver_was_granted():
    captured = []
    plan_resources(lambda: captured.append(Cluster("ml", _args(ebs_csi_kms_key_arns=[EBS_KEY])).encrypted_volumes(EBS_KEY)))
    volumes = captured[0]
    assert (volumes.provisioner, volumes.key) == ("ebs.csi.aws.com", "kmsKeyId")
    assert volumes.parameters == {"type": "gp3", "encrypted": "true", "kmsKeyId": EBS_KEY, "csi.storage.k8s.io/fstype": "ext4"}


@pytest.mark.parametrize("granted, call, message", [
    ([], lambda c: c.encrypted_volumes(EBS_KEY),
     "Cluster: the EBS CSI driver may not use KMS key %r; pass the same key in ClusterArgs.ebs_csi_kms_key_arns "
     "so its role is granted it" % EBS_KEY),
    ([EBS_KEY], lambda c: c.encrypted_volumes(EBS_KEY, volume_type="gp4"),
     "Cluster: volume_type 'gp4' is not allowed; choose one of: gp2, gp3, io1, io2, sc1, st1, standard"),
    ([EBS_KEY], lambda c: c.encrypted_volumes(EBS_KEY, file_system="btrfs"),
     "Cluster: file_system 'btrfs' is not allowed; choose one of: ext3, ext4, xfs"),
])
def test_encrypted_volumes_refuse_bad_input(granted, call, message):
    _, error = attempt_plan(lambda: call(Cluster("ml", _args(ebs_csi_kms_key_arns=granted))))
    assert isinstance(error, ComponentInputError) and str(error) == message


def test_admins_are_explicit_access_entries(planned):
    entry = one_of_type(planned, "aws:eks/accessEntry:AccessEntry")
    assert entry["inputs"]["principalArn"] == ADMIN
    association = one_of_type(planned, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association["inputs"]["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association["inputs"]["accessScope"] == {"type": "cluster"}


def test_every_resource_is_in_the_uae_on_the_pinned_provider(planned):
    provider = one_of_type(planned, "pulumi:providers:aws")
    component = one_of_type(planned, "sahab:aws:Cluster")
    assert provider["inputs"]["region"] == "me-central-1"
    assert {r["region"] for r in planned} == {"me-central-1"}
    children = [r for r in planned if r["custom"] and r["type"] != "pulumi:providers:aws"]
    assert len(children) == 17  # 5 add-ons, 3 roles, 3 attachments, 1 policy, cluster, logs, OIDC, admin x2
    assert all(r["provider"] == provider["urn"] and r["parent"] == component["urn"] for r in children)


def test_outputs_are_public_attributes():
    seen = {}

    def program():
        cluster = Cluster("ml", _args())
        for attribute in ("cluster_name", "cluster_arn", "oidc_provider_arn", "node_security_group_id",
                          "cluster_security_group_id", "endpoint", "kubeconfig"):
            seen[attribute] = isinstance(getattr(cluster, attribute), pulumi.Output)

    plan_resources(program)
    assert seen and all(seen.values())


def test_kubeconfig_holds_no_credential_and_gets_tokens_from_eks():
    from sahab.components.aws.cluster import kubeconfig

    config = json.loads(kubeconfig("ml-prod", "https://ABC.gr7.me-central-1.eks.amazonaws.com", "LS0tCA==", region="me-central-1"))
    assert config["clusters"] == [{"name": "ml-prod", "cluster": {
        "server": "https://ABC.gr7.me-central-1.eks.amazonaws.com", "certificate-authority-data": "LS0tCA=="}}]
    assert config["users"] == [{"name": "ml-prod", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "interactiveMode": "Never",
        "args": ["eks", "get-token", "--cluster-name", "ml-prod", "--region", "me-central-1", "--output", "json"]}}}]


def test_callers_provider_is_used():
    def program():
        Cluster("ml", _args(provider=UaeProvider("shared")))

    resources = plan_resources(program)
    provider = one_of_type(resources, "pulumi:providers:aws")
    assert provider["name"] == "shared"
    assert one_of_type(resources, CLUSTER)["provider"] == provider["urn"]


def test_subnets_may_come_as_one_output():
    """Network hands out ``private_subnet_ids`` as an Output of a list."""
    subnets = lambda: pulumi.Output.from_input(SUBNETS)  # noqa: E731
    resources = plan_resources(lambda: Cluster("ml", _args(subnet_ids=subnets())))
    assert one_of_type(resources, CLUSTER)["inputs"]["vpcConfig"]["subnetIds"] == SUBNETS


def test_public_endpoint_is_explicit_limited_and_visible():
    resources = plan_resources(lambda: Cluster("ml", _args(allow_public_endpoint=True,
                                                           public_access_cidrs=["203.0.113.0/24"])))
    inputs = one_of_type(resources, CLUSTER)["inputs"]
    assert inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert inputs["tags"]["sahab:exception"] == "public-endpoint"


def test_custom_cluster_name_names_the_log_group():
    resources = plan_resources(lambda: Cluster("ml", _args(cluster_name="sahab-prod")))
    assert one_of_type(resources, CLUSTER)["inputs"]["name"] == "sahab-prod"
    assert one_of_type(resources, "aws:cloudwatch/logGroup:LogGroup")["inputs"]["name"] == "/aws/eks/sahab-prod/cluster"


@pytest.mark.parametrize("name, overrides, message", [
    ("ml", {"region": "eu-west-1"},
     "Cluster: region 'eu-west-1' is outside the UAE; sahab pins AWS resources to me-central-1"),
    ("", {}, "Cluster: name must be a non-empty string"),
    ("ml", {"allow_public_endpoint": True, "public_access_cidrs": ["0.0.0.0/0"]},
     "Cluster: public_access_cidrs must not contain 0.0.0.0/0 (the whole internet); list the networks that need access"),
    ("ml", {"allow_public_endpoint": True},
     "Cluster: allow_public_endpoint needs public_access_cidrs: the operator networks allowed to reach the API"),
    ("ml", {"public_access_cidrs": ["203.0.113.0/24"]},
     "Cluster: public_access_cidrs is set but the endpoint is private; pass allow_public_endpoint=True to open it"),
    ("ml", {"addon_versions": {**DEFAULT_ADDON_VERSIONS, "coredns": "latest"}},
     "Cluster: add-on coredns version 'latest' is not pinned; give an exact EKS build such as "
     "'v1.12.1-eksbuild.2' (aws eks describe-addon-versions --addon-name coredns)"),
    ("ml", {"addon_versions": {k: v for k, v in DEFAULT_ADDON_VERSIONS.items() if k != "vpc-cni"}},
     "Cluster: addon_versions has no pinned version for vpc-cni; every one of vpc-cni, coredns, kube-proxy, "
     "eks-pod-identity-agent, aws-ebs-csi-driver must be pinned"),
    ("ml", {"version": "1.34"},
     "Cluster: kube-proxy v1.33.3-eksbuild.6 does not match Kubernetes 1.34; "
     "kube-proxy must run the control plane's minor version"),
    ("ml", {"version": "latest"},
     "Cluster: version 'latest' must be a pinned Kubernetes minor version such as '1.33'"),
    ("ml", {"secrets_kms_key_arn": None},
     "Cluster: secrets_kms_key_arn is required (a KMS key ARN in me-central-1)"),
    ("ml", {"logs_kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc"},
     "Cluster: logs_kms_key_arn 'arn:aws:kms:eu-west-1:111122223333:key/abc' is a key in eu-west-1, "
     "outside the UAE; use a key in me-central-1"),
    ("ml", {"secrets_kms_key_arn": "arn:aws:kms:me-central-1:111122223333:alias/eks"},
     "Cluster: secrets_kms_key_arn 'arn:aws:kms:me-central-1:111122223333:alias/eks' is not a KMS key ARN "
     "(arn:aws:kms:me-central-1:<account>:key/<id>)"),
    ("ml", {"subnet_ids": ["subnet-0a"]},
     "Cluster: subnet_ids needs private subnets in at least two availability zones, got 1"),
    ("ml", {"log_retention_days": 0},
     "Cluster: log_retention_days 0 is not a CloudWatch retention; choose one of: 1, 3, 5, 7, 14, 30, 60, 90, "
     "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
])
def test_bad_input_is_refused_before_any_resource(name, overrides, message):
    resources, error = attempt_plan(lambda: Cluster(name, _args(**overrides)))
    assert isinstance(error, ComponentInputError)
    assert str(error) == message
    assert resources == []
