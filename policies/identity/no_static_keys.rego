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
#   remediation: >-
#     Replace access keys with IAM roles (instance profiles, IRSA or EKS Pod Identity, GitHub OIDC
#     federation for CI); set allow_shared_key_access=False on storage accounts and use Entra ID
#     (RBAC) with managed identities; leave admin_user_enabled off on container registries and
#     grant AcrPull/AcrPush roles.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: technical measures to protect personal data"
#     - "UAE IA (NESA) T5 access control: user credentials management"
#     - "ISO/IEC 27001:2022 A.5.17: authentication information"
#     - "ISO/IEC 27001:2022 A.8.5: secure authentication"
#     - "ISO/IEC 27001:2022 A.5.15: access control"
package sahab.rules.identity.no_static_keys

import data.sahab.lib.plan
import rego.v1

# The input at `path`, or the unknown marker when it or anything on the way to it is unknown.
_at(obj, path) := {"$unknown": true} if {
	is_object(obj)
	some n in numbers.range(0, count(path))
	not plan.is_known(object.get(obj, array.slice(path, 0, n), null))
} else := object.get(obj, path, null) if {
	is_object(obj)
} else := null

_created contains r if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
}

_azure(r, module, name) if regex.match(sprintf("^azure-native:%s(/v[0-9a-z]+)?:%s$", [module, name]), r.type)

_key_types := {
	"aws:iam/accessKey:AccessKey": "an IAM access key",
	"aws:iam/serviceSpecificCredential:ServiceSpecificCredential": "an IAM service-specific credential",
}

deny contains plan.finding(r, sprintf("%s creates %s, a long-lived static credential", [r.name, what])) if {
	some r in _created
	what := _key_types[r.type]
}

# --- Azure: [resource, setting, value, the compliant value, whether absent means compliant] ---

_settings contains [r, "allowSharedKeyAccess", _at(r.inputs, ["allowSharedKeyAccess"]), false, false] if {
	some r in _created
	_azure(r, "storage", "StorageAccount")
}

_settings contains [r, "adminUserEnabled", _at(r.inputs, ["adminUserEnabled"]), false, true] if {
	some r in _created
	_azure(r, "containerregistry", "Registry")
}

deny contains plan.finding(r, sprintf("%s allows static key access (%s %s; set it to %v)", [r.name, setting, _state(value), want])) if {
	some [r, setting, value, want, absent_ok] in _settings
	plan.is_known(value)
	value != want
	not _absent_ok(value, absent_ok)
}

_absent_ok(value, absent_ok) if {
	value == null
	absent_ok
}

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, setting])) if {
	some [r, setting, value, _, _] in _settings
	not plan.is_known(value)
}

_state(v) := "is not set" if v == null

else := sprintf("is %v", [v])
