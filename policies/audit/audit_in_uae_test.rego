package sahab.rules.audit.audit_in_uae_test

import data.sahab.rules.audit.audit_in_uae as rule
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

_bucket(region) := _r("aws:s3/bucket:Bucket", "audit", region, {"bucket": "audit-1"}, {})

_log_group(region) := _r("aws:cloudwatch/logGroup:LogGroup", "audit", region, {"name": "/audit"}, {})

_trail(region, inputs, deps) := _r("aws:cloudtrail/trail:Trail", "audit", region, inputs, deps)

_linked_trail := _trail("me-central-1", {"s3BucketName": _unknown, "cloudWatchLogsGroupArn": _unknown},
	{"s3BucketName": [_bucket("me-central-1").urn], "cloudWatchLogsGroupArn": [_log_group("me-central-1").urn]})

test_a_trail_delivering_in_the_uae_passes if {
	_judge([_bucket("me-central-1"), _log_group("me-central-1"), _linked_trail]) == {"deny": set(), "deferred": set()}
}

test_a_bucket_of_the_plan_outside_the_uae_is_refused if {
	_judge([_bucket("eu-west-1"), _log_group("me-central-1"), _linked_trail]) == {
		"deny": {"audit delivers its records to bucket audit, in eu-west-1: outside the UAE"}, "deferred": set(),
	}
}

test_a_bucket_named_literally_is_found_by_name if {
	trail := _trail("me-central-1", {"s3BucketName": "audit-1"}, {})
	_judge([_bucket("eu-central-1"), trail]).deny == {"audit delivers its records to bucket audit, in eu-central-1: outside the UAE"}
}

test_a_log_group_arn_in_another_region_is_refused_even_when_partial if {
	known := _trail("me-central-1", {"cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:111122223333:log-group:/audit:*"}, {})
	_judge([known]).deny == {"audit sends its records to a CloudWatch Logs group, in eu-west-1: outside the UAE"}
	partial := _trail("me-central-1", {"cloudWatchLogsGroupArn": {"$unknown": true, "$partial": ["arn:aws:logs:eu-west-1:", _unknown, ":log-group:/audit:*"]}}, {})
	_judge([partial]).deny == {"audit sends its records to a CloudWatch Logs group, in eu-west-1: outside the UAE"}
}

test_a_log_group_of_the_plan_outside_the_uae_is_refused if {
	_judge([_bucket("me-central-1"), _log_group("eu-west-1"), _linked_trail]).deny == {"audit sends its records to a CloudWatch Logs group, in eu-west-1: outside the UAE"}
}

test_a_trail_homed_outside_the_uae_is_refused if {
	_judge([_trail("us-east-1", {}, {})]).deny == {"audit is a trail homed, in us-east-1: outside the UAE"}
}

test_destinations_outside_the_program_are_deferred if {
	trail := _trail("me-central-1", {"s3BucketName": "org-archive", "cloudWatchLogsGroupArn": _unknown}, {})
	_judge([trail]) == {"deny": set(), "deferred": {
		"audit delivers its records to a bucket, which is not in this program: its region cannot be checked before deploy",
		"audit sends its records to a CloudWatch Logs group, which is not in this program: its region cannot be checked before deploy",
	}}
}

test_a_bucket_whose_region_is_unknown_is_deferred if {
	_judge([_bucket("unknown"), _log_group("me-central-1"), _linked_trail]).deferred == {"audit delivers its records to bucket audit, in a region only known at deploy time"}
}

# --- Azure -------------------------------------------------------------------------------------

_account(location) := _r("azure-native:storage:StorageAccount", "auditlogs", location, {"accountName": "auditlogs"}, {})

_workspace(location) := _r("azure-native:operationalinsights:Workspace", "audit", location, {"workspaceName": "audit"}, {})

_namespace(location) := _r("azure-native:eventhub:Namespace", "audit", location, {"namespaceName": "audit"}, {})

_auth_rule := _r("azure-native:eventhub:NamespaceAuthorizationRule", "send", "uaenorth", {"namespaceName": _unknown, "rights": ["Send"]},
	{"namespaceName": [_namespace("uaenorth").urn]})

_setting(type_token, inputs, deps) := _r(type_token, "kv-audit", "uaenorth", inputs, deps)

_to_everything := _setting("azure-native:monitor:DiagnosticSetting",
	{"resourceUri": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv", "storageAccountId": _unknown, "workspaceId": _unknown, "eventHubAuthorizationRuleId": _unknown},
	{"storageAccountId": [_account("uaenorth").urn], "workspaceId": [_workspace("uaenorth").urn], "eventHubAuthorizationRuleId": [_auth_rule.urn]})

test_settings_sending_in_the_uae_pass if {
	_judge([_account("uaenorth"), _workspace("uaecentral"), _namespace("uaenorth"), _auth_rule, _to_everything]) == {"deny": set(), "deferred": set()}
}

test_each_destination_outside_the_uae_is_refused if {
	resources := [_account("westeurope"), _workspace("West Europe"), _namespace("northeurope"), _auth_rule, _to_everything]
	_judge(resources).deny == {
		"kv-audit sends its logs to storage account auditlogs, in westeurope: outside the UAE",
		"kv-audit sends its logs to Log Analytics workspace audit, in West Europe: outside the UAE",
		"kv-audit streams its logs to Event Hubs namespace audit, in northeurope: outside the UAE",
	}
}

test_the_activity_log_setting_is_judged_too if {
	setting := _setting("azure-native:monitor:SubscriptionDiagnosticSetting", {"storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/auditlogs"}, {})
	_judge([_account("germanywestcentral"), setting]).deny == {"kv-audit sends its logs to storage account auditlogs, in germanywestcentral: outside the UAE"}
}

test_a_marketplace_partner_is_refused if {
	setting := _setting("azure-native:monitor:DiagnosticSetting", {"marketplacePartnerId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Datadog/monitors/dd"}, {})
	_judge([setting]).deny == {"kv-audit sends its logs to a Marketplace partner solution, which the plan cannot place in the UAE"}
}

test_azure_destinations_outside_the_program_are_deferred if {
	setting := _setting("azure-native:monitor:DiagnosticSetting", {"storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/central", "workspaceId": _unknown}, {})
	_judge([setting]) == {"deny": set(), "deferred": {
		"kv-audit sends its logs to a storage account, which is not in this program: its region cannot be checked before deploy",
		"kv-audit sends its logs to a Log Analytics workspace, which is not in this program: its region cannot be checked before deploy",
	}}
}
