"""Mutation test: break the reference plans one security property at a time.

Each mutation flips one security-relevant input of the reference prod plan (drop a key, open a
port, move a region, make an endpoint public, remove a companion resource...) and asserts that
the rule meant for it reports a violation on the resource it broke. The unmutated plans must be
clean, so every catch is caused by the mutation.
"""
from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from sahab.components.aws.artifact_store import bucket_policy
from sahab.gate.evaluate import evaluate_rules
from sahab.planner.document import effective_region

Plan = Dict[str, Any]
Mutate = Callable[[Plan], str]  # mutates the plan in place, returns the URN the rule must name

UNKNOWN = {"$unknown": True}


@pytest.fixture(scope="module")
def reference_plan(plan_reference_stack) -> Plan:
    return plan_reference_stack("prod")


def _nth(plan: Plan, type_token: str, index: int) -> Dict[str, Any]:
    found = [r for r in plan["resources"] if r["type"] == type_token]
    assert len(found) > index, "the reference plan has %d %s, the mutation needs #%d" % (len(found), type_token, index)
    return found[index]


def _index(plan: Plan, type_token: str, name: str) -> int:
    names = [r["name"] for r in plan["resources"] if r["type"] == type_token]
    assert name in names, "the reference plan has no %s named %s" % (type_token, name)
    return names.index(name)


def _named(edit: Callable[[str, int], Mutate], resource: Tuple[str, str]) -> Mutate:
    """Apply ``edit`` to the resource of that type and name (its position is looked up in the plan)."""
    def mutate(plan: Plan) -> str:
        return edit(resource[0], _index(plan, *resource))(plan)
    return mutate


def _set(type_token: str, index: int, path: Tuple[str, ...], value: Any) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        node = resource["inputs"]
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[int(key)]
        if isinstance(node, list):
            node[int(path[-1])] = value
        else:
            node[path[-1]] = value
        return resource["urn"]
    return mutate


def _drop(type_token: str, index: int, path: Tuple[str, ...]) -> Mutate:
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        node = resource["inputs"]
        for key in path[:-1]:
            node = node[key] if isinstance(node, dict) else node[int(key)]
        node.pop(path[-1], None)
        return resource["urn"]
    return mutate


def _remove_companion(target_type: str, index: int, companion_type: str) -> Mutate:
    """Delete the companion resource that configures the target (linked by propertyDependencies)."""
    def mutate(plan: Plan) -> str:
        target = _nth(plan, target_type, index)
        before = len(plan["resources"])
        plan["resources"] = [r for r in plan["resources"] if not (
            r["type"] == companion_type and target["urn"] in r.get("propertyDependencies", {}).get("bucket", []))]
        assert len(plan["resources"]) == before - 1, "no %s companion for %s" % (companion_type, target["urn"])
        return target["urn"]
    return mutate


def _move_region(type_token: str, index: int, region: str, key: str = "region") -> Mutate:
    """Set the resource's own region input (`location` on Azure): its effective region follows."""
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        resource["inputs"][key] = region
        resource["region"], resource["regionSource"] = region, "resource"
        return resource["urn"]
    return mutate


def _default_provider(type_token: str, index: int) -> Mutate:
    """Drop the explicit provider, as `sahab plan` then records it: the engine's `default_<version>`
    provider, configured from the stack's `<package>:*` config (the UAE here: refused all the same)."""
    def mutate(plan: Plan) -> str:
        resource = _nth(plan, type_token, index)
        package = type_token.split(":")[0]
        urn = "urn:pulumi:%s::%s::pulumi:providers:%s::default_7_51_1" % (plan["stack"], plan["project"], package)
        if not any(r["urn"] == urn for r in plan["resources"]):
            inputs = {k[len(package) + 1:]: v for k, v in plan["config"].items() if k.startswith(package + ":")}
            region, source = effective_region({"inputs": inputs}, [])
            plan["resources"].append({
                "urn": urn, "type": "pulumi:providers:" + package, "name": "default_7_51_1", "mode": "create",
                "custom": True, "opaque": False, "parent": plan["stackUrn"], "provider": None, "region": region,
                "regionSource": source, "inputs": dict(inputs, version="7.51.1"), "unknowns": [], "secrets": [],
                "dependencies": [], "propertyDependencies": {}, "options": {}})
        resource["provider"] = urn
        resource["region"], resource["regionSource"] = effective_region(resource, [r for r in plan["resources"] if r["urn"] == urn])
        return resource["urn"]
    return mutate


def _move_provider(region: str, provider_type: str = "pulumi:providers:aws", key: str = "region") -> Mutate:
    """Re-pin the provider: its region and every resource that inherits it move, as a re-plan would show."""
    def mutate(plan: Plan) -> str:
        provider = _nth(plan, provider_type, 0)
        provider["inputs"][key] = region
        provider["region"] = region
        for resource in plan["resources"]:
            if resource["provider"] == provider["urn"] and resource["regionSource"] == "provider":
                resource["region"] = region
        return provider["urn"]
    return mutate


def _unknown_paths(value: Any, prefix: str = "") -> List[str]:
    """The dotted paths of the unknown markers in `value`, as a resource's `unknowns` lists them."""
    if value == UNKNOWN:
        return [prefix]
    if isinstance(value, dict):
        pairs = sorted(value.items())
    elif isinstance(value, list):
        pairs = [(str(i), item) for i, item in enumerate(value)]
    else:
        return []
    return [path for key, item in pairs for path in _unknown_paths(item, "%s.%s" % (prefix, key) if prefix else key)]


