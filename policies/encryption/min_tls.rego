# METADATA
# title: Endpoints accept TLS 1.2 or newer only
# description: >-
#   Every endpoint that terminates TLS refuses TLS 1.0 and 1.1. Azure: a
#   azure-native:storage:StorageAccount has minimumTlsVersion TLS1_2 or TLS1_3; a
#   azure-native:web:WebApp or WebAppSlot has siteConfig.minTlsVersion 1.2 or 1.3; a
#   azure-native:sql:Server or sql:ManagedInstance has minimalTlsVersion 1.2 or 1.3. An unset
#   value is denied (older API defaults allow TLS 1.0). AWS: an aws:lb/listener:Listener (or
#   aws:alb/listener:Listener) with protocol HTTPS or TLS has an sslPolicy whose minimum is TLS
#   1.2 or 1.3 (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-*, -FS-1-2-*); other
#   policies, and an unset one (whose default has changed over time), are denied. Unknown values
#   are deferred. The S3 part (a bucket policy refusing s3:TlsVersion below 1.2) is the advisory
#   rule SAHAB-ENC-011, since a rule has one enforcement level.
# custom:
#   id: SAHAB-ENC-008
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A minimum TLS version setting, or a listener's protocol or sslPolicy, when computed at
#     deploy time.
#   remediation: >-
#     Azure: minimum_tls_version="TLS1_2" on storage accounts, site_config.min_tls_version="1.2"
#     on web apps, minimal_tls_version="1.2" on SQL servers and managed instances. AWS: set
#     ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06" (or a TLS13-1-2/TLS13-1-3 FIPS or PQ
#     variant) on HTTPS and TLS listeners.
#   covers:
#     - aws:lb/listener:Listener
#     - aws:alb/listener:Listener
#     - azure-native:sql:Server
#     - azure-native:sql:ManagedInstance
#     - azure-native:storage:StorageAccount
#     - azure-native:web:WebApp
#     - azure-native:web:WebAppSlot
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.2.1: Information Transfer Procedures"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
package sahab.rules.encryption.min_tls

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# The TLS setting of each resource type: {setting (its name in messages), value, allowed}.
_storage_type := "azure-native:storage:StorageAccount"

_web_types := {"azure-native:web:WebApp", "azure-native:web:WebAppSlot"}

_sql_types := {"azure-native:sql:Server", "azure-native:sql:ManagedInstance"}

_setting_types := ({_storage_type} | _web_types) | _sql_types

_setting(r) := {"setting": "minimumTlsVersion", "value": plan.input_at(r, ["minimumTlsVersion"]), "allowed": {"TLS1_2", "TLS1_3"}} if {
	r.type == _storage_type
}

_setting(r) := {"setting": "siteConfig.minTlsVersion", "value": azure.field(plan.input_at(r, ["siteConfig"]), "minTlsVersion"), "allowed": {"1.2", "1.3"}} if {
	r.type in _web_types
}

_setting(r) := {"setting": "minimalTlsVersion", "value": plan.input_at(r, ["minimalTlsVersion"]), "allowed": {"1.2", "1.3"}} if {
	r.type in _sql_types
}

deny contains plan.finding(r, sprintf("%s: %s is %s; it must be one of %s", [r.name, s.setting, _shown(s.value), concat(", ", sort(s.allowed))])) if {
	some r in azure.created_of(_setting_types)
	s := _setting(r)
	plan.is_known(s.value)
	not s.value in s.allowed
}

_shown(value) := "not set" if value == null

_shown(value) := sprintf("%v", [value]) if value != null

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, s.setting])) if {
	some r in azure.created_of(_setting_types)
	s := _setting(r)
	not plan.is_known(s.value)
}

# --- AWS load balancer listeners -----------------------------------------------------------

_listener_types := {"aws:lb/listener:Listener", "aws:alb/listener:Listener"}

_tls_protocols := {"HTTPS", "TLS"}

# ELB security policies whose minimum protocol is TLS 1.2 or TLS 1.3.
_tls12_policy(name) if {
	is_string(name)
	regex.match(`^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)`, name)
}

deny contains plan.finding(r, sprintf("%s: %v listener has no sslPolicy; set a TLS 1.2+ policy explicitly", [r.name, plan.input_at(r, ["protocol"])])) if {
	some r in aws.created_of(_listener_types)
	plan.input_at(r, ["protocol"]) in _tls_protocols
	plan.input_at(r, ["sslPolicy"]) == null
}

deny contains plan.finding(r, sprintf("%s: sslPolicy %v allows TLS versions older than 1.2", [r.name, policy])) if {
	some r in aws.created_of(_listener_types)
	plan.input_at(r, ["protocol"]) in _tls_protocols
	policy := plan.input_at(r, ["sslPolicy"])
	policy != null
	plan.is_known(policy)
	not _tls12_policy(policy)
}

deferred contains plan.finding(r, sprintf("%s: the listener protocol or sslPolicy is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_listener_types)
	not plan.is_known(plan.input_at(r, ["protocol"]))
}

deferred contains plan.finding(r, sprintf("%s: the listener protocol or sslPolicy is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_listener_types)
	plan.input_at(r, ["protocol"]) in _tls_protocols
	not plan.is_known(plan.input_at(r, ["sslPolicy"]))
}
