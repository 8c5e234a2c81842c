# METADATA
# title: Endpoints refuse plain HTTP
# description: >-
#   Data reaches an endpoint only over TLS. Azure: a azure-native:storage:StorageAccount does not
#   set enableHttpsTrafficOnly false (unset is true); a azure-native:web:WebApp or WebAppSlot sets
#   httpsOnly true (unset is false: plain HTTP is served); a Redis cache (azure-native:redis:Redis,
#   and azure-native:cache:Redis, its 2.x token) does not set enableNonSslPort true. AWS: an aws:lb/listener:Listener (or aws:alb/listener:Listener)
#   with protocol HTTP only redirects to HTTPS or answers with a fixed response: a default
#   action that forwards or authenticates over plain HTTP is denied. Unknown values are deferred.
#   (Rules of an HTTP listener, aws:lb/listenerRule, are not judged.) S3 has its own rule,
#   SAHAB-ENC-007.
# custom:
#   id: SAHAB-ENC-012
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     An HTTPS-only setting, a listener's protocol, or whether an HTTP listener redirects to
#     HTTPS, when computed at deploy time.
#   remediation: >-
#     Azure: leave enable_https_traffic_only at true on storage accounts, set https_only=True on
#     web apps and slots, leave enable_non_ssl_port unset or False on Redis caches. AWS: give
#     HTTP listeners one default action, type "redirect" with redirect.protocol "HTTPS" and
#     status_code "HTTP_301", and serve the application on an HTTPS listener.
#   covers:
#     - aws:lb/listener:Listener
#     - aws:alb/listener:Listener
#     - azure-native:storage:StorageAccount
#     - azure-native:web:WebApp
#     - azure-native:web:WebAppSlot
#     - azure-native:cache:Redis
#     - azure-native:redis:Redis
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.2.1: Information Transfer Procedures"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
package sahab.rules.encryption.https_only

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# --- Azure: one boolean per type, {setting, the value that allows plain HTTP, the default} ----

_switches := {
	"azure-native:storage:StorageAccount": {"setting": "enableHttpsTrafficOnly", "plain": false, "default": true},
	"azure-native:web:WebApp": {"setting": "httpsOnly", "plain": false, "default": false},
	"azure-native:web:WebAppSlot": {"setting": "httpsOnly", "plain": false, "default": false},
	"azure-native:cache:Redis": {"setting": "enableNonSslPort", "plain": true, "default": false},
	# pulumi-azure-native 3.x names the type redis:Redis (cache:Redis remains an alias).
	"azure-native:redis:Redis": {"setting": "enableNonSslPort", "plain": true, "default": false},
}

_switch_types := {t | some t, _ in _switches}

# The setting's value, its default when unset.
_value(r, s) := value if {
	value := plan.input_at(r, [s.setting])
	value != null
} else := s.default

deny contains plan.finding(r, sprintf("%s: %s is %v, so it serves plain HTTP", [r.name, s.setting, _shown(r, s)])) if {
	some r in azure.created_of(_switch_types)
	s := _switches[r.type]
	_value(r, s) == s.plain
}

_shown(r, s) := sprintf("%v", [plan.input_at(r, [s.setting])]) if plan.input_at(r, [s.setting]) != null

_shown(r, s) := sprintf("not set (%v)", [s.default]) if plan.input_at(r, [s.setting]) == null

deferred contains plan.finding(r, sprintf("%s: %s is only known at deploy time", [r.name, s.setting])) if {
	some r in azure.created_of(_switch_types)
	s := _switches[r.type]
	not plan.is_known(_value(r, s))
}

# --- AWS: HTTP listeners ---------------------------------------------------------------------

_listener_types := {"aws:lb/listener:Listener", "aws:alb/listener:Listener"}

_http_listeners contains r if {
	some r in aws.created_of(_listener_types)
	plan.input_at(r, ["protocol"]) == "HTTP"
}

# A default action that keeps a client on plain HTTP: anything but a redirect to HTTPS or a
# fixed response. "unknown" when its type or redirect protocol is not known yet.
_action_state(action) := "unknown" if {
	not plan.is_known(aws.field(action, "type"))
} else := "safe" if {
	aws.field(action, "type") == "fixed-response"
} else := "unknown" if {
	aws.field(action, "type") == "redirect"
	not plan.is_known(aws.field(aws.field(action, "redirect"), "protocol"))
} else := "safe" if {
	aws.field(action, "type") == "redirect"
	aws.field(aws.field(action, "redirect"), "protocol") == "HTTPS"
} else := "plain"

_actions(r) := aws.items(plan.input_at(r, ["defaultActions"]))

deny contains plan.finding(r, sprintf("%s: HTTP listener has a %v default action instead of a redirect to HTTPS", [r.name, aws.field(action, "type")])) if {
	some r in _http_listeners
	some action in _actions(r)
	_action_state(action) == "plain"
}

deferred contains plan.finding(r, sprintf("%s: whether the HTTP listener redirects to HTTPS is only known at deploy time", [r.name])) if {
	some r in _http_listeners
	some action in _actions(r)
	_action_state(action) == "unknown"
}

deferred contains plan.finding(r, sprintf("%s: the listener protocol is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_listener_types)
	not plan.is_known(plan.input_at(r, ["protocol"]))
}
