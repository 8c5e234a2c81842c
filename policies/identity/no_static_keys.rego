# METADATA
# title: No long-lived static access keys
# description: >-
#   Programs must not mint long-lived secret keys for machine access: no AWS iam AccessKey or
#   ServiceSpecificCredential, no azure-native storage StorageAccount that accepts its shared
#   account keys (allowSharedKeyAccess must be false; Azure allows them when it is left out), and
#   no containerregistry Registry with the admin user enabled. Workloads and pipelines get
#   short-lived credentials from roles and federated identities instead. A value only known at
#   deploy time is deferred.
# custom:
#   id: SAHAB-IAM-001
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     allowSharedKeyAccess of a storage account or adminUserEnabled of a container registry, when
#     computed at deploy time.
#   remediation: >-
#     Replace access keys with IAM roles (instance profiles, IRSA or EKS Pod Identity, GitHub OIDC
#     federation for CI); set allow_shared_key_access=False on storage accounts and use Entra ID
#     (RBAC) with managed identities; leave admin_user_enabled off on container registries and
#     grant AcrPull/AcrPush roles.
#   covers:
#     - aws:iam/accessKey:AccessKey
#     - aws:iam/serviceSpecificCredential:ServiceSpecificCredential
#     - azure-native:storage:StorageAccount
#     - azure-native:containerregistry:Registry
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T5.2.3: User Security Credentials Management"
#     - "ISO/IEC 27001:2022 A.5.17: Authentication information"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
#     - "ISO/IEC 27001:2022 A.5.15: Access control"
package sahab.rules.identity.no_static_keys

import data.sahab.lib.plan
import rego.v1

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

# Created resources of an azure-native module and kind (any API version), looked up by type.
_created_azure(module, name) := [r |
	some t, indexes in data.sahab.lib.plan.created_indexes
	_azure({"type": t}, module, name)
	some i in indexes
	r := input.resources[i]
]

_key_types := {
	"aws:iam/accessKey:AccessKey": "an IAM access key",
	"aws:iam/serviceSpecificCredential:ServiceSpecificCredential": "an IAM service-specific credential",
}

deny contains plan.finding(r, sprintf("%s creates %s, a long-lived static credential", [r.name, what])) if {
	some type_, what in _key_types
	some r in plan.created_of_type(type_)
}

# --- Azure: [resource, setting, value, the compliant value, whether absent means compliant] ---

# [module, kind, setting, the compliant value, whether absent means compliant]
_setting_kinds := [
	["storage", "StorageAccount", "allowSharedKeyAccess", false, false],
	["containerregistry", "Registry", "adminUserEnabled", false, true],
]

# A function, not a rule: a rule of this package that held resources would be part of the
# gate's answer (data.sahab.rules), serialised on every evaluation.
_settings(kinds) := [[r, setting, plan.value_at(r.inputs, [setting]), want, absent_ok] |
	some [module, name, setting, want, absent_ok] in kinds
	some r in _created_azure(module, name)
]

deny contains plan.finding(r, sprintf("%s allows static key access (%s %s; set it to %v)", [r.name, setting, _state(value), want])) if {
	some [r, setting, value, want, absent_ok] in _settings(_setting_kinds)
	plan.is_known(value)
	value != want
	not _absent_ok(value, absent_ok)
}

_absent_ok(value, absent_ok) if {
	value == null
	absent_ok
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, setting])) if {
	some [r, setting, value, _, _] in _settings(_setting_kinds)
	not plan.is_known(value)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
