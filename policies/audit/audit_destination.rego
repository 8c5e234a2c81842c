# METADATA
# title: A platform stack has an in-region, encrypted, immutable audit destination
# description: >-
#   A plan that creates a platform (an EKS cluster or an RDS database on AWS; an AKS cluster or a
#   PostgreSQL, MySQL or SQL server on Azure) must also create, on that cloud, a destination for
#   its audit records that is in the UAE, encrypted with a customer managed key and immutable.
#   AWS: an aws:cloudtrail/trail:Trail homed in the UAE, logging, recording management events
#   (the default, an event selector with includeManagementEvents, or an advanced selector on
#   eventCategory Management), with kmsKeyId a customer managed key, enableLogFileValidation
#   true, and s3BucketName a bucket of the plan in the UAE with versioning and a COMPLIANCE-mode
#   Object Lock default retention (BucketObjectLockConfiguration or the inline block). Whether
#   the trail is multi-region is not judged: the rule is about where records land.
#   Azure: an azure-native:monitor:SubscriptionDiagnosticSetting (the Activity Log) with an
#   enabled log category and storageAccountId a storage account of the plan in the UAE with a
#   Key Vault key and account-level immutability (immutableStorageWithVersioning) whose policy is
#   Locked with a retention of at least one day; when it also sends to a Log Analytics
#   workspace, the workspace is in the UAE and linked to a dedicated cluster with a Key Vault key.
#   Each platform resource is reported; unknown values and destinations outside the plan are
#   deferred, never passed.
# custom:
#   id: SAHAB-AUD-001
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A trail's or diagnostic setting's key, validation, bucket, storage account, workspace or
#     their settings, when computed at deploy time or held outside this program.
#   remediation: >-
#     AWS: add sahab.components.aws.AuditTrail (or a Trail with kms_key_id, enable_log_file_validation
#     and an s3_bucket_name of a bucket with versioning and a COMPLIANCE-mode
#     BucketObjectLockConfiguration, in me-central-1). Azure: add a SubscriptionDiagnosticSetting
#     sending the Activity Log to a storage account in uaenorth/uaecentral with a Key Vault key and
#     immutable_storage_with_versioning (enabled, immutability_policy state "Locked").
#   covers:
#     - aws:eks/cluster:Cluster
#     - aws:rds/instance:Instance
#     - aws:rds/cluster:Cluster
#     - azure-native:containerservice:ManagedCluster
#     - azure-native:dbforpostgresql:Server
#     - azure-native:dbformysql:Server
#     - azure-native:sql:Server
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T3.6.4: Protection of Log Information"
#     - "ISO/IEC 27001:2022 A.8.15: Logging"
package sahab.rules.audit.audit_destination

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import data.sahab.lib.value as values
import rego.v1

_aws_platform_types := {"aws:eks/cluster:Cluster", "aws:rds/instance:Instance", "aws:rds/cluster:Cluster"}

_azure_platform_types := {
	"azure-native:containerservice:ManagedCluster", "azure-native:dbforpostgresql:Server",
	"azure-native:dbformysql:Server", "azure-native:sql:Server",
}

# Findings on every platform resource of a cloud whose destinations do not prove one ("yes").
deny contains plan.finding(r, sprintf("%s: %s", [r.name, message])) if {
	some [types, verdict] in _clouds
	verdict.decision == "no"
	message := verdict.message
	some r in aws.created_of(types)
}

deferred contains plan.finding(r, sprintf("%s: %s", [r.name, message])) if {
	some [types, verdict] in _clouds
	verdict.decision == "unknown"
	message := verdict.message
	some r in aws.created_of(types)
}

_clouds := [[_aws_platform_types, _aws_verdict], [_azure_platform_types, _azure_verdict]]

# --- one verdict per cloud: {decision, message} -----------------------------------------------

_aws_verdict := _verdict(_aws_judgments, "CloudTrail trail", "add a CloudTrail trail encrypted with a customer managed key, with log-file validation, delivering to a bucket in the UAE with versioning and a COMPLIANCE-mode Object Lock")

_azure_verdict := _verdict(_azure_judgments, "Activity Log diagnostic setting", "add a subscription diagnostic setting sending the Activity Log to a storage account in the UAE with a Key Vault key and a locked immutability policy")

_verdict(judgments, kind, fix) := {"decision": "no", "message": sprintf("this platform stack has no %s, so no in-region, encrypted, immutable audit destination: %s", [kind, fix])} if {
	count(judgments) == 0
} else := {"decision": "yes", "message": ""} if {
	some j in judgments
	j.decision == "yes"
} else := {"decision": "unknown", "message": sprintf("whether any %s of this stack is an in-region, encrypted, immutable audit destination is only known at deploy time (%s)", [kind, concat("; ", sort([x.why | some x in judgments; x.decision == "unknown"]))])} if {
	some j in judgments
	j.decision == "unknown"
} else := {"decision": "no", "message": sprintf("no %s of this stack is an in-region, encrypted, immutable audit destination (%s)", [kind, concat("; ", sort([x.why | some x in judgments]))])}

