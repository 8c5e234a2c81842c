package sahab.rules.audit.audit_destination_test

import data.sahab.rules.audit.audit_destination as rule
import rego.v1

_r(type_token, name, region, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": region, "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:x::uae",
}

_unknown := {"$unknown": true}

_judge(resources) := {"deny": denied, "deferred": deferred} if {
	denied := {f.message | some f in rule.deny} with input as {"resources": resources}
	deferred := {f.message | some f in rule.deferred} with input as {"resources": resources}
}

# --- AWS ---------------------------------------------------------------------------------------

_cluster := _r("aws:eks/cluster:Cluster", "ml", "me-central-1", {"name": "ml"}, {})

_key := _r("aws:kms/key:Key", "logs", "me-central-1", {"enableKeyRotation": true}, {})

_bucket(region) := _r("aws:s3/bucket:Bucket", "audit", region, {"bucket": "audit-1", "objectLockEnabled": true}, {})

_versioning(status) := _r("aws:s3/bucketVersioning:BucketVersioning", "audit", "me-central-1",
	{"bucket": _unknown, "versioningConfiguration": {"status": status}}, {"bucket": [_bucket("me-central-1").urn]})

_lock(mode, days) := _r("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "audit", "me-central-1",
	{"bucket": _unknown, "objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": mode, "days": days}}},
	{"bucket": [_bucket("me-central-1").urn]})

_trail(inputs) := _r("aws:cloudtrail/trail:Trail", "audit", "me-central-1", object.union({
	"s3BucketName": _unknown, "kmsKeyId": _unknown, "enableLogFileValidation": true,
}, inputs), {"s3BucketName": [_bucket("me-central-1").urn], "kmsKeyId": [_key.urn]})

_aws_stack(trail, extra) := array.concat([_cluster, _key, _bucket("me-central-1"), _versioning("Enabled"), _lock("COMPLIANCE", 365), trail], extra)

test_a_compliant_trail_passes if {
	_judge(_aws_stack(_trail({}), [])) == {"deny": set(), "deferred": set()}
}

test_a_platform_without_a_trail_is_refused_on_each_platform_resource if {
	db := _r("aws:rds/instance:Instance", "registry", "me-central-1", {"storageEncrypted": true}, {})
	denied := {[f.urn, f.message] | some f in rule.deny} with input as {"resources": [_cluster, db]}
	denied == {
		[_cluster.urn, "ml: this platform stack has no CloudTrail trail, so no in-region, encrypted, immutable audit destination: add a CloudTrail trail encrypted with a customer managed key, with log-file validation, delivering to a bucket in the UAE with versioning and a COMPLIANCE-mode Object Lock"],
		[db.urn, "registry: this platform stack has no CloudTrail trail, so no in-region, encrypted, immutable audit destination: add a CloudTrail trail encrypted with a customer managed key, with log-file validation, delivering to a bucket in the UAE with versioning and a COMPLIANCE-mode Object Lock"],
	}
}

test_a_stack_without_platform_resources_needs_no_trail if {
	_judge([_bucket("me-central-1"), _key]) == {"deny": set(), "deferred": set()}
}

test_each_missing_property_is_named if {
	trail := _trail({"enableLogFileValidation": false, "kmsKeyId": null})
	_judge(_aws_stack(trail, [])).deny == {"ml: no CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination (trail audit lacks: a customer managed KMS key (kmsKeyId), log-file validation)"}
}

test_governance_mode_or_no_retention_is_not_immutable if {
	resources := [_cluster, _key, _bucket("me-central-1"), _versioning("Enabled"), _lock("GOVERNANCE", 365), _trail({})]
	_judge(resources).deny == {"ml: no CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination (trail audit lacks: a COMPLIANCE-mode Object Lock retention on its bucket)"}
	no_days := [_cluster, _key, _bucket("me-central-1"), _versioning("Enabled"), _lock("COMPLIANCE", 0), _trail({})]
	count(_judge(no_days).deny) == 1
	no_lock := [_cluster, _key, _bucket("me-central-1"), _versioning("Enabled"), _trail({})]
	count(_judge(no_lock).deny) == 1
}

test_inline_object_lock_and_versioning_count if {
	bucket := _r("aws:s3/bucket:Bucket", "audit", "me-central-1", {
		"bucket": "audit-1", "versioning": {"enabled": true},
		"objectLockConfiguration": {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 7}}},
	}, {})
	_judge([_cluster, _key, bucket, _trail({})]) == {"deny": set(), "deferred": set()}
}

