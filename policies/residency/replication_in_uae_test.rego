package sahab.rules.residency.replication_in_uae_test

import data.sahab.rules.residency.replication_in_uae as rule
import rego.v1

_r(type_token, name, region, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": region, "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_urn(type_token, name) := sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name])

_bucket(name, region) := _r("aws:s3/bucket:Bucket", name, region, {"bucket": name}, {})

_replication(destination, deps) := _r(
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig", "rep", "me-central-1",
	{"bucket": _unknown, "role": "arn:aws:iam::1:role/r", "rules": [{"status": "Enabled", "destination": {"bucket": destination}}]},
	deps,
)

# --- S3 ------------------------------------------------------------------------------------

test_s3_replication_to_a_bucket_outside_the_uae_is_denied if {
	resources := [_bucket("src", "me-central-1"), _bucket("dst", "eu-west-1"), _replication(_unknown, {"rules": [_urn("aws:s3/bucket:Bucket", "dst")]})]
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, "replicates to bucket dst")
	contains(f.message, "eu-west-1")
}

test_s3_replication_within_the_uae_passes if {
	resources := [_bucket("src", "me-central-1"), _bucket("dst", "me-central-1"), _replication(_unknown, {"rules": [_urn("aws:s3/bucket:Bucket", "dst")]})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 0 with input as {"resources": resources}
}

test_s3_literal_arn_resolved_by_bucket_name if {
	resources := [_bucket("dst", "eu-central-1"), _replication("arn:aws:s3:::dst", {})]
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, "eu-central-1")
}

test_s3_literal_arn_not_in_the_plan_is_deferred if {
	resources := [_replication("arn:aws:s3:::elsewhere", {})]
	count(rule.deny) == 0 with input as {"resources": resources}
	some f in rule.deferred with input as {"resources": resources}
	contains(f.message, "not in this program")
}

test_s3_unknown_destination_without_dependency_is_deferred if {
	resources := [_replication(_unknown, {})]
	count(rule.deferred) == 1 with input as {"resources": resources}
	count(rule.deny) == 0 with input as {"resources": resources}
}