def _new_resource(plan: Plan, type_token: str, name: str, inputs: Dict[str, Any], *,
                  provider_type: str = "pulumi:providers:aws", region: Optional[str] = None,
                  property_dependencies: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    """A top-level resource in the plan document's shape, on the plan's first `provider_type` provider.

    `region` is a per-resource region (the caller puts the matching input in `inputs`); without it the
    resource inherits its provider's, if the provider has one (a Kubernetes provider has none).
    `property_dependencies`: input name -> URNs its value came from.
    """
    provider = _nth(plan, provider_type, 0)
    property_dependencies = property_dependencies or {}
    return {
        "urn": "urn:pulumi:%s::%s::%s::%s" % (plan["stack"], plan["project"], type_token, name),
        "type": type_token, "name": name, "mode": "create", "custom": True, "opaque": False,
        "parent": plan["stackUrn"], "provider": provider["urn"],
        "region": region or provider["region"],
        "regionSource": "resource" if region else ("provider" if provider["region"] != "unknown" else "none"),
        "inputs": inputs, "unknowns": _unknown_paths(inputs), "secrets": [],
        "dependencies": sorted({urn for urns in property_dependencies.values() for urn in urns}),
        "propertyDependencies": property_dependencies, "options": {},
    }


def _add_resource(type_token: str, name: str, inputs: Dict[str, Any], **fields: Any) -> Mutate:
    """Add one resource (see _new_resource for `fields`); the rule must name it."""
    def mutate(plan: Plan) -> str:
        resource = _new_resource(plan, type_token, name, copy.deepcopy(inputs), **fields)
        plan["resources"].append(resource)
        return resource["urn"]
    return mutate


# --- S3 replication out of the UAE (SAHAB-RES-003) ------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
DR_REGION = "eu-west-1"


def _add_dr_bucket(plan: Plan, source: Dict[str, Any]) -> Dict[str, Any]:
    """A disaster-recovery copy of bucket `source` in another region: a per-resource region (pulumi-aws v7)
    on the plan's own provider."""
    name = source["inputs"]["bucket"] + "-dr"
    dr = _new_resource(plan, BUCKET, source["name"] + "-dr", {"bucket": name, "forceDestroy": False, "region": DR_REGION},
                       region=DR_REGION)
    plan["resources"].append(dr)
    return dr


def _s3_replication(index: int, linked: bool) -> Mutate:
    """Bucket #index replicates to a bucket added in DR_REGION, through a BucketReplicationConfig shaped like
    ArtifactStore's: the destination named by its ARN, or (`linked`) by an unknown value that came from it
    (`bucket=dr.arn`), so that only propertyDependencies tie the two."""
    def mutate(plan: Plan) -> str:
        source = _nth(plan, BUCKET, index)
        dr = _add_dr_bucket(plan, source)
        destination = UNKNOWN if linked else "arn:aws:s3:::" + dr["inputs"]["bucket"]
        dependencies = {"bucket": [source["urn"]], **({"rules": [dr["urn"]]} if linked else {})}
        config = _new_resource(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", source["name"] + "-replication", {
            "bucket": UNKNOWN, "role": "arn:aws:iam::123456789012:role/%s-s3-replication" % source["name"],
            "rules": [{"id": "disaster-recovery", "status": "Enabled", "filter": {"prefix": ""},
                       "deleteMarkerReplication": {"status": "Enabled"}, "destination": {"bucket": destination}}],
        }, property_dependencies=dependencies)
        plan["resources"].append(config)
        return config["urn"]
    return mutate


def _s3_inline_replication(index: int) -> Mutate:
    """Bucket #index replicates through its own (legacy, inline) replicationConfiguration."""
    def mutate(plan: Plan) -> str:
        source = _nth(plan, BUCKET, index)
        dr = _add_dr_bucket(plan, source)
        source["inputs"]["replicationConfiguration"] = {
            "role": "arn:aws:iam::123456789012:role/%s-s3-replication" % source["name"],
            "rules": [{"id": "disaster-recovery", "status": "Enabled", "destination": {"bucket": "arn:aws:s3:::" + dr["inputs"]["bucket"]}}],
        }
        return source["urn"]
    return mutate


# --- bucket policies as they are once known (SAHAB-ENC-007, SAHAB-ENC-011) ------------------

POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def _known_bucket_policy(index: int, edit: Callable[[List[Dict[str, Any]]], None] = lambda statements: None) -> Mutate:
    """Make the policy of bucket #index known (ArtifactStore's own bucket_policy document, as deploy would
    give it), then let `edit` change its statements in place."""
    def mutate(plan: Plan) -> str:
        bucket = _nth(plan, BUCKET, index)
        policy = next(r for r in plan["resources"] if r["type"] == POLICY and bucket["urn"] in r["propertyDependencies"].get("bucket", []))
        document = bucket_policy(bucket["inputs"]["bucket"], "vpce-0123456789abcdef0", ["arn:aws:iam::123456789012:role/ml-prod-admin"])
        edit(document["Statement"])
        policy["inputs"]["policy"] = json.dumps(document)
        policy["unknowns"] = [path for path in policy["unknowns"] if path != "policy"]
        return bucket["urn"]
    return mutate


def _statement(statements: List[Dict[str, Any]], sid: str) -> Dict[str, Any]:
    return next(s for s in statements if s["Sid"] == sid)


def _without_statement(sid: str) -> Callable[[List[Dict[str, Any]]], None]:
    def edit(statements: List[Dict[str, Any]]) -> None:
        statements.remove(_statement(statements, sid))
    return edit


def _tls_floor(version: str) -> Callable[[List[Dict[str, Any]]], None]:
    def edit(statements: List[Dict[str, Any]]) -> None:
        _statement(statements, "DenyTlsOlderThan12")["Condition"] = {"NumericLessThan": {"s3:TlsVersion": version}}
    return edit


