package sahab.rules.encryption.https_only_test

import data.sahab.rules.encryption.https_only as rule
import rego.v1

_r(type_token, name, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:azure-native::uae",
}

_unknown := {"$unknown": true}

# --- Azure ---------------------------------------------------------------------------------

test_storage_account_default_and_true_pass if {
	unset := _r("azure-native:storage:StorageAccount", "a", {"kind": "StorageV2"})
	on := _r("azure-native:storage:StorageAccount", "b", {"enableHttpsTrafficOnly": true})
	inp := {"resources": [unset, on]}
	count(rule.deny) == 0 with input as inp
	count(rule.deferred) == 0 with input as inp
}

test_storage_account_allowing_http_is_denied if {
	inp := {"resources": [_r("azure-native:storage:StorageAccount", "sa", {"enableHttpsTrafficOnly": false})]}
	denied := {f.message | some f in rule.deny} with input as inp
	denied == {"sa: enableHttpsTrafficOnly is false, so it serves plain HTTP"}
}

test_web_app_without_https_only_is_denied if {
	inp := {"resources": [_r("azure-native:web:WebApp", "ui", {"siteConfig": {"minTlsVersion": "1.2"}})]}
	denied := {f.message | some f in rule.deny} with input as inp
	denied == {"ui: httpsOnly is not set (false), so it serves plain HTTP"}
}

test_web_app_slot_with_https_only_passes if {
	inp := {"resources": [_r("azure-native:web:WebAppSlot", "ui-staging", {"httpsOnly": true})]}
	count(rule.deny) == 0 with input as inp
}

test_redis_non_ssl_port_is_denied_and_default_passes if {
	open := _r("azure-native:cache:Redis", "open", {"enableNonSslPort": true})
	closed := _r("azure-native:cache:Redis", "closed", {"sku": {"name": "Premium"}})
	inp := {"resources": [open, closed]}
	denied := {f.urn | some f in rule.deny} with input as inp
	denied == {open.urn}
}

test_redis_under_its_3x_token_is_judged_the_same if {
	open := _r("azure-native:redis:Redis", "open", {"enableNonSslPort": true})
	closed := _r("azure-native:redis:Redis", "closed", {"enableNonSslPort": false})
	inp := {"resources": [open, closed]}
	denied := {f.urn | some f in rule.deny} with input as inp
	denied == {open.urn}
}

test_unknown_azure_setting_is_deferred if {
	inp := {"resources": [_r("azure-native:web:WebApp", "ui", {"httpsOnly": _unknown})]}
	count(rule.deferred) == 1 with input as inp
	count(rule.deny) == 0 with input as inp
}

# --- AWS -----------------------------------------------------------------------------------

_listener(name, protocol, actions) := object.union(_r("aws:lb/listener:Listener", name, {"protocol": protocol, "port": 80, "defaultActions": actions}), {"region": "me-central-1"})

test_http_listener_redirecting_to_https_passes if {
	redirect := _listener("http", "HTTP", [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}])
	fixed := _listener("teapot", "HTTP", [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "418"}}])
	https := _listener("https", "HTTPS", [{"type": "forward", "targetGroupArn": _unknown}])
	inp := {"resources": [redirect, fixed, https]}
	count(rule.deny) == 0 with input as inp
	count(rule.deferred) == 0 with input as inp
}

test_http_listener_forwarding_is_denied if {
	inp := {"resources": [_listener("http", "HTTP", [{"type": "forward", "targetGroupArn": _unknown}])]}
	denied := {f.message | some f in rule.deny} with input as inp
	denied == {"http: HTTP listener has a forward default action instead of a redirect to HTTPS"}
}

test_http_listener_redirecting_to_http_is_denied if {
	inp := {"resources": [_listener("http", "HTTP", [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080"}}])]}
	count(rule.deny) == 1 with input as inp
}

test_unknown_listener_values_are_deferred if {
	unknown_protocol := _listener("a", _unknown, [])
	unknown_redirect := _listener("b", "HTTP", [{"type": "redirect", "redirect": _unknown}])
	inp := {"resources": [unknown_protocol, unknown_redirect]}
	count(rule.deferred) == 2 with input as inp
	count(rule.deny) == 0 with input as inp
}