test_s3_unknown_rules_are_deferred if {
	rep := _r("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "rep", "me-central-1", {"rules": _unknown}, {})
	count(rule.deferred) == 1 with input as {"resources": [rep]}
}

test_s3_legacy_inline_replication_is_checked if {
	legacy := _r("aws:s3/bucket:Bucket", "legacy", "me-central-1", {"bucket": "legacy", "replicationConfiguration": {"role": "r", "rules": [{"destination": {"bucket": "arn:aws:s3:::dst"}}]}}, {})
	some f in rule.deny with input as {"resources": [legacy, _bucket("dst", "eu-west-1")]}
	f.urn == legacy.urn
}

test_s3_destination_with_unknown_region_is_deferred if {
	resources := [_bucket("dst", "unknown"), _replication("arn:aws:s3:::dst", {})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 1 with input as {"resources": resources}
}

# --- AWS Backup ----------------------------------------------------------------------------

_backup_plan(arn, deps) := _r("aws:backup/plan:Plan", "bk", "me-central-1", {"name": "bk", "rules": [{"ruleName": "daily", "targetVaultName": "v", "copyActions": [{"destinationVaultArn": arn}]}]}, deps)

test_backup_copy_outside_the_uae_is_denied if {
	some f in rule.deny with input as {"resources": [_backup_plan("arn:aws:backup:eu-west-1:1:backup-vault:dr", {})]}
	contains(f.message, "eu-west-1")
}

test_backup_copy_in_the_uae_passes if {
	plan := _backup_plan("arn:aws:backup:me-central-1:1:backup-vault:dr", {})
	count(rule.deny) == 0 with input as {"resources": [plan]}
	count(rule.deferred) == 0 with input as {"resources": [plan]}
}

test_backup_copy_to_a_vault_of_the_plan_uses_its_region if {
	vault := _r("aws:backup/vault:Vault", "dr", "eu-west-1", {"name": "dr"}, {})
	some f in rule.deny with input as {"resources": [vault, _backup_plan(_unknown, {"rules": [vault.urn]})]}
	contains(f.message, "vault dr")
}

test_backup_copy_to_an_unknown_vault_is_deferred if {
	count(rule.deferred) == 1 with input as {"resources": [_backup_plan(_unknown, {})]}
}

# --- RDS -----------------------------------------------------------------------------------

test_rds_backup_replication_outside_the_uae_is_denied if {
	r := _r("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "abr", "eu-west-1", {"sourceDbInstanceArn": "arn:aws:rds:me-central-1:1:db:x"}, {})
	count(rule.deny) == 1 with input as {"resources": [r]}
}

test_rds_cross_region_replica_source_outside_the_uae_is_denied if {
	r := _r("aws:rds/instance:Instance", "replica", "me-central-1", {"replicateSourceDb": "arn:aws:rds:eu-west-1:1:db:src", "instanceClass": "db.t3.micro"}, {})
	some f in rule.deny with input as {"resources": [r]}
	contains(f.message, "read replica")
}

test_rds_same_region_replica_passes if {
	src := _r("aws:rds/instance:Instance", "src", "me-central-1", {"instanceClass": "db.t3.micro"}, {})
	r := _r("aws:rds/instance:Instance", "replica", "me-central-1", {"replicateSourceDb": _unknown}, {"replicateSourceDb": [src.urn]})
	count(rule.deny) == 0 with input as {"resources": [src, r]}
	count(rule.deferred) == 0 with input as {"resources": [src, r]}
}

test_rds_snapshot_copy_outside_the_uae_is_denied if {
	r := _r("aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy", "copy", "me-central-1", {"destinationRegion": "eu-central-1"}, {})
	count(rule.deny) == 1 with input as {"resources": [r]}
}

test_plain_rds_instance_is_not_a_replica if {
	r := _r("aws:rds/instance:Instance", "db", "me-central-1", {"instanceClass": "db.t3.micro"}, {})
	count(rule.deny) == 0 with input as {"resources": [r]}
	count(rule.deferred) == 0 with input as {"resources": [r]}
}

# --- DynamoDB and ECR ----------------------------------------------------------------------

test_dynamodb_replica_outside_the_uae_is_denied if {
	t := _r("aws:dynamodb/table:Table", "t", "me-central-1", {"hashKey": "id", "replicas": [{"regionName": "me-central-1"}, {"regionName": "eu-west-1"}]}, {})
	count(rule.deny) == 1 with input as {"resources": [t]}
}

test_dynamodb_unknown_replica_region_is_deferred if {
	t := _r("aws:dynamodb/table:Table", "t", "me-central-1", {"replicas": [{"regionName": _unknown}]}, {})
	count(rule.deferred) == 1 with input as {"resources": [t]}
	count(rule.deny) == 0 with input as {"resources": [t]}
}

test_ecr_replication_outside_the_uae_is_denied if {
	r := _r("aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr", "me-central-1", {"replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": "1"}]}]}}, {})
	count(rule.deny) == 1 with input as {"resources": [r]}
}

test_ecr_replication_in_the_uae_passes if {
	r := _r("aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr", "me-central-1", {"replicationConfiguration": {"rules": [{"destinations": [{"region": "me-central-1", "registryId": "2"}]}]}}, {})
	count(rule.deny) == 0 with input as {"resources": [r]}
}

# --- Azure ---------------------------------------------------------------------------------

_account(name, location, sku) := _r("azure-native:storage:StorageAccount", name, location, {"accountName": name, "kind": "StorageV2", "sku": {"name": sku}}, {})

test_geo_redundant_account_in_the_uae_pair_passes if {
	count(rule.deny) == 0 with input as {"resources": [_account("sa", "uaenorth", "Standard_RAGRS")]}
}

test_geo_redundant_account_outside_the_uae_is_denied if {
	some f in rule.deny with input as {"resources": [_account("sa", "westeurope", "Standard_GZRS")]}
	contains(f.message, "geo-redundant")
}

test_locally_redundant_account_is_not_checked if {
	count(rule.deny) == 0 with input as {"resources": [_account("sa", "westeurope", "Standard_LRS")]}
}

test_unknown_sku_is_deferred if {
	sa := _r("azure-native:storage:StorageAccount", "sa", "uaenorth", {"sku": _unknown}, {})
	count(rule.deferred) == 1 with input as {"resources": [sa]}
}

