"""Auto-names, as the providers' ``Check`` fills them in a real ``pulumi preview``.

A provider that auto-names a resource adds the name to the resource's checked inputs during
preview, so ``resource.name.apply(...)`` callbacks run and what they register is in the
preview. The planner runs no provider, so it adds the same property itself, deterministically:
the random part is taken from the SHA-256 of the resource's URN instead of the random seed (the
same program always gets the same names; two logical names never share one). Each rule below
is taken from the provider's own source (docs/planner.md cites them); a resource type the rules
do not cover keeps an unknown name, never a name of a form its provider would not produce.

- Kubernetes (pulumi-kubernetes ``metadata.AssignNameIfAutonamable``): ``metadata.name`` =
  ``<logical name>-<8 hex>`` plus the annotation ``pulumi.com/autonamed: "true"``, unless
  ``metadata.name`` or ``metadata.generateName`` is set (known or not). A Helm v3 Release's
  ``name`` (``assignNameIfAutonameable``): ``<logical name>-<8 hex>``.
- AWS (pulumi-aws v7: ``setAutonaming`` + ``resourceOverrides``, terraform-bridge
  ``ComputeAutoNameDefault``): every resource with an input ``name`` gets
  ``<logical name>-<7 hex>`` (at most 255 characters), except where the provider overrides the
  property, length, separator or form (:data:`AWS_RULES`); a set ``<property>Prefix``
  (``namePrefix``, ``bucketPrefix``) conflicts with the property, and then nothing is filled.
- azure-native (``getDefaultName``): the path parameter that ends the type's API path, by the
  type's strategy: ``random`` ``<logical name><8 hex>``, ``copy`` the logical name as it is,
  ``uuid`` 32 random hex digits as a UUID. The strategies come from the provider's metadata
  generator applied to its paths (``azure_autonames.json``, written by
  ``scripts/gen_azure_autonames.py``, which records its source); types not in it stay unknown.

A name that would exceed the provider's maximum length is left unknown (the provider's check
fails on it). When the stack configures ``pulumi:autonaming`` the planner fills nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional

from .wire import SIG_KEY, UNKNOWN_SENTINEL

HEX = "0123456789abcdef"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
AUTONAMED_ANNOTATION = "pulumi.com/autonamed"
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
ENGINE_AUTONAMING_KEY = "pulumi:autonaming"


@dataclass(frozen=True)
class Rule:
    """How one provider fills one property: ``transform(name) + separator + random`` (+ fixes)."""

    prop: str
    maxlen: int = 0            # 0: no limit
    separator: str = "-"
    randlen: int = 7
    charset: str = HEX
    lower: bool = False
    prefix: str = ""           # prepended after the length check (a KMS alias's ``alias/``)
    fifo_flag: str = ""        # input that, when true, makes the name end in ``.fifo``
    uuid: bool = False         # azure-native ``uuid``: the random part alone, as a UUID


# pulumi-aws provider/resources.go ``resourceOverrides`` (v7) and compatibility overrides.
AWS_RULES: Dict[str, Optional[Rule]] = {
    "aws:s3/bucket:Bucket": Rule("bucket", 63, lower=True),
    "aws:s3/bucketV2:BucketV2": Rule("bucket", 63, lower=True),
    "aws:s3/bucketObject:BucketObject": Rule("key", separator="", randlen=0),
    "aws:s3/bucketObjectv2:BucketObjectv2": Rule("key", separator="", randlen=0),
    "aws:iam/role:Role": Rule("name", 64),
    "aws:cloudwatch/eventRule:EventRule": Rule("name", 64),
    "aws:cloudwatch/eventTarget:EventTarget": Rule("targetId", 255),
    "aws:lambda/function:Function": Rule("name", 64),
    "aws:lambda/permission:Permission": Rule("statementId", 100),
    "aws:sqs/queue:Queue": Rule("name", 80, fifo_flag="fifoQueue"),
    "aws:sns/topic:Topic": Rule("name", 80, fifo_flag="fifoTopic"),
    "aws:kms/alias:Alias": Rule("name", 238, prefix="alias/"),
    "aws:elasticbeanstalk/environment:Environment": Rule("name", 40),
    "aws:athena/database:Database": Rule("name", 255, separator="_"),
    "aws:appsync/function:Function": Rule("name", 255, separator="_"),
    "aws:appsync/dataSource:DataSource": Rule("name", 255, separator="_"),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": Rule("name", 255, separator="_"),
    "aws:codedeploy/deploymentConfig:DeploymentConfig": Rule("deploymentConfigName", 100, separator="_"),
    "aws:glue/catalogDatabase:CatalogDatabase": Rule("name", separator="_", randlen=8, charset=LETTERS, lower=True),
    "aws:glue/catalogTable:CatalogTable": Rule("name", separator="_", randlen=8, charset=LETTERS, lower=True),
    "aws:lex/slotType:SlotType": Rule("name", separator="_", randlen=8, charset=LETTERS),
    "aws:lex/bot:Bot": Rule("name", separator="_", randlen=8, charset=LETTERS),
    "aws:lex/intent:Intent": Rule("name", separator="_", randlen=8, charset=LETTERS),
    "aws:lex/botAlias:BotAlias": Rule("name", separator="_", randlen=8, charset=LETTERS),
    "aws:elasticache/cluster:Cluster": Rule("clusterId", 50, lower=True),
    "aws:elasticache/replicationGroup:ReplicationGroup": Rule("replicationGroupId", 40, lower=True),
    "aws:ec2/keyPair:KeyPair": Rule("keyName", 255),
    "aws:efs/fileSystem:FileSystem": Rule("creationToken", 255),
    "aws:eks/nodeGroup:NodeGroup": Rule("nodeGroupName", 255),
    "aws:eks/fargateProfile:FargateProfile": Rule("fargateProfileName", 255),
    "aws:elasticsearch/domain:Domain": Rule("domainName", 28, lower=True),
    "aws:opensearch/domain:Domain": Rule("domainName", 255),
    "aws:mq/broker:Broker": Rule("brokerName", 55),
    "aws:msk/cluster:Cluster": Rule("clusterName", 255),
    "aws:msk/serverlessCluster:ServerlessCluster": Rule("clusterName", 255),
    "aws:rds/instance:Instance": Rule("identifier", 255, separator=""),
    # ``name`` overridden without auto-naming (a Route 53 record's name is its DNS name), or with
    # a form this planner does not reproduce: left unknown.
    "aws:route53/record:Record": None,
    "aws:directoryservice/directory:Directory": None,
    "aws:iot/topicRule:TopicRule": None,
}
AWS_DEFAULT = Rule("name", 255)
RDS_SQLSERVER = Rule("identifier", 15, separator="", randlen=3)

AZURE_FORMS: Dict[str, Dict[str, Any]] = {
    "random": {"separator": "", "randlen": 8},  # resource.NewUniqueName(seed, name, 8, 0, nil)
    "copy": {"separator": "", "randlen": 0},    # the URN's name
    "uuid": {"uuid": True},                     # uuid.MustParse(NewUniqueName(seed, "", 32, 0, nil))
}


def _azure_rules() -> Dict[str, Rule]:
    """azure-native's auto-named property per type, read beside this module (the harness runs from its folder).

    A strategy this module has no form for fails here, loudly, rather than naming anything wrongly."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "azure_autonames.json"), encoding="utf-8") as handle:
        types = json.load(handle)["types"]
    return {token: Rule(prop, **AZURE_FORMS[kind]) for token, (prop, kind) in types.items()}


