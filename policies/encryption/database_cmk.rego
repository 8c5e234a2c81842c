# METADATA
# title: Databases are encrypted at rest with a customer managed key
# description: >-
#   Managed databases store data encrypted with a key the customer controls. AWS: an
#   aws:rds/instance:Instance, aws:rds/cluster:Cluster or aws:docdb/cluster:Cluster has
#   storageEncrypted true and kmsKeyId set, an aws:neptune/cluster:Cluster storageEncrypted true
#   and kmsKeyArn, an aws:dynamodb/table:Table serverSideEncryption enabled with kmsKeyArn
#   (DynamoDB otherwise uses an AWS owned key); a key counts when it is a literal key ID/ARN/
#   alias that is not AWS managed (alias/aws/rds), or an unknown value that came from a KMS key
#   or alias of the plan. An RDS read replica that sets neither storageEncrypted nor kmsKeyId
#   inherits its source's encryption: it passes when the source is an instance of the plan
#   (checked itself) and is deferred otherwise. Azure: an azure-native:dbforpostgresql:Server or
#   azure-native:dbformysql:Server (flexible servers) has dataEncryption.type "AzureKeyVault"
#   with a primaryKeyURI. Unknown values no key of the plan explains are deferred.
# custom:
#   id: SAHAB-ENC-004
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     Whether a database or table is encrypted and with which KMS or Key Vault key
#     (storageEncrypted, kmsKeyId, server-side encryption, data encryption), when computed at
#     deploy time or held outside this program.
#   remediation: >-
#     RDS/DocumentDB: storage_encrypted=True, kms_key_id=<your aws.kms.Key>.arn (Neptune:
#     kms_key_arn); DynamoDB: server_side_encryption=TableServerSideEncryptionArgs(enabled=True,
#     kms_key_arn=<key>.arn); Azure flexible servers: data_encryption=DataEncryptionArgs(
#     type="AzureKeyVault", primary_key_uri=<Key Vault key URI>,
#     primary_user_assigned_identity_id=<identity>).
#   covers:
#     - aws:rds/instance:Instance
#     - aws:rds/cluster:Cluster
#     - aws:docdb/cluster:Cluster
#     - aws:neptune/cluster:Cluster
#     - aws:dynamodb/table:Table
#     - azure-native:dbforpostgresql:Server
#     - azure-native:dbformysql:Server
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.database_cmk

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# Resources are looked up where they are used (aws.created_of reads an index), never kept in a
# rule of this package: every rule here is part of the gate's answer.

# --- RDS, DocumentDB, Neptune --------------------------------------------------------------

# The input that names the key, by type.
_key_input := {
	"aws:rds/instance:Instance": "kmsKeyId",
	"aws:rds/cluster:Cluster": "kmsKeyId",
	"aws:docdb/cluster:Cluster": "kmsKeyId",
	"aws:neptune/cluster:Cluster": "kmsKeyArn",
}

# The databases that set their own encryption (read replicas that inherit it left out).
_databases(types) := [r |
	some r in aws.created_of(types)
	not _inherits(r)
]

# A read replica that sets no encryption of its own takes its source's.
_replica(r) if aws.non_empty(plan.input_at(r, ["replicateSourceDb"]))

_replica(r) if not plan.is_known(plan.input_at(r, ["replicateSourceDb"]))

_inherits(r) if {
	r.type == "aws:rds/instance:Instance"
	_replica(r)
	plan.input_at(r, ["storageEncrypted"]) == null
	plan.input_at(r, ["kmsKeyId"]) == null
}

_source_in_plan(r) if aws.depends_on_type(r, "replicateSourceDb", {"aws:rds/instance:Instance"})

_source_in_plan(r) if {
	name := plan.input_at(r, ["replicateSourceDb"])
	aws.non_empty(name)
	name in _instance_identifiers
}

# The identifiers of the RDS instances this program creates.
_instance_identifiers contains s.inputs.identifier if {
	some s in aws.created_of({"aws:rds/instance:Instance"})
}

deferred contains plan.finding(r, sprintf("%s is a read replica of %v, which is not in this program: it inherits an encryption the plan cannot see", [r.name, plan.input_at(r, ["replicateSourceDb"])])) if {
	some r in aws.created_of({"aws:rds/instance:Instance"})
	_inherits(r)
	not _source_in_plan(r)
}

deny contains plan.finding(r, sprintf("%s: storage is not encrypted (storageEncrypted is %v)", [r.name, encrypted])) if {
	some r in _databases(object.keys(_key_input))
	encrypted := plan.input_at(r, ["storageEncrypted"])
	plan.is_known(encrypted)
	encrypted != true
}