_object_replication(source, destination, deps) := _r("azure-native:storage:ObjectReplicationPolicy", "orp", "uaenorth", {"sourceAccount": source, "destinationAccount": destination, "objectReplicationPolicyId": "default"}, deps)

test_object_replication_to_an_account_outside_the_uae_is_denied if {
	dst := _account("dst", "westeurope", "Standard_LRS")
	resources := [_account("src", "uaenorth", "Standard_LRS"), dst, _object_replication("src", _unknown, {"destinationAccount": [dst.urn]})]
	count(rule.deny) == 1 with input as {"resources": resources}
}

test_object_replication_within_the_uae_passes if {
	src_id := "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/src"
	resources := [_account("src", "uaenorth", "Standard_LRS"), _account("dst", "uaecentral", "Standard_LRS"), _object_replication(src_id, "dst", {})]
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 0 with input as {"resources": resources}
}

test_object_replication_with_an_account_outside_the_plan_is_deferred if {
	resources := [_account("dst", "uaenorth", "Standard_LRS"), _object_replication("/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/other", "dst", {})]
	count(rule.deferred) == 1 with input as {"resources": resources}
	count(rule.deny) == 0 with input as {"resources": resources}
}

# --- ARNs built from deploy-time outputs (partial values, docs/plan-format.md) ----------------

_account_id := {"$unknown": true, "of": {"urn": "urn:pulumi:dev::p::aws:index/getCallerIdentity::me", "output": "accountId"}}

_partial(parts) := {"$unknown": true, "$partial": parts}

_outcome(resources) := {"deny": d, "deferred": e} if {
	d := [f.message | some f in rule.deny] with input as {"resources": resources}
	e := [f.message | some f in rule.deferred] with input as {"resources": resources}
}

test_backup_copy_to_a_partial_vault_arn_is_decided_by_its_region if {
	_outcome([_backup_plan(_partial(["arn:aws:backup:eu-west-1:", _account_id, ":backup-vault:dr"]), {})]) == {
		"deny": ["bk copies backups to vault arn:aws:backup:eu-west-1:<unknown>:backup-vault:dr (eu-west-1 is outside the UAE)"],
		"deferred": [],
	}
	_outcome([_backup_plan(_partial(["arn:aws:backup:me-central-1:", _account_id, ":backup-vault:dr"]), {})]) == {"deny": [], "deferred": []}
	_outcome([_backup_plan(_partial(["arn:aws:backup:", _unknown, ":1:backup-vault:dr"]), {})]) == {
		"deny": [],
		"deferred": ["bk copies backups to a vault that is only known at deploy time"],
	}
}

test_rds_replica_of_a_partial_source_arn_is_decided_by_its_region if {
	r := _r("aws:rds/instance:Instance", "replica", "me-central-1", {"replicateSourceDb": _partial(["arn:aws:rds:eu-west-1:", _account_id, ":db:src"])}, {})
	_outcome([r]) == {"deny": ["replica is a read replica of arn:aws:rds:eu-west-1:<unknown>:db:src (eu-west-1 is outside the UAE)"], "deferred": []}
}

_keyed_replication(destination, key) := _r(
	"aws:s3/bucketReplicationConfig:BucketReplicationConfig", "rep", "me-central-1",
	{"bucket": _unknown, "role": "arn:aws:iam::1:role/r", "rules": [{"status": "Enabled", "destination": {"bucket": destination, "encryptionConfiguration": {"replicaKmsKeyId": key}}}]},
	{},
)

test_s3_replica_key_tells_the_destination_region if {
	# The destination bucket comes from another stack; its replica key (a partial ARN) says where it is.
	_outcome([_keyed_replication(_unknown, _partial(["arn:aws:kms:eu-west-1:", _account_id, ":key/", _unknown]))]) == {
		"deny": ["rep replicates to a bucket encrypted with KMS key arn:aws:kms:eu-west-1:<unknown>:key/<unknown> (eu-west-1 is outside the UAE)"],
		"deferred": [],
	}
	_outcome([_keyed_replication("arn:aws:s3:::elsewhere", _partial(["arn:aws:kms:me-central-1:", _account_id, ":key/", _unknown]))]) == {"deny": [], "deferred": []}
	_outcome([_keyed_replication(_unknown, _unknown)]) == {"deny": [], "deferred": ["rep replicates to a bucket that is only known at deploy time"]}
}