test_suspended_versioning_is_refused if {
	resources := [_cluster, _key, _bucket("me-central-1"), _versioning("Suspended"), _lock("COMPLIANCE", 365), _trail({})]
	_judge(resources).deny == {"ml: no CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination (trail audit lacks: versioning on its bucket)"}
}

test_a_bucket_or_trail_outside_the_uae_is_not_in_region if {
	trail := _r("aws:cloudtrail/trail:Trail", "audit", "eu-west-1", {"s3BucketName": "audit-1", "kmsKeyId": "arn:aws:kms:me-central-1:1:key/k", "enableLogFileValidation": true}, {})
	resources := [_cluster, _bucket("eu-west-1"), _versioning("Enabled"), _lock("COMPLIANCE", 365), trail]
	_judge(resources).deny == {"ml: no CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination (trail audit lacks: a home region in the UAE, its bucket in the UAE)"}
}

test_management_events_must_be_recorded if {
	data_only := _trail({"eventSelectors": [{"includeManagementEvents": false, "readWriteType": "All"}]})
	_judge(_aws_stack(data_only, [])).deny == {"ml: no CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination (trail audit lacks: management events)"}
	advanced := _trail({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]})
	_judge(_aws_stack(advanced, [])) == {"deny": set(), "deferred": set()}
	advanced_data := _trail({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}]})
	count(_judge(_aws_stack(advanced_data, [])).deny) == 1
}

test_logging_turned_off_is_refused if {
	count(_judge(_aws_stack(_trail({"enableLogging": false}), [])).deny) == 1
}

test_one_qualifying_trail_is_enough if {
	other := _r("aws:cloudtrail/trail:Trail", "other", "me-central-1", {"s3BucketName": "elsewhere"}, {})
	_judge(_aws_stack(_trail({}), [other])) == {"deny": set(), "deferred": set()}
}

test_unknown_validation_or_a_bucket_outside_the_program_is_deferred_never_passed if {
	unknown := _judge(_aws_stack(_trail({"enableLogFileValidation": _unknown}), []))
	unknown == {"deny": set(), "deferred": {"ml: whether any CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination is only known at deploy time (trail audit waits for: log-file validation)"}}
	elsewhere := _r("aws:cloudtrail/trail:Trail", "audit", "me-central-1", {"s3BucketName": "org-log-archive", "kmsKeyId": "arn:aws:kms:me-central-1:1:key/k", "enableLogFileValidation": true}, {})
	_judge([_cluster, elsewhere]) == {"deny": set(), "deferred": {"ml: whether any CloudTrail trail of this stack is an in-region, encrypted, immutable audit destination is only known at deploy time (trail audit waits for: a bucket of this program (its region, versioning and Object Lock))"}}
}