deferred contains plan.finding(r, sprintf("%s: whether storage is encrypted is only known at deploy time", [r.name])) if {
	some r in _databases(object.keys(_key_input))
	not plan.is_known(plan.input_at(r, ["storageEncrypted"]))
}

deny contains plan.finding(r, sprintf("%s: storage is encrypted with %s, not a customer managed key in the UAE", [r.name, _describe[state]])) if {
	some r in _databases(object.keys(_key_input))
	plan.input_at(r, ["storageEncrypted"]) == true
	property := _key_input[r.type]
	state := aws.key_state(r, plan.input_at(r, [property]), property)
	state in data.sahab.lib.aws.refused_key_states
}

deferred contains plan.finding(r, sprintf("%s: the storage key is only known at deploy time and comes from no KMS key of this program", [r.name])) if {
	some r in _databases(object.keys(_key_input))
	plan.input_at(r, ["storageEncrypted"]) == true
	property := _key_input[r.type]
	aws.key_state(r, plan.input_at(r, [property]), property) == "unknown"
}

_describe := {"none": "the default key (no key set: the AWS managed key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# --- DynamoDB ------------------------------------------------------------------------------

_table_types := {"aws:dynamodb/table:Table"}

_sse(r) := plan.input_at(r, ["serverSideEncryption"])

deny contains plan.finding(r, sprintf("%s has no serverSideEncryption: DynamoDB encrypts it with an AWS owned key", [r.name])) if {
	some r in aws.created_of(_table_types)
	_sse(r) == null
}

deny contains plan.finding(r, sprintf("%s: serverSideEncryption.enabled is %v: DynamoDB encrypts it with an AWS owned key", [r.name, enabled])) if {
	some r in aws.created_of(_table_types)
	_sse(r) != null
	enabled := aws.field(_sse(r), "enabled")
	plan.is_known(enabled)
	enabled != true
}

deferred contains plan.finding(r, sprintf("%s: whether server-side encryption uses a KMS key is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_table_types)
	not plan.is_known(aws.field(_sse(r), "enabled"))
}

deny contains plan.finding(r, sprintf("%s: serverSideEncryption has %s, not a customer managed key in the UAE", [r.name, _describe_table[state]])) if {
	some r in aws.created_of(_table_types)
	aws.field(_sse(r), "enabled") == true
	state := aws.key_state(r, aws.field(_sse(r), "kmsKeyArn"), "serverSideEncryption")
	state in data.sahab.lib.aws.refused_key_states
}

deferred contains plan.finding(r, sprintf("%s: the table key is only known at deploy time and comes from no KMS key of this program", [r.name])) if {
	some r in aws.created_of(_table_types)
	aws.field(_sse(r), "enabled") == true
	aws.key_state(r, aws.field(_sse(r), "kmsKeyArn"), "serverSideEncryption") == "unknown"
}

_describe_table := {"none": "no kmsKeyArn (the AWS managed aws/dynamodb key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# --- Azure flexible servers ----------------------------------------------------------------

_server_types := {"azure-native:dbforpostgresql:Server", "azure-native:dbformysql:Server"}

_encryption_type(r) := t if {
	t := azure.field(plan.input_at(r, ["dataEncryption"]), "type")
	t != null
}

_encryption_type(r) := "SystemManaged (the default)" if azure.field(plan.input_at(r, ["dataEncryption"]), "type") == null

deny contains plan.finding(r, sprintf("%s: data encryption is %v, not a customer managed key (AzureKeyVault)", [r.name, t])) if {
	some r in azure.created_of(_server_types)
	t := _encryption_type(r)
	plan.is_known(t)
	t != "AzureKeyVault"
}

deferred contains plan.finding(r, sprintf("%s: the data encryption type is only known at deploy time", [r.name])) if {
	some r in azure.created_of(_server_types)
	not plan.is_known(_encryption_type(r))
}

deny contains plan.finding(r, sprintf("%s: AzureKeyVault data encryption without a primaryKeyURI", [r.name])) if {
	some r in azure.created_of(_server_types)
	_encryption_type(r) == "AzureKeyVault"
	azure.key_ref_state(r, azure.field(plan.input_at(r, ["dataEncryption"]), "primaryKeyURI"), "dataEncryption", data.sahab.lib.azure.key_types) == "none"
}

deferred contains plan.finding(r, sprintf("%s: the data encryption key is only known at deploy time and comes from no Key Vault key of this program", [r.name])) if {
	some r in azure.created_of(_server_types)
	_encryption_type(r) == "AzureKeyVault"
	azure.key_ref_state(r, azure.field(plan.input_at(r, ["dataEncryption"]), "primaryKeyURI"), "dataEncryption", data.sahab.lib.azure.key_types) == "unknown"
}
