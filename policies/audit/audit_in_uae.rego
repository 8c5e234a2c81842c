# METADATA
# title: Audit records land in the UAE
# description: >-
#   Audit records are personal data about who did what; every place they are delivered to stays
#   in the UAE (me-central-1, uaenorth, uaecentral). AWS: a CloudTrail trail's home region, the
#   bucket it delivers to (s3BucketName, resolved to a bucket of the plan through
#   propertyDependencies or by name) and its CloudWatch Logs group (the region of
#   cloudWatchLogsGroupArn, known or in the known start of a partial ARN, or of the log group of
#   the plan it came from). Azure: every destination of a resource or subscription diagnostic
#   setting: the storage account (storageAccountId), the Log Analytics workspace (workspaceId)
#   and the Event Hubs namespace (eventHubAuthorizationRuleId, through its authorization rule)
#   of the plan, by their locations; a Marketplace partner destination (marketplacePartnerId) is
#   refused, as the plan cannot place it. A destination that is not in the plan, or whose region
#   is only known at deploy time, is deferred.
# custom:
#   id: SAHAB-AUD-002
#   severity: critical
#   enforcement: mandatory
#   deferred_on: >-
#     The region of a trail's bucket or log group, or of a diagnostic setting's storage account,
#     workspace or event hub, when it is not in this program or its region is computed at deploy
#     time.
#   remediation: >-
#     Deliver audit records only to buckets, log groups, storage accounts, workspaces and event
#     hubs in me-central-1 (AWS) or uaenorth/uaecentral (Azure), declared in the same program so
#     the gate can see their region (sahab's AuditTrail does this).
#   covers:
#     - aws:cloudtrail/trail:Trail
#     - azure-native:monitor:DiagnosticSetting
#     - azure-native:monitor:SubscriptionDiagnosticSetting
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "UAE IA (NESA) T3.6.4: Protection of Log Information"
#     - "ISO/IEC 27001:2022 A.8.15: Logging"
package sahab.rules.audit.audit_in_uae

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# Findings come from `_edges` ({owner, what, region}: the owner's records land in `region`) and
# `_pending` ({owner, what}: where they land is not in the plan). Owners are kept as what a
# finding needs ({urn, type, name}): every rule of this package is part of the gate's answer.

deny contains plan.finding(e.owner, sprintf("%s %s, in %s: outside the UAE", [e.owner.name, e.what, e.region])) if {
	some e in _edges
	e.region != "unknown"
	not plan.canonical_region(e.region) in data.sahab.lib.plan.uae_regions
}

deferred contains plan.finding(e.owner, sprintf("%s %s, in a region only known at deploy time", [e.owner.name, e.what])) if {
	some e in _edges
	e.region == "unknown"
}

deferred contains plan.finding(p.owner, sprintf("%s %s, which is not in this program: its region cannot be checked before deploy", [p.owner.name, p.what])) if {
	some p in _pending
}

deny contains plan.finding(s, sprintf("%s sends its logs to a Marketplace partner solution, which the plan cannot place in the UAE", [s.name])) if {
	some s in azure.created_of(_setting_types)
	not _absent(plan.input_at(s, ["marketplacePartnerId"]))
}

_owner(r) := {"urn": r.urn, "type": r.type, "name": r.name}

_absent(v) if v == null

_absent(v) if v == ""

_trail_type := "aws:cloudtrail/trail:Trail"

_setting_types := {"azure-native:monitor:DiagnosticSetting", "azure-native:monitor:SubscriptionDiagnosticSetting"}

# --- AWS: CloudTrail trails ---------------------------------------------------------------------

_edges contains {"owner": _owner(t), "what": "is a trail homed", "region": t.region} if {
	some t in aws.created_of({_trail_type})
}

_edges contains {"owner": _owner(t), "what": sprintf("delivers its records to bucket %s", [b.name]), "region": b.region} if {
	some t in aws.created_of({_trail_type})
	some b in aws.trail_buckets(t)
}

_pending contains {"owner": _owner(t), "what": "delivers its records to a bucket"} if {
	some t in aws.created_of({_trail_type})
	not _absent(plan.input_at(t, ["s3BucketName"]))
	count(aws.trail_buckets(t)) == 0
}

_edges contains {"owner": _owner(t), "what": "sends its records to a CloudWatch Logs group", "region": region} if {
	some t in aws.created_of({_trail_type})
	region := _log_group_region(t)
}

_pending contains {"owner": _owner(t), "what": "sends its records to a CloudWatch Logs group"} if {
	some t in aws.created_of({_trail_type})
	not _absent(plan.input_at(t, ["cloudWatchLogsGroupArn"]))
	not _log_group_region(t)
}

# The log group's region: the ARN's (known, or the known start of a partial one), else that of
# the log group of the plan the ARN came from.
_log_group_region(t) := region if {
	region := aws.arn_region(plan.input_at(t, ["cloudWatchLogsGroupArn"]))
	aws.non_empty(region)
} else := g.region if {
	some g in aws.sources(t, "cloudWatchLogsGroupArn")
	g.type == "aws:cloudwatch/logGroup:LogGroup"
}

# --- Azure: diagnostic settings -----------------------------------------------------------------

_edges contains {"owner": _owner(s), "what": sprintf("sends its logs to storage account %s", [a.name]), "region": a.region} if {
	some s in azure.created_of(_setting_types)
	some a in azure.storage_accounts_of(s)
}

_edges contains {"owner": _owner(s), "what": sprintf("sends its logs to Log Analytics workspace %s", [w.name]), "region": w.region} if {
	some s in azure.created_of(_setting_types)
	some w in azure.workspaces_of(s)
}

_edges contains {"owner": _owner(s), "what": sprintf("streams its logs to Event Hubs namespace %s", [n.name]), "region": n.region} if {
	some s in azure.created_of(_setting_types)
	some n in _event_hub_namespaces(s)
}

_pending contains {"owner": _owner(s), "what": what} if {
	some s in azure.created_of(_setting_types)
	some [property, what, found] in [
		["storageAccountId", "sends its logs to a storage account", azure.storage_accounts_of(s)],
		["workspaceId", "sends its logs to a Log Analytics workspace", azure.workspaces_of(s)],
		["eventHubAuthorizationRuleId", "streams its logs to an Event Hubs namespace", _event_hub_namespaces(s)],
	]
	not _absent(plan.input_at(s, [property]))
	count(found) == 0
}

_namespace := "azure-native:eventhub:Namespace"

# The namespace an authorization rule ID came from: directly, or through the rule's namespaceName.
_event_hub_namespaces(s) := array.concat(
	[n | some n in aws.sources(s, "eventHubAuthorizationRuleId"); n.type == _namespace],
	[n |
		some rule in aws.sources(s, "eventHubAuthorizationRuleId")
		rule.type == "azure-native:eventhub:NamespaceAuthorizationRule"
		some n in aws.sources(rule, "namespaceName")
		n.type == _namespace
	],
)
