package sahab.rules.encryption.min_tls_test

import data.sahab.rules.encryption.min_tls as rule
import rego.v1

_r(type_token, name, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": {}, "provider": "urn:pulumi:dev::p::pulumi:providers:azure-native::uae",
}

_unknown := {"$unknown": true}

# --- Azure ---------------------------------------------------------------------------------

test_storage_account_tls_1_2_passes if {
	sa := _r("azure-native:storage:StorageAccount", "sa", {"kind": "StorageV2", "minimumTlsVersion": "TLS1_2"})
	count(rule.deny) == 0 with input as {"resources": [sa]}
	count(rule.deferred) == 0 with input as {"resources": [sa]}
}

test_storage_account_tls_1_0_is_denied if {
	sa := _r("azure-native:storage:StorageAccount", "sa", {"minimumTlsVersion": "TLS1_0"})
	some f in rule.deny with input as {"resources": [sa]}
	contains(f.message, "TLS1_0")
}

test_storage_account_unset_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_r("azure-native:storage:StorageAccount", "sa", {"kind": "StorageV2"})]}
}

test_web_app_and_slot if {
	ok := _r("azure-native:web:WebApp", "app", {"siteConfig": {"minTlsVersion": "1.2"}})
	bad := _r("azure-native:web:WebAppSlot", "slot", {"siteConfig": {"minTlsVersion": "1.1"}})
	unset := _r("azure-native:web:WebApp", "app2", {"serverFarmId": "/x"})
	count(rule.deny) == 2 with input as {"resources": [ok, bad, unset]}
}

test_sql_server_and_managed_instance if {
	ok := _r("azure-native:sql:Server", "sql", {"minimalTlsVersion": "1.3"})
	bad := _r("azure-native:sql:ManagedInstance", "mi", {"minimalTlsVersion": "1.0"})
	count(rule.deny) == 1 with input as {"resources": [ok, bad]}
}

test_unknown_azure_setting_is_deferred if {
	sa := _r("azure-native:storage:StorageAccount", "sa", {"minimumTlsVersion": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [sa]}
	count(rule.deny) == 0 with input as {"resources": [sa]}
}

# --- AWS listeners -------------------------------------------------------------------------

_listener(inputs) := _r("aws:lb/listener:Listener", "l", object.union({"loadBalancerArn": "arn:aws:elasticloadbalancing:me-central-1:1:loadbalancer/app/x/1", "port": 443}, inputs))

test_tls13_1_2_policy_passes if {
	l := _listener({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
	count(rule.deny) == 0 with input as {"resources": [l]}
	count(rule.deferred) == 0 with input as {"resources": [l]}
}

test_tls_1_2_and_fs_policies_pass if {
	a := _listener({"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS-1-2-Ext-2018-06"})
	b := _r("aws:alb/listener:Listener", "b", {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-FS-1-2-Res-2020-10"})
	count(rule.deny) == 0 with input as {"resources": [a, b]}
}

test_legacy_policy_is_denied if {
	l := _listener({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"})
	some f in rule.deny with input as {"resources": [l]}
	contains(f.message, "ELBSecurityPolicy-2016-08")
}

test_tls13_policy_allowing_tls_1_0_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_listener({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"})]}
}

test_https_listener_without_policy_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_listener({"protocol": "HTTPS"})]}
}

test_http_listener_is_not_checked_here if {
	count(rule.deny) == 0 with input as {"resources": [_listener({"protocol": "HTTP", "port": 80})]}
}

test_unknown_ssl_policy_is_deferred if {
	l := _listener({"protocol": "HTTPS", "sslPolicy": _unknown})
	count(rule.deferred) == 1 with input as {"resources": [l]}
	count(rule.deny) == 0 with input as {"resources": [l]}
}