def _tls_floor_for_one_principal(statements: List[Dict[str, Any]]) -> None:
    _statement(statements, "DenyTlsOlderThan12")["Principal"] = {"AWS": "arn:aws:iam::123456789012:role/ml-prod-admin"}


# --- partial values (docs/plan-format.md): documents and ARNs built from deploy-time outputs ----

def _marker(urn: str, output: str) -> Dict[str, Any]:
    return {"$unknown": True, "of": {"urn": urn, "output": output}}


def _partial(*parts: Any) -> Dict[str, Any]:
    return {"$unknown": True, "$partial": list(parts)}


def _partial_bucket_policy(index: int, edit: Callable[[List[Dict[str, Any]]], None] = lambda statements: None) -> Mutate:
    """The policy of bucket #index as the planner writes it when the bucket name and the VPC endpoint are
    stand-ins: ArtifactStore's own document with markers where they went, in "$json" (then `edit`)."""
    def mutate(plan: Plan) -> str:
        bucket = _nth(plan, BUCKET, index)
        policy = next(r for r in plan["resources"] if r["type"] == POLICY and bucket["urn"] in r["propertyDependencies"].get("bucket", []))
        name, vpce = _marker(bucket["urn"], "bucket"), _marker(policy["propertyDependencies"]["policy"][-1], "id")
        document = bucket_policy("{bucket}", "{vpce}", ["arn:aws:iam::123456789012:role/ml-prod-admin"])
        edit(document["Statement"])
        text = json.dumps(document)

        def parts(value: str) -> List[Any]:
            pieces = re.split(r"(\{bucket\}|\{vpce\})", value)
            return [{"{bucket}": name, "{vpce}": vpce}.get(piece, piece) for piece in pieces if piece]

        def marked(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: marked(v) for k, v in value.items()}
            if isinstance(value, list):
                return [marked(v) for v in value]
            if value == "{vpce}":
                return vpce
            if isinstance(value, str) and "{bucket}" in value:
                return _partial(*parts(value))
            return value
        policy["inputs"]["policy"] = dict(_partial(*parts(text)), **{"$json": marked(document)})
        policy["partials"] = ["policy"]
        return bucket["urn"]
    return mutate


def _node_bootstrap(index: int, edit: Callable[[Dict[str, Any]], None]) -> Mutate:
    """Edit launch template #index (its inputs); SAHAB-NOD-001 names the node group booting from it."""
    def mutate(plan: Plan) -> str:
        template = _nth(plan, "aws:ec2/launchTemplate:LaunchTemplate", index)
        edit(template["inputs"])
        return next(r["urn"] for r in plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"
                    and template["urn"] in r.get("propertyDependencies", {}).get("launchTemplate", []))
    return mutate


def _edited_user_data(old: str, new: str) -> Callable[[Dict[str, Any]], None]:
    def edit(inputs: Dict[str, Any]) -> None:
        text = base64.b64decode(inputs["userData"]).decode("ascii")
        assert old in text, "the library's bootstrap no longer holds %r" % old
        inputs["userData"] = base64.b64encode(text.replace(old, new).encode("ascii")).decode("ascii")
    return edit


def _without_launch_template(index: int) -> Mutate:
    def mutate(plan: Plan) -> str:
        group = _nth(plan, "aws:eks/nodeGroup:NodeGroup", index)
        group["inputs"].pop("launchTemplate")
        group.get("propertyDependencies", {}).pop("launchTemplate", None)
        return group["urn"]
    return mutate


def _partial_key_arn(region: str) -> Dict[str, Any]:
    """A key ARN of a key outside the program: only its region is known before deploy."""
    return _partial("arn:aws:kms:%s:" % region, {"$unknown": True}, ":key/", {"$unknown": True})


def _user_with_login_profile(name: str) -> Mutate:
    """An IAM user and a console password for it, the profile's `user` taken from the user (`user=user.name`)."""
    def mutate(plan: Plan) -> str:
        user = _new_resource(plan, "aws:iam/user:User", name, {"name": name, "forceDestroy": False})
        profile = _new_resource(plan, "aws:iam/userLoginProfile:UserLoginProfile", name, {"user": UNKNOWN, "passwordResetRequired": True},
                                property_dependencies={"user": [user["urn"]]})
        plan["resources"] += [user, profile]
        return profile["urn"]
    return mutate


OPEN_INGRESS = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}

# (label, rule meant to catch it, mutation)
REFERENCE_COUNTS = {
    "aws:kms/key:Key": 7, "aws:s3/bucket:Bucket": 3, "aws:ec2/subnet:Subnet": 3, "aws:ec2/securityGroup:SecurityGroup": 2,
    "aws:ec2/launchTemplate:LaunchTemplate": 2, "aws:cloudwatch/logGroup:LogGroup": 3, "aws:ecr/repository:Repository": 2,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 7, "aws:iam/role:Role": 12, "aws:eks/nodeGroup:NodeGroup": 2,
}
# The platform services on the cluster, by name: the MLflow Deployment, the canaried Rollout, namespaces.
MLFLOW = ("kubernetes:apps/v1:Deployment", "mlflow")
ROLLOUT = ("kubernetes:argoproj.io/v1alpha1:Rollout", "fraud-scorer-rollout")
MLFLOW_SERVICE = ("kubernetes:core/v1:Service", "mlflow")
SERVING_NAMESPACE = ("kubernetes:core/v1:Namespace", "ml-prod-serving")
STORAGE_CLASS = ("kubernetes:storage.k8s.io/v1:StorageClass", "ml-prod-volumes")
FEATURE_CACHE = ("aws:elasticache/replicationGroup:ReplicationGroup", "ml-prod-features")
FIRST_CONTAINER = ("spec", "template", "spec", "containers", "0")
# The audit trail (AuditTrail): the trail, its Object Lock bucket and the bucket's companions.
TRAIL = ("aws:cloudtrail/trail:Trail", "ml-prod-audit")
AUDIT_BUCKET = (BUCKET, "ml-prod-audit")
AUDIT_LOCK = ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "ml-prod-audit")
AUDIT_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "ml-prod-audit")
CLUSTER = "aws:eks/cluster:Cluster"


