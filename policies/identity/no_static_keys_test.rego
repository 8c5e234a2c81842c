package sahab.rules.identity.no_static_keys_test

import data.sahab.rules.identity.no_static_keys as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

test_access_key_is_denied if {
	p := {"resources": [_res("aws:iam/accessKey:AccessKey", {"user": {"$unknown": true}})]}
	some f in rule.deny with input as p
	contains(f.message, "access key")
}

test_service_specific_credential_is_denied if {
	p := {"resources": [_res("aws:iam/serviceSpecificCredential:ServiceSpecificCredential", {"serviceName": "codecommit.amazonaws.com", "userName": "ci"})]}
	count(rule.deny) == 1 with input as p
}

test_roles_pass if {
	p := {"resources": [_res("aws:iam/role:Role", {"assumeRolePolicy": "{}"}), _res("aws:iam/user:User", {"name": "ci"})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_read_access_key_is_not_a_new_key if {
	p := {"resources": [object.union(_res("aws:iam/accessKey:AccessKey", {}), {"mode": "read"})]}
	count(rule.deny) == 0 with input as p
}

test_storage_account_with_shared_keys_is_denied if {
	p := {"resources": [_res("azure-native:storage:StorageAccount", {"allowSharedKeyAccess": true})]}
	count(rule.deny) == 1 with input as p
	q := {"resources": [_res("azure-native:storage:StorageAccount", {"kind": "StorageV2"})]}
	count(rule.deny) == 1 with input as q
}

test_storage_account_without_shared_keys_passes if {
	p := {"resources": [_res("azure-native:storage:StorageAccount", {"allowSharedKeyAccess": false})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_storage_account_unknown_is_deferred if {
	p := {"resources": [_res("azure-native:storage:StorageAccount", {"allowSharedKeyAccess": {"$unknown": true}})]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_registry_admin_user_is_denied if {
	p := {"resources": [_res("azure-native:containerregistry:Registry", {"adminUserEnabled": true})]}
	count(rule.deny) == 1 with input as p
}

test_registry_without_admin_user_passes if {
	p := {"resources": [_res("azure-native:containerregistry:Registry", {"sku": {"name": "Premium"}})]}
	count(rule.deny) == 0 with input as p
	q := {"resources": [_res("azure-native:containerregistry:Registry", {"adminUserEnabled": false})]}
	count(rule.deny) == 0 with input as q
}