test_a_key_outside_the_uae_or_aws_managed_is_refused if {
	count(_judge(_aws_stack(_trail({"kmsKeyId": "alias/aws/cloudtrail"}), [])).deny) == 1
	count(_judge(_aws_stack(_trail({"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}), [])).deny) == 1
}

# --- Azure -------------------------------------------------------------------------------------

_aks := _r("azure-native:containerservice:ManagedCluster", "aks", "uaenorth", {"resourceName": "aks"}, {})

_account(location, immutability) := _r("azure-native:storage:StorageAccount", "auditlogs", location, {
	"accountName": "auditlogs", "location": location,
	"encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyName": "k", "keyVaultUri": "https://kv.vault.azure.net"}},
	"immutableStorageWithVersioning": immutability,
}, {})

_locked := {"enabled": true, "immutabilityPolicy": {"state": "Locked", "immutabilityPeriodSinceCreationInDays": 365}}

_workspace(location) := _r("azure-native:operationalinsights:Workspace", "audit", location, {"workspaceName": "audit", "location": location}, {})

_la_cluster(key) := _r("azure-native:operationalinsights:Cluster", "audit", "uaenorth", {"clusterName": "audit", "keyVaultProperties": key}, {})

_link := _r("azure-native:operationalinsights:LinkedService", "audit", "uaenorth", {"workspaceName": _unknown, "linkedServiceName": "cluster", "writeAccessResourceId": _unknown},
	{"workspaceName": [_workspace("uaenorth").urn], "writeAccessResourceId": [_la_cluster({}).urn]})

_activity_log(inputs, deps) := _r("azure-native:monitor:SubscriptionDiagnosticSetting", "activity", "uaenorth", object.union({
	"name": "activity", "logs": [{"categoryGroup": "allLogs", "enabled": true}], "storageAccountId": _unknown,
}, inputs), object.union({"storageAccountId": [_account("uaenorth", _locked).urn]}, deps))

_key_props := {"keyName": "audit", "keyVaultUri": "https://kv.vault.azure.net"}

test_an_activity_log_to_a_locked_account_in_the_uae_passes if {
	_judge([_aks, _account("uaenorth", _locked), _activity_log({}, {})]) == {"deny": set(), "deferred": set()}
}

test_an_azure_platform_without_an_activity_log_setting_is_refused if {
	db := _r("azure-native:dbforpostgresql:Server", "pg", "uaenorth", {"serverName": "pg"}, {})
	_judge([_aks, db]).deny == {
		"aks: this platform stack has no Activity Log diagnostic setting, so no in-region, encrypted, immutable audit destination: add a subscription diagnostic setting sending the Activity Log to a storage account in the UAE with a Key Vault key and a locked immutability policy",
		"pg: this platform stack has no Activity Log diagnostic setting, so no in-region, encrypted, immutable audit destination: add a subscription diagnostic setting sending the Activity Log to a storage account in the UAE with a Key Vault key and a locked immutability policy",
	}
}

test_an_unlocked_or_missing_immutability_policy_is_refused if {
	unlocked := {"enabled": true, "immutabilityPolicy": {"state": "Unlocked", "immutabilityPeriodSinceCreationInDays": 365}}
	_judge([_aks, _account("uaenorth", unlocked), _activity_log({}, {})]).deny == {"aks: no Activity Log diagnostic setting of this stack is an in-region, encrypted, immutable audit destination (diagnostic setting activity lacks: a locked immutability policy on its storage account)"}
	count(_judge([_aks, _account("uaenorth", null), _activity_log({}, {})]).deny) == 1
}

test_an_account_outside_the_uae_or_without_a_key_vault_key_is_refused if {
	outside := _r("azure-native:storage:StorageAccount", "auditlogs", "westeurope", {"accountName": "auditlogs", "immutableStorageWithVersioning": _locked}, {})
	_judge([_aks, outside, _activity_log({}, {})]).deny == {"aks: no Activity Log diagnostic setting of this stack is an in-region, encrypted, immutable audit destination (diagnostic setting activity lacks: its storage account in the UAE, a Key Vault key on its storage account)"}
}

test_a_setting_without_a_storage_account_or_logs_is_refused if {
	workspace_only := _r("azure-native:monitor:SubscriptionDiagnosticSetting", "activity", "uaenorth", {"logs": [{"categoryGroup": "allLogs", "enabled": false}]}, {})
	_judge([_aks, workspace_only]).deny == {"aks: no Activity Log diagnostic setting of this stack is an in-region, encrypted, immutable audit destination (diagnostic setting activity lacks: an enabled log category, a storage account (storageAccountId), the immutable copy)"}
}

test_the_account_is_found_by_its_literal_arm_id if {
	setting := _activity_log({"storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/auditlogs"}, {"storageAccountId": []})
	_judge([_aks, _account("uaenorth", _locked), setting]) == {"deny": set(), "deferred": set()}
}

test_an_account_outside_the_program_is_deferred if {
	setting := _activity_log({"storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/central"}, {"storageAccountId": []})
	_judge([_aks, setting]).deferred == {"aks: whether any Activity Log diagnostic setting of this stack is an in-region, encrypted, immutable audit destination is only known at deploy time (diagnostic setting activity waits for: a storage account of this program (its region, key and immutability))"}
}

test_a_workspace_needs_a_cluster_key if {
	with_workspace := _activity_log({"workspaceId": _unknown}, {"workspaceId": [_workspace("uaenorth").urn]})
	keyed := [_aks, _account("uaenorth", _locked), _workspace("uaenorth"), _la_cluster(_key_props), _link, with_workspace]
	_judge(keyed) == {"deny": set(), "deferred": set()}
	unlinked := [_aks, _account("uaenorth", _locked), _workspace("uaenorth"), with_workspace]
	_judge(unlinked).deny == {"aks: no Activity Log diagnostic setting of this stack is an in-region, encrypted, immutable audit destination (diagnostic setting activity lacks: a Key Vault key on its Log Analytics workspace (a linked dedicated cluster))"}
	keyless := [_aks, _account("uaenorth", _locked), _workspace("uaenorth"), _la_cluster({"keyName": ""}), _link, with_workspace]
	count(_judge(keyless).deny) == 1
}