def _unaudited(mutate: Mutate) -> Mutate:
    """Break the audit trail with `mutate`; SAHAB-AUD-001 must name the EKS cluster, the platform left unaudited."""
    def relational(plan: Plan) -> str:
        mutate(plan)
        return _nth(plan, CLUSTER, 0)["urn"]
    return relational


def _trail_urn(mutate: Mutate) -> Mutate:
    """Apply `mutate` to a destination of the trail; SAHAB-AUD-002 must name the trail."""
    def relational(plan: Plan) -> str:
        mutate(plan)
        return _nth(plan, TRAIL[0], _index(plan, *TRAIL))["urn"]
    return relational


def _remove_named(resource: Tuple[str, str]) -> Mutate:
    def mutate(plan: Plan) -> str:
        found = _nth(plan, resource[0], _index(plan, *resource))
        plan["resources"] = [r for r in plan["resources"] if r["urn"] != found["urn"]]
        return found["urn"]
    return mutate


def _trail_to_bucket_in(region: str) -> Mutate:
    """The trail delivers to another bucket of the program, in `region` (named literally)."""
    def mutate(plan: Plan) -> str:
        trail = _nth(plan, TRAIL[0], _index(plan, *TRAIL))
        elsewhere = _new_resource(plan, BUCKET, "ml-prod-audit-copy", {"bucket": "ml-prod-audit-copy", "region": region}, region=region)
        plan["resources"].append(elsewhere)
        trail["inputs"]["s3BucketName"] = "ml-prod-audit-copy"
        trail["propertyDependencies"].pop("s3BucketName", None)
        return trail["urn"]
    return mutate


