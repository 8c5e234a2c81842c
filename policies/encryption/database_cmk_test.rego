package sahab.rules.encryption.database_cmk_test

import data.sahab.rules.encryption.database_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_key := _r("aws:kms/key:Key", "k", {"enableKeyRotation": true}, {})

_arn := "arn:aws:kms:me-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# --- RDS -----------------------------------------------------------------------------------

test_rds_instance_with_cmk_of_the_plan_passes if {
	db := _r("aws:rds/instance:Instance", "db", {"engine": "postgres", "storageEncrypted": true, "kmsKeyId": _unknown}, {"kmsKeyId": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, db]}
	count(rule.deferred) == 0 with input as {"resources": [_key, db]}
}

test_unencrypted_rds_instance_is_denied if {
	db := _r("aws:rds/instance:Instance", "db", {"engine": "postgres"}, {})
	some f in rule.deny with input as {"resources": [db]}
	contains(f.message, "not encrypted")
}

test_rds_cluster_with_aws_managed_key_is_denied if {
	c := _r("aws:rds/cluster:Cluster", "c", {"engine": "aurora-postgresql", "storageEncrypted": true, "kmsKeyId": "alias/aws/rds"}, {})
	some f in rule.deny with input as {"resources": [c]}
	contains(f.message, "AWS managed key")
}

test_rds_encrypted_without_key_is_denied if {
	c := _r("aws:rds/cluster:Cluster", "c", {"engine": "aurora-postgresql", "storageEncrypted": true}, {})
	count(rule.deny) == 1 with input as {"resources": [c]}
}

test_neptune_uses_kms_key_arn if {
	ok := _r("aws:neptune/cluster:Cluster", "n", {"storageEncrypted": true, "kmsKeyArn": _arn}, {})
	count(rule.deny) == 0 with input as {"resources": [ok]}
	bad := _r("aws:neptune/cluster:Cluster", "n", {"storageEncrypted": true, "kmsKeyId": _arn}, {})
	count(rule.deny) == 1 with input as {"resources": [bad]}
}

test_docdb_with_literal_key_passes if {
	c := _r("aws:docdb/cluster:Cluster", "d", {"storageEncrypted": true, "kmsKeyId": _arn}, {})
	count(rule.deny) == 0 with input as {"resources": [c]}
}

test_unknown_storage_encrypted_is_deferred if {
	db := _r("aws:rds/instance:Instance", "db", {"storageEncrypted": _unknown, "kmsKeyId": _arn}, {})
	count(rule.deferred) == 1 with input as {"resources": [db]}
	count(rule.deny) == 0 with input as {"resources": [db]}
}

test_read_replica_of_a_source_in_the_plan_inherits if {
	src := _r("aws:rds/instance:Instance", "src", {"storageEncrypted": true, "kmsKeyId": _arn}, {})
	replica := _r("aws:rds/instance:Instance", "replica", {"replicateSourceDb": _unknown}, {"replicateSourceDb": [src.urn]})
	count(rule.deny) == 0 with input as {"resources": [src, replica]}
	count(rule.deferred) == 0 with input as {"resources": [src, replica]}
}

test_read_replica_of_an_outside_source_is_deferred if {
	replica := _r("aws:rds/instance:Instance", "replica", {"replicateSourceDb": "legacy-db"}, {})
	count(rule.deferred) == 1 with input as {"resources": [replica]}
	count(rule.deny) == 0 with input as {"resources": [replica]}
}

# --- DynamoDB ------------------------------------------------------------------------------

test_dynamodb_with_cmk_passes if {
	t := _r("aws:dynamodb/table:Table", "t", {"hashKey": "id", "serverSideEncryption": {"enabled": true, "kmsKeyArn": _unknown}}, {"serverSideEncryption": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, t]}
	count(rule.deferred) == 0 with input as {"resources": [_key, t]}
}

test_dynamodb_default_encryption_is_denied if {
	t := _r("aws:dynamodb/table:Table", "t", {"hashKey": "id"}, {})
	some f in rule.deny with input as {"resources": [t]}
	contains(f.message, "AWS owned key")
}

test_dynamodb_aws_managed_key_is_denied if {
	t := _r("aws:dynamodb/table:Table", "t", {"hashKey": "id", "serverSideEncryption": {"enabled": true}}, {})
	some f in rule.deny with input as {"resources": [t]}
	contains(f.message, "aws/dynamodb")
}

# --- Azure ---------------------------------------------------------------------------------

test_postgres_flexible_server_with_key_vault_passes if {
	key := _r("azure-native:keyvault:Key", "key", {"keyName": "k"}, {})
	s := _r("azure-native:dbforpostgresql:Server", "pg", {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": _unknown}}, {"dataEncryption": [key.urn]})
	count(rule.deny) == 0 with input as {"resources": [key, s]}
	count(rule.deferred) == 0 with input as {"resources": [key, s]}
}

test_postgres_flexible_server_system_managed_is_denied if {
	s := _r("azure-native:dbforpostgresql:Server", "pg", {"version": "16"}, {})
	some f in rule.deny with input as {"resources": [s]}
	contains(f.message, "SystemManaged")
}

test_mysql_key_vault_without_key_is_denied if {
	s := _r("azure-native:dbformysql:Server", "my", {"dataEncryption": {"type": "AzureKeyVault"}}, {})
	count(rule.deny) == 1 with input as {"resources": [s]}
}

test_mysql_untraceable_unknown_key_is_deferred if {
	s := _r("azure-native:dbformysql:Server", "my", {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": _unknown}}, {})
	count(rule.deferred) == 1 with input as {"resources": [s]}
}