# A destination's judgment from its checks ([what it needs, decision]): the missing ones named.
_judgment(label, checks) := {"decision": decision, "why": sprintf("%s %s: %s", [label, _status[decision], concat(", ", [c[0] | some c in checks; c[1] == _named[decision]])])} if {
	decision := values.all_of([c[1] | some c in checks])
}

_status := {"yes": "qualifies", "no": "lacks", "unknown": "waits for"}

_named := {"yes": "none", "no": "no", "unknown": "unknown"}

# --- three-valued readings of single values ----------------------------------------------------

_true(v) := "yes" if {
	v == true
} else := "unknown" if {
	not plan.is_known(v)
} else := "no"

# Left out means on (the provider's default).
_not_false(v) := "no" if {
	v == false
} else := "unknown" if {
	not plan.is_known(v)
} else := "yes"

_in_uae(region) := "unknown" if {
	region == "unknown"
} else := "yes" if {
	plan.canonical_region(region) in data.sahab.lib.plan.uae_regions
} else := "no"

# Known to be missing: null, an empty string or list.
_absent(v) if v == null

_absent(v) if v == ""

_absent(v) if v == []

# --- AWS: CloudTrail trails ---------------------------------------------------------------------

_aws_judgments := [_judgment(sprintf("trail %s", [t.name]), _trail_checks(t)) | some t in aws.created_of({"aws:cloudtrail/trail:Trail"})]

_trail_checks(t) := array.concat(
	[
		["a home region in the UAE", _in_uae(t.region)],
		["logging enabled", _not_false(plan.input_at(t, ["enableLogging"]))],
		["management events", _management_events(t)],
		["a customer managed KMS key (kmsKeyId)", _key_decision[aws.key_state(t, plan.input_at(t, ["kmsKeyId"]), "kmsKeyId")]],
		["log-file validation", _true(plan.input_at(t, ["enableLogFileValidation"]))],
	],
	_bucket_checks(t),
)

_key_decision := {"cmk": "yes", "unknown": "unknown", "none": "no", "aws-managed": "no", "outside-uae": "no"}

_management_events(t) := "yes" if {
	_absent(plan.input_at(t, ["eventSelectors"]))
	_absent(plan.input_at(t, ["advancedEventSelectors"]))
} else := values.any_of(array.concat(
	[_not_false(aws.field(s, "includeManagementEvents")) | some s in aws.items(plan.input_at(t, ["eventSelectors"]))],
	[_advanced_management(s) | some s in aws.items(plan.input_at(t, ["advancedEventSelectors"]))],
))

_advanced_management(s) := values.any_of([values.all_of([values.equals(aws.field(f, "field"), "eventCategory"), values.equals(e, "Management")]) |
	some f in aws.items(aws.field(s, "fieldSelectors"))
	some e in aws.items(aws.field(f, "equals"))
])

_bucket_checks(t) := [
	["its bucket in the UAE", values.any_of([_in_uae(b.region) | some b in buckets])],
	["versioning on its bucket", values.any_of([_versioning(b) | some b in buckets])],
	["a COMPLIANCE-mode Object Lock retention on its bucket", values.any_of([_object_lock(b) | some b in buckets])],
] if {
	buckets := aws.trail_buckets(t)
	count(buckets) > 0
} else := [["a bucket (s3BucketName)", "no"]] if {
	_absent(plan.input_at(t, ["s3BucketName"]))
} else := [["a bucket of this program (its region, versioning and Object Lock)", "unknown"]]

_versioning_types := {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}

_lock_types := {
	"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
}

# A looked-up bucket's settings are not in the plan.
_versioning(b) := "unknown" if {
	b.mode == "read"
} else := values.any_of(array.concat(
	[values.equals(aws.field(plan.input_at(c, ["versioningConfiguration"]), "status"), "Enabled") | some c in aws.bucket_companions(b, _versioning_types)],
	[_true(aws.field(plan.input_at(b, ["versioning"]), "enabled"))],
))

_object_lock(b) := "unknown" if {
	b.mode == "read"
} else := values.any_of(array.concat(
	[_lock(plan.input_at(c, ["objectLockEnabled"]), plan.input_at(c, ["rule"])) | some c in aws.bucket_companions(b, _lock_types)],
	[_lock(aws.field(inline, "objectLockEnabled"), aws.field(inline, "rule")) |
		inline := plan.input_at(b, ["objectLockConfiguration"])
		inline != null
	],
))