AZURE_RULES = _azure_rules()
KUBERNETES_NAME = Rule("name", randlen=8)


def unique_name(urn: str, base: str, rule: Rule) -> Optional[str]:
    """``base`` + separator + the rule's random part: the first hex digits of the URN's SHA-256 (or one
    character of the rule's charset per digest byte); None when the provider's maximum length is exceeded."""
    stem = (base.lower() if rule.lower else base) + rule.separator
    if rule.maxlen and len(stem) + rule.randlen > rule.maxlen:
        return None
    digest = hashlib.sha256(urn.encode("utf-8"))
    if rule.uuid:
        hexits = digest.hexdigest()
        return "-".join((hexits[:8], hexits[8:12], hexits[12:16], hexits[16:20], hexits[20:32]))
    if rule.charset == HEX:
        suffix = digest.hexdigest()[:rule.randlen]
    else:  # one character per byte of the digest
        suffix = "".join(rule.charset[byte % len(rule.charset)] for byte in digest.digest()[:rule.randlen])
    return rule.prefix + stem + suffix


class Autonamer:
    """Fills auto-names into registrations and recognises them where programs copy them."""

    def __init__(self, config: Dict[str, str], note: Callable[..., None]) -> None:
        self.enabled = not any(key == ENGINE_AUTONAMING_KEY or key.startswith(ENGINE_AUTONAMING_KEY + ".")
                               for key in config)
        if not self.enabled:
            note("warning", "the stack configures pulumi:autonaming; the planner does not apply it, so names the "
                            "providers would generate are unknown in this plan")
        self._note = note
        self._names: Dict[str, str] = {}  # auto-name -> URN of the resource it names

    def fill(self, urn: str, request: Any, raw_inputs: Dict[str, Any], input_names: FrozenSet[str]) -> List[str]:
        """Add the auto-name the provider's check would add to ``raw_inputs``; its dotted paths.

        ``input_names``: the wire names of the inputs the resource's SDK class takes."""
        if not self.enabled or not request.custom or request.remote:
            return []
        type_, name = request.type, request.name
        package = type_.split(":", 1)[0]
        if package == "kubernetes":
            return self._kubernetes(urn, type_, name, raw_inputs)
        if package == "aws":
            rule = self._aws_rule(type_, raw_inputs, input_names)
        elif package == "azure-native":
            rule = AZURE_RULES.get(_unversioned(type_))
        else:
            return []
        if rule is None or rule.prop in raw_inputs or rule.prop + "Prefix" in raw_inputs:
            return []
        value = unique_name(urn, name, rule)
        if value is None:
            self._note("warning", "%s: the auto-name of %r would be longer than the provider's %d characters "
                                  "(its check fails); %s is unknown" % (type_, name, rule.maxlen, rule.prop), urn)
            return []
        if rule.fifo_flag and raw_inputs.get(rule.fifo_flag) is True:
            value += ".fifo"
        raw_inputs[rule.prop] = value
        if rule.randlen or rule.uuid:  # a copy of the logical name is not unique: equal inputs elsewhere are not copies
            self._names[value] = urn
        return [rule.prop]

    def paths(self, inputs: Dict[str, Any], own: List[str]) -> List[str]:
        """``own`` plus the dotted paths of plan inputs that are an exact copy of any auto-name."""
        found = set(own)
        if self._names:
            _collect(inputs, "", self._names, found)
        return sorted(found)

    def _kubernetes(self, urn: str, type_: str, name: str, raw_inputs: Dict[str, Any]) -> List[str]:
        if type_ == HELM_RELEASE_TYPE:
            if raw_inputs.get("name") not in (None, ""):
                return []
            raw_inputs["name"] = self._remember(unique_name(urn, name, KUBERNETES_NAME), urn)
            return ["name"]
        kind = type_.rsplit(":", 1)[-1]
        if kind.endswith("Patch") or kind.endswith("List"):
            return []  # a patch names an existing object; a list is no object
        metadata = raw_inputs.get("metadata", {})
        if not isinstance(metadata, dict) or SIG_KEY in metadata:
            return []  # unknown or secret metadata: whether it names itself is unknown
        if metadata.get("name") not in (None, "") or metadata.get("generateName") not in (None, ""):
            return []
        annotations = metadata.get("annotations", {})
        if not isinstance(annotations, dict) or SIG_KEY in annotations:
            return []
        metadata = dict(metadata, name=self._remember(unique_name(urn, name, KUBERNETES_NAME), urn),
                        annotations=dict(annotations, **{AUTONAMED_ANNOTATION: "true"}))
        raw_inputs["metadata"] = metadata
        return ["metadata.name"]

    def _aws_rule(self, type_: str, raw_inputs: Dict[str, Any], input_names: FrozenSet[str]) -> Optional[Rule]:
        if type_ in AWS_RULES:
            rule = AWS_RULES[type_]
            engine = raw_inputs.get("engine")
            if rule is not None and rule.prop == "identifier" and isinstance(engine, str) and "sqlserver" in engine.lower():
                return RDS_SQLSERVER
            return rule
        return AWS_DEFAULT if "name" in input_names else None

    def _remember(self, value: Optional[str], urn: str) -> str:
        assert value is not None  # Kubernetes names have no maximum here
        self._names[value] = urn
        return value


def _unversioned(type_: str) -> str:
    """``azure-native:storage/v20230101:StorageAccount`` -> ``azure-native:storage:StorageAccount``."""
    package, module, name = (type_.split(":") + ["", ""])[:3]
    return ":".join((package, module.split("/", 1)[0], name))


def _collect(value: Any, path: str, names: Dict[str, str], found: set) -> None:
    if isinstance(value, str):
        if value in names and value != UNKNOWN_SENTINEL:
            found.add(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, key if not path else path + "." + key, names, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, str(index) if not path else path + "." + str(index), names, found)