def mutations() -> Iterator[Tuple[str, str, Mutate]]:
    for type_token, count in sorted(REFERENCE_COUNTS.items()):
        short = type_token.split(":")[-1]
        for i in range(count):
            yield "%s#%d moved to eu-west-1" % (short, i), "SAHAB-RES-001", _move_region(type_token, i, "eu-west-1")
            yield "%s#%d on the default provider" % (short, i), "SAHAB-RES-002", _default_provider(type_token, i)
    yield "provider moved to us-east-1", "SAHAB-RES-001", _move_provider("us-east-1")
    for i in range(REFERENCE_COUNTS["aws:kms/key:Key"]):
        yield "key#%d multi-region" % i, "SAHAB-RES-004", _set("aws:kms/key:Key", i, ("multiRegion",), True)
        yield "key#%d rotation off" % i, "SAHAB-ENC-006", _set("aws:kms/key:Key", i, ("enableKeyRotation",), False)
        yield "key#%d rotation unset" % i, "SAHAB-ENC-006", _drop("aws:kms/key:Key", i, ("enableKeyRotation",))
    for i in range(REFERENCE_COUNTS["aws:s3/bucket:Bucket"]):
        bucket = "aws:s3/bucket:Bucket"
        yield "bucket#%d without encryption config" % i, "SAHAB-ENC-001", _remove_companion(
            bucket, i, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        yield "bucket#%d without public access block" % i, "SAHAB-NET-004", _remove_companion(
            bucket, i, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        yield "bucket#%d without TLS-only policy" % i, "SAHAB-ENC-007", _remove_companion(
            bucket, i, "aws:s3/bucketPolicy:BucketPolicy")
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    for i in range(2):
        yield "sse#%d AES256" % i, "SAHAB-ENC-001", _set(sse, i, ("rules", "0", "applyServerSideEncryptionByDefault"), {"sseAlgorithm": "AES256"})
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            yield "pab#%d %s off" % (i, flag), "SAHAB-NET-004", _set(pab, i, (flag,), False)
    for i in range(REFERENCE_COUNTS["aws:ec2/subnet:Subnet"]):
        yield "subnet#%d maps public IPs" % i, "SAHAB-NET-003", _set("aws:ec2/subnet:Subnet", i, ("mapPublicIpOnLaunch",), True)
    for i in range(REFERENCE_COUNTS["aws:ec2/securityGroup:SecurityGroup"]):
        yield "sg#%d open to the internet" % i, "SAHAB-NET-001", _set("aws:ec2/securityGroup:SecurityGroup", i, ("ingress",), [OPEN_INGRESS])
        yield "sg#%d open to ::/0" % i, "SAHAB-NET-001", _set("aws:ec2/securityGroup:SecurityGroup", i, ("ingress",), [
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}])
    lt = "aws:ec2/launchTemplate:LaunchTemplate"
    for i in range(REFERENCE_COUNTS[lt]):
        yield "lt#%d IMDSv1 allowed" % i, "SAHAB-NET-006", _set(lt, i, ("metadataOptions", "httpTokens"), "optional")
        yield "lt#%d no metadata options" % i, "SAHAB-NET-006", _drop(lt, i, ("metadataOptions",))
        yield "lt#%d public IP" % i, "SAHAB-NET-003", _set(lt, i, ("networkInterfaces", "0", "associatePublicIpAddress"), "true")
        yield "lt#%d root volume unencrypted" % i, "SAHAB-ENC-002", _set(lt, i, ("blockDeviceMappings", "0", "ebs", "encrypted"), "false")
        yield "lt#%d root volume without CMK" % i, "SAHAB-ENC-002", _drop(lt, i, ("blockDeviceMappings", "0", "ebs", "kmsKeyId"))
        yield "lt#%d without user data" % i, "SAHAB-NOD-001", _node_bootstrap(i, lambda inputs: inputs.pop("userData"))
        yield "lt#%d bootstrap lets sshd take passwords" % i, "SAHAB-NOD-001", _node_bootstrap(
            i, _edited_user_data("PasswordAuthentication no", "PasswordAuthentication yes"))
        yield "lt#%d bootstrap turns kubelet anonymous auth on" % i, "SAHAB-NOD-001", _node_bootstrap(
            i, _edited_user_data("anonymous:\n          enabled: false", "anonymous:\n          enabled: true"))
        yield "lt#%d bootstrap without the audit rules" % i, "SAHAB-NOD-001", _node_bootstrap(
            i, _edited_user_data("-w /etc/shadow -p wa -k identity\n", ""))
        yield "node group#%d without launch template" % i, "SAHAB-NOD-001", _without_launch_template(i)
    for i in range(REFERENCE_COUNTS["aws:cloudwatch/logGroup:LogGroup"]):
        yield "log group#%d without CMK" % i, "SAHAB-ENC-005", _drop("aws:cloudwatch/logGroup:LogGroup", i, ("kmsKeyId",))
    secret = "aws:secretsmanager/secret:Secret"
    for i in range(3):  # the MLflow admin, Flask and serving secrets
        yield "secret#%d without CMK" % i, "SAHAB-ENC-013", _drop(secret, i, ("kmsKeyId",))
        yield "secret#%d AWS managed key" % i, "SAHAB-ENC-013", _set(secret, i, ("kmsKeyId",), "alias/aws/secretsmanager")
    for i in range(REFERENCE_COUNTS["aws:ecr/repository:Repository"]):
        yield "ecr#%d AES256" % i, "SAHAB-ENC-010", _set("aws:ecr/repository:Repository", i, ("encryptionConfigurations",), [{"encryptionType": "AES256"}])
    cluster = "aws:eks/cluster:Cluster"
    yield "eks public endpoint", "SAHAB-NET-002", _set(cluster, 0, ("vpcConfig", "endpointPublicAccess"), True)
    yield "eks endpoint access unset", "SAHAB-NET-002", _drop(cluster, 0, ("vpcConfig", "endpointPublicAccess"))
    yield "eks secrets unencrypted", "SAHAB-ENC-003", _drop(cluster, 0, ("encryptionConfig",))
    db = "aws:rds/instance:Instance"
    yield "rds unencrypted", "SAHAB-ENC-004", _set(db, 0, ("storageEncrypted",), False)
    yield "rds without CMK", "SAHAB-ENC-004", _drop(db, 0, ("kmsKeyId",))
    yield "rds public", "SAHAB-NET-005", _set(db, 0, ("publiclyAccessible",), True)
    # Openings a service makes by itself when a flag is left out (or set): the rule must see them.
    node_group = "aws:eks/nodeGroup:NodeGroup"
    for i in range(REFERENCE_COUNTS[node_group]):
        yield "node group#%d SSH key without source groups" % i, "SAHAB-NET-001", _set(node_group, i, ("remoteAccess",), {"ec2SshKey": "ops"})
    yield "redshift cluster publicly accessible", "SAHAB-NET-005", _add_resource("aws:redshift/cluster:Cluster", "features", {
        "clusterIdentifier": "ml-prod-features", "nodeType": "ra3.xlplus", "publiclyAccessible": True, "encrypted": True})
    yield "dms instance left to its public default", "SAHAB-NET-005", _add_resource(
        "aws:dms/replicationInstance:ReplicationInstance", "migration", {"replicationInstanceId": "ml-prod-migration",
                                                                       "replicationInstanceClass": "dms.t3.medium"})
    yield "opensearch domain without vpc options", "SAHAB-NET-005", _add_resource("aws:opensearch/domain:Domain", "search", {
        "domainName": "ml-prod-search", "engineVersion": "OpenSearch_2.13"})
    yield "msk brokers with public access", "SAHAB-NET-005", _add_resource("aws:msk/cluster:Cluster", "events", {
        "clusterName": "ml-prod-events", "kafkaVersion": "3.6.0", "numberOfBrokerNodes": 3,
        "brokerNodeGroupInfo": {"instanceType": "kafka.m7g.large", "clientSubnets": ["subnet-1", "subnet-2", "subnet-3"],
                                "connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}}})
    yield "elasticache replication group in the default vpc", "SAHAB-NET-011", _add_resource(
        "aws:elasticache/replicationGroup:ReplicationGroup", "features", {
            "replicationGroupId": "ml-prod-features", "description": "feature cache", "nodeType": "cache.r7g.large",
            "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True})
    # The feature store's online cache (OnlineStoreCache): encrypted at rest with its CMK and in transit.
    yield "feature cache without its CMK", "SAHAB-ENC-014", _named(lambda t, i: _drop(t, i, ("kmsKeyId",)), FEATURE_CACHE)
    yield "feature cache unencrypted at rest", "SAHAB-ENC-014", _named(
        lambda t, i: _set(t, i, ("atRestEncryptionEnabled",), False), FEATURE_CACHE)
    yield "feature cache without TLS", "SAHAB-ENC-014", _named(lambda t, i: _drop(t, i, ("transitEncryptionEnabled",)), FEATURE_CACHE)
    yield "feature cache accepts plain text", "SAHAB-ENC-014", _named(
        lambda t, i: _set(t, i, ("transitEncryptionMode",), "preferred"), FEATURE_CACHE)
    yield "feature cache in the default vpc", "SAHAB-NET-011", _named(lambda t, i: _drop(t, i, ("subnetGroupName",)), FEATURE_CACHE)
    yield "standalone cache cluster", "SAHAB-ENC-014", _add_resource("aws:elasticache/cluster:Cluster", "sessions", {
        "clusterId": "ml-prod-sessions", "engine": "memcached", "nodeType": "cache.t4g.micro", "subnetGroupName": "ml-prod-cache"})
    yield "serverless cache without subnets", "SAHAB-NET-011", _add_resource("aws:elasticache/serverlessCache:ServerlessCache", "sessions", {
        "name": "ml-prod-sessions", "engine": "valkey"})
    yield "sagemaker notebook left on the internet", "SAHAB-NET-009", _add_resource(
        "aws:sagemaker/notebookInstance:NotebookInstance", "exploration", {
            "name": "ml-prod-exploration", "instanceType": "ml.t3.medium", "roleArn": "arn:aws:iam::123456789012:role/notebook"})
    yield "sagemaker domain on the public internet", "SAHAB-NET-009", _add_resource("aws:sagemaker/domain:Domain", "studio", {
        "domainName": "ml-prod-studio", "authMode": "IAM", "vpcId": "vpc-1", "subnetIds": ["subnet-1"],
        "appNetworkAccessType": "PublicInternetOnly", "defaultUserSettings": {"executionRole": "arn:aws:iam::123456789012:role/studio"}})
    yield "rds moved to eu-central-1", "SAHAB-RES-001", _move_region(db, 0, "eu-central-1")
    yield "iam access key", "SAHAB-IAM-001", _add_resource("aws:iam/accessKey:AccessKey", "ci-key", {"user": "ci"})
    yield "cloudfront distribution", "SAHAB-RES-005", _add_resource("aws:cloudfront/distribution:Distribution", "cdn", {"enabled": True})
    yield "kms replica key", "SAHAB-RES-004", _add_resource("aws:kms/replicaKey:ReplicaKey", "replica", {"primaryKeyArn": "arn:aws:kms:me-central-1:111122223333:key/mrk-1"})
    yield "open ingress rule", "SAHAB-NET-001", _add_resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh", {
        "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"})
    yield "instance with public IP and IMDSv1", "SAHAB-NET-003", _add_resource("aws:ec2/instance:Instance", "bastion", {
        "ami": "ami-1", "instanceType": "t3.micro", "associatePublicIpAddress": True,
        "metadataOptions": {"httpTokens": "required"}, "rootBlockDevice": {"encrypted": True, "kmsKeyId": "arn:aws:kms:me-central-1:111122223333:key/k"}})
    yield "instance left in the default subnet", "SAHAB-NET-003", _add_resource("aws:ec2/instance:Instance", "jumpbox", {
        "ami": "ami-1", "instanceType": "t3.micro",
        "metadataOptions": {"httpTokens": "required"}, "rootBlockDevice": {"encrypted": True, "kmsKeyId": "arn:aws:kms:me-central-1:111122223333:key/k"}})
    for i in range(REFERENCE_COUNTS[BUCKET]):
        yield "bucket#%d policy without a TLS version floor" % i, "SAHAB-ENC-011", _known_bucket_policy(i, _without_statement("DenyTlsOlderThan12"))
        yield "bucket#%d policy refuses only TLS < 1.0" % i, "SAHAB-ENC-011", _known_bucket_policy(i, _tls_floor("1.0"))
        yield "bucket#%d TLS floor for one principal only" % i, "SAHAB-ENC-011", _known_bucket_policy(i, _tls_floor_for_one_principal)
        yield "bucket#%d without policy: no TLS floor" % i, "SAHAB-ENC-011", _remove_companion(BUCKET, i, POLICY)
        yield "bucket#%d replicates to a bucket ARN in %s" % (i, DR_REGION), "SAHAB-RES-003", _s3_replication(i, linked=False)
        yield "bucket#%d replicates to a bucket of the plan in %s" % (i, DR_REGION), "SAHAB-RES-003", _s3_replication(i, linked=True)
        yield "bucket#%d inline replication to %s" % (i, DR_REGION), "SAHAB-RES-003", _s3_inline_replication(i)
        yield "bucket#%d partial policy without the TLS-only statement" % i, "SAHAB-ENC-007", _partial_bucket_policy(
            i, _without_statement("DenyInsecureTransport"))
        yield "bucket#%d partial policy refuses only TLS < 1.0" % i, "SAHAB-ENC-011", _partial_bucket_policy(i, _tls_floor("1.0"))
    for i in range(REFERENCE_COUNTS["aws:cloudwatch/logGroup:LogGroup"]):
        yield "log group#%d key ARN in eu-west-1, account unknown" % i, "SAHAB-ENC-005", _set(
            "aws:cloudwatch/logGroup:LogGroup", i, ("kmsKeyId",), _partial_key_arn("eu-west-1"))
    yield "backup plan copies to a partial vault ARN in eu-west-1", "SAHAB-RES-003", _add_resource("aws:backup/plan:Plan", "ml-prod-dr", {
        "name": "ml-prod-dr", "rules": [{"ruleName": "daily", "targetVaultName": "ml-prod", "schedule": "cron(0 3 * * ? *)",
                                         "copyActions": [{"destinationVaultArn": _partial("arn:aws:backup:eu-west-1:", {"$unknown": True}, ":backup-vault:dr")}]}]})
    yield "rds read replica of a database in eu-west-1", "SAHAB-RES-003", _set(db, 0, ("replicateSourceDb",), "arn:aws:rds:eu-west-1:123456789012:db:ml-prod-registry")
    yield "rds automated backups replicated to eu-west-1", "SAHAB-RES-003", _add_resource(
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "registry-backups-eu",
        {"sourceDbInstanceArn": "arn:aws:rds:me-central-1:123456789012:db:ml-prod-registry", "retentionPeriod": 7, "region": "eu-west-1"},
        region="eu-west-1")
    yield "rds snapshot copied to eu-central-1", "SAHAB-RES-003", _add_resource("aws:rds/snapshotCopy:SnapshotCopy", "registry-snapshot-eu", {
        "sourceDbSnapshotIdentifier": "arn:aws:rds:me-central-1:123456789012:snapshot:ml-prod-registry-final",
        "targetDbSnapshotIdentifier": "ml-prod-registry-final-eu", "destinationRegion": "eu-central-1"})
    yield "backup plan copies to a vault in eu-west-1", "SAHAB-RES-003", _add_resource("aws:backup/plan:Plan", "ml-prod-backups", {
        "name": "ml-prod-backups", "rules": [{"ruleName": "daily", "targetVaultName": "ml-prod", "schedule": "cron(0 3 * * ? *)",
                                              "copyActions": [{"destinationVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:ml-prod-dr"}]}]})
    yield "ecr replicates images to eu-west-1", "SAHAB-RES-003", _add_resource("aws:ecr/replicationConfiguration:ReplicationConfiguration", "images", {
        "replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": "123456789012"}]}]}})
    yield "dynamodb table replica in eu-west-1", "SAHAB-RES-003", _add_resource("aws:dynamodb/table:Table", "feature-index", {
        "name": "ml-prod-feature-index", "billingMode": "PAY_PER_REQUEST", "hashKey": "id", "attributes": [{"name": "id", "type": "S"}],
        "streamEnabled": True, "streamViewType": "NEW_AND_OLD_IMAGES", "replicas": [{"regionName": "eu-west-1"}]})
    listener = "aws:lb/listener:Listener"
    yield "https listener on a TLS 1.0 policy", "SAHAB-ENC-008", _add_resource(listener, "serving-https", {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:loadbalancer/app/serving/0123456789abcdef",
        "port": 443, "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08",
        "certificateArn": "arn:aws:acm:me-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        "defaultActions": [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "404"}}]})
    yield "tls listener without an ssl policy", "SAHAB-ENC-008", _add_resource(listener, "serving-tls", {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:loadbalancer/net/serving/0123456789abcdef",
        "port": 443, "protocol": "TLS",
        "certificateArn": "arn:aws:acm:me-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:targetgroup/serving/0123456789abcdef"}]})
    yield "http listener forwarding to the targets", "SAHAB-ENC-012", _add_resource(listener, "serving-http", {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:loadbalancer/app/serving/0123456789abcdef",
        "port": 80, "protocol": "HTTP",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:targetgroup/serving/0123456789abcdef"}]})
    yield "http listener redirecting to plain http", "SAHAB-ENC-012", _add_resource(listener, "serving-http-8080", {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:me-central-1:123456789012:loadbalancer/app/serving/0123456789abcdef",
        "port": 80, "protocol": "HTTP",
        "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080", "statusCode": "HTTP_301"}}]})
    yield "internet-facing application load balancer", "SAHAB-NET-007", _add_resource("aws:lb/loadBalancer:LoadBalancer", "serving", {
        "loadBalancerType": "application", "internal": False, "subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]})
    yield "iam user login profile", "SAHAB-IAM-003", _add_resource("aws:iam/userLoginProfile:UserLoginProfile", "analyst", {
        "user": "analyst", "passwordLength": 24, "passwordResetRequired": True})
    yield "login profile of an iam user of the plan", "SAHAB-IAM-003", _user_with_login_profile("data-scientist")
    # The platform services: the rules see sahab's own Kubernetes objects, Rollouts included.
    yield "mlflow container privileged", "SAHAB-WKL-001", _named(
        lambda t, i: _set(t, i, FIRST_CONTAINER + ("securityContext", "privileged"), True), MLFLOW)
    yield "mlflow pod on the host network", "SAHAB-WKL-001", _named(
        lambda t, i: _set(t, i, ("spec", "template", "spec", "hostNetwork"), True), MLFLOW)
    yield "model server may escalate privileges", "SAHAB-WKL-002", _named(
        lambda t, i: _set(t, i, FIRST_CONTAINER + ("securityContext", "allowPrivilegeEscalation"), True), ROLLOUT)
    yield "model server pulled from Docker Hub", "SAHAB-RES-006", _named(
        lambda t, i: _set(t, i, FIRST_CONTAINER + ("image",), "seldonio/mlserver:1.7.1-mlflow"), ROLLOUT)
    yield "mlflow exposed through a public load balancer", "SAHAB-NET-007", _named(
        lambda t, i: _set(t, i, ("spec", "type"), "LoadBalancer"), MLFLOW_SERVICE)
    yield "mlflow published on node ports", "SAHAB-NET-010", _named(
        lambda t, i: _set(t, i, ("spec", "type"), "NodePort"), MLFLOW_SERVICE)
    yield "serving namespace enforces baseline", "SAHAB-WKL-003", _named(
        lambda t, i: _set(t, i, ("metadata", "labels", "pod-security.kubernetes.io/enforce"), "baseline"), SERVING_NAMESPACE)
    # The encrypted StorageClass the platform's volumes come from (EBS CSI, the volumes key).
    yield "storage class volumes unencrypted", "SAHAB-ENC-015", _named(
        lambda t, i: _set(t, i, ("parameters", "encrypted"), "false"), STORAGE_CLASS)
    yield "storage class without its customer managed key", "SAHAB-ENC-015", _named(
        lambda t, i: _drop(t, i, ("parameters", "kmsKeyId")), STORAGE_CLASS)
    yield "storage class on the aws managed ebs key", "SAHAB-ENC-015", _named(
        lambda t, i: _set(t, i, ("parameters", "kmsKeyId"), "alias/aws/ebs"), STORAGE_CLASS)
    yield "storage class on a provisioner the rules cannot judge", "SAHAB-ENC-015", _named(
        lambda t, i: _set(t, i, ("provisioner",), "kubernetes.io/azure-disk"), STORAGE_CLASS)
    # The audit trail (SAHAB-AUD-001: the platform keeps an in-region, encrypted, immutable trail;
    # SAHAB-AUD-002: its records land in the UAE).
    yield "audit trail removed", "SAHAB-AUD-001", _unaudited(_remove_named(TRAIL))
    yield "audit trail without log-file validation", "SAHAB-AUD-001", _unaudited(_named(
        lambda t, i: _set(t, i, ("enableLogFileValidation",), False), TRAIL))
    yield "audit trail without its customer managed key", "SAHAB-AUD-001", _unaudited(_named(lambda t, i: _drop(t, i, ("kmsKeyId",)), TRAIL))
    yield "audit trail on the aws managed key", "SAHAB-AUD-001", _unaudited(_named(
        lambda t, i: _set(t, i, ("kmsKeyId",), "alias/aws/cloudtrail"), TRAIL))
    yield "audit trail stopped", "SAHAB-AUD-001", _unaudited(_named(lambda t, i: _set(t, i, ("enableLogging",), False), TRAIL))
    yield "audit trail records data events only", "SAHAB-AUD-001", _unaudited(_named(
        lambda t, i: _set(t, i, ("eventSelectors", "0", "includeManagementEvents"), False), TRAIL))
    yield "audit bucket without object lock", "SAHAB-AUD-001", _unaudited(_remove_named(AUDIT_LOCK))
    yield "audit bucket lock in governance mode", "SAHAB-AUD-001", _unaudited(_named(
        lambda t, i: _set(t, i, ("rule", "defaultRetention", "mode"), "GOVERNANCE"), AUDIT_LOCK))
    yield "audit bucket versioning suspended", "SAHAB-AUD-001", _unaudited(_named(
        lambda t, i: _set(t, i, ("versioningConfiguration", "status"), "Suspended"), AUDIT_VERSIONING))
    yield "audit bucket moved to eu-west-1", "SAHAB-AUD-002", _trail_urn(_named(
        lambda t, i: _move_region(t, i, "eu-west-1"), AUDIT_BUCKET))
    yield "audit trail delivers to a bucket in eu-central-1", "SAHAB-AUD-002", _trail_to_bucket_in("eu-central-1")
    yield "audit log group arn in eu-west-1", "SAHAB-AUD-002", _named(lambda t, i: _set(t, i, ("cloudWatchLogsGroupArn",),
        "arn:aws:logs:eu-west-1:111122223333:log-group:/sahab/ml-prod-audit/cloudtrail:*"), TRAIL)


MUTATIONS = list(mutations())


def test_there_are_at_least_100_mutations():
    assert len(MUTATIONS) >= 100
    assert len({label for label, _, _ in MUTATIONS}) == len(MUTATIONS)


def test_the_unmutated_reference_plan_has_no_violations(reference_plan, rules):
    """Nothing but the GPU operator's declared Pod Security exception, which is reported (advisory)."""
    bundle, engine = rules
    violations = [(f.rule_id, f.enforcement, f.urn.split("::")[-1])
                  for f in evaluate_rules(reference_plan, bundle, engine, loaded=True) if f.status == "violation"]
    assert violations == [("SAHAB-WKL-004", "advisory", "ml-prod-gpu-ns")]


def test_the_known_bucket_policies_the_policy_mutations_start_from_pass(reference_plan, rules):
    """Made known and left as ArtifactStore writes them, the policies satisfy both TLS rules: the policy
    mutations are caught for what they change, not for a document the rules cannot read."""
    bundle, engine = rules
    plan = copy.deepcopy(reference_plan)
    urns = {_known_bucket_policy(i)(plan) for i in range(REFERENCE_COUNTS[BUCKET])}
    findings = evaluate_rules(plan, bundle, engine, loaded=True)
    assert [(f.rule_id, f.status) for f in findings if f.urn in urns and f.rule_id in ("SAHAB-ENC-007", "SAHAB-ENC-011")] == []


def test_partial_bucket_policies_as_artifact_store_writes_them_are_decided(reference_plan, rules):
    """The planner's partial documents (bucket ARNs and the VPC endpoint unknown) satisfy both TLS rules
    on their known structure: neither a violation nor deferred."""
    bundle, engine = rules
    plan = copy.deepcopy(reference_plan)
    urns = {_partial_bucket_policy(i)(plan) for i in range(REFERENCE_COUNTS[BUCKET])}
    findings = evaluate_rules(plan, bundle, engine, loaded=True)
    assert [(f.rule_id, f.status) for f in findings if f.urn in urns and f.rule_id in ("SAHAB-ENC-007", "SAHAB-ENC-011")] == []


def assert_caught(base_plan: Plan, rules: Any, label: str, rule_id: str, mutate: Mutate) -> None:
    """Mutate a copy of `base_plan`; rule `rule_id` must report a violation on the URN the mutation names."""
    bundle, engine = rules
    plan = copy.deepcopy(base_plan)
    urn = mutate(plan)
    findings = evaluate_rules(plan, bundle, engine, loaded=True)
    caught = {(f.rule_id, f.urn) for f in findings if f.status == "violation"}
    assert (rule_id, urn) in caught, "%s: %s did not report %s; violations: %s" % (label, rule_id, urn, sorted(caught))


@pytest.mark.parametrize("label, rule_id, mutate", MUTATIONS, ids=[label for label, _, _ in MUTATIONS])
def test_mutation_is_caught_by_its_rule(reference_plan, rules, label, rule_id, mutate):
    assert_caught(reference_plan, rules, label, rule_id, mutate)