_lock(enabled, rule) := values.all_of([
	_enabled_or_default(enabled),
	values.equals(aws.field(retention, "mode"), "COMPLIANCE"),
	values.any_of([values.at_least(aws.field(retention, "days"), 1), values.at_least(aws.field(retention, "years"), 1)]),
]) if {
	retention := aws.field(rule, "defaultRetention")
}

_enabled_or_default(v) := "yes" if {
	v == null
} else := values.equals(v, "Enabled")

# --- Azure: the Activity Log's diagnostic settings ----------------------------------------------

_azure_judgments := [_judgment(sprintf("diagnostic setting %s", [s.name]), _activity_log_checks(s)) |
	some s in azure.created_of({"azure-native:monitor:SubscriptionDiagnosticSetting"})
]

_activity_log_checks(s) := array.concat(
	[["an enabled log category", values.any_of([_true(aws.field(l, "enabled")) | some l in aws.items(plan.input_at(s, ["logs"]))])]],
	array.concat(_storage_checks(s), _workspace_checks(s)),
)

_storage_checks(s) := [
	["its storage account in the UAE", values.any_of([_in_uae(a.region) | some a in accounts])],
	["a Key Vault key on its storage account", values.any_of([_account_cmk(a) | some a in accounts])],
	["a locked immutability policy on its storage account", values.any_of([_immutable(a) | some a in accounts])],
] if {
	accounts := azure.storage_accounts_of(s)
	count(accounts) > 0
} else := [["a storage account (storageAccountId), the immutable copy", "no"]] if {
	_absent(plan.input_at(s, ["storageAccountId"]))
} else := [["a storage account of this program (its region, key and immutability)", "unknown"]]

_account_cmk(a) := values.equals_fold(aws.field(plan.input_at(a, ["encryption"]), "keySource"), "Microsoft.Keyvault")

_immutable(a) := values.all_of([
	_true(aws.field(settings, "enabled")),
	values.equals(aws.field(policy, "state"), "Locked"),
	values.at_least(aws.field(policy, "immutabilityPeriodSinceCreationInDays"), 1),
]) if {
	settings := plan.input_at(a, ["immutableStorageWithVersioning"])
	policy := aws.field(settings, "immutabilityPolicy")
}

# A workspace is optional; when the setting sends to one, it must be in the UAE and use a CMK.
_workspace_checks(s) := [] if {
	_absent(plan.input_at(s, ["workspaceId"]))
} else := [
	["its Log Analytics workspace in the UAE", values.any_of([_in_uae(w.region) | some w in workspaces])],
	["a Key Vault key on its Log Analytics workspace (a linked dedicated cluster)", values.any_of([_workspace_cmk(w) | some w in workspaces])],
] if {
	workspaces := azure.workspaces_of(s)
	count(workspaces) > 0
} else := [["a Log Analytics workspace of this program (its region and key)", "unknown"]]

_la_cluster := "azure-native:operationalinsights:Cluster"

# The dedicated clusters a workspace is linked to: by features.clusterResourceId, or by a
# LinkedService whose workspaceName is the workspace's.
_workspace_cmk(w) := values.any_of([_cluster_key(c) | some c in clusters]) if {
	clusters := array.concat(
		[c | some c in aws.sources(w, "features"); c.type == _la_cluster],
		[c |
			some l in azure.created_of({"azure-native:operationalinsights:LinkedService"})
			_links(l, w)
			some property in ["writeAccessResourceId", "resourceId"]
			some c in aws.sources(l, property)
			c.type == _la_cluster
		],
	)
	count(clusters) > 0
} else := "no" if {
	not _linked_elsewhere(w)
} else := "unknown"

_links(l, w) if w.urn in object.get(l.propertyDependencies, "workspaceName", [])

_links(l, w) if {
	aws.non_empty(plan.input_at(l, ["workspaceName"]))
	plan.input_at(l, ["workspaceName"]) == plan.input_at(w, ["workspaceName"])
}

# A cluster named by a literal ID or an unknown value no resource of the plan explains.
_linked_elsewhere(w) if not _absent(aws.field(plan.input_at(w, ["features"]), "clusterResourceId"))

_linked_elsewhere(w) if {
	some l in azure.created_of({"azure-native:operationalinsights:LinkedService"})
	_links(l, w)
	not _absent(plan.input_at(l, ["writeAccessResourceId"]))
}

_cluster_key(c) := values.all_of([_key_part(c, "keyName"), _key_part(c, "keyVaultUri")])

_key_part(c, name) := "yes" if {
	aws.non_empty(aws.field(plan.input_at(c, ["keyVaultProperties"]), name))
} else := "no" if {
	plan.is_known(aws.field(plan.input_at(c, ["keyVaultProperties"]), name))
} else := "yes" if {
	azure.depends_on_type(c, "keyVaultProperties", {"azure-native:keyvault:Key", "azure-native:keyvault:Vault"})
} else := "unknown"
