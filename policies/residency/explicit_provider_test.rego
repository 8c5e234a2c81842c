package sahab.rules.residency.explicit_provider_test

import data.sahab.rules.residency.explicit_provider
import rego.v1

_provider := {
	"urn": "urn:pulumi:dev::p::pulumi:providers:aws::uae", "type": "pulumi:providers:aws", "name": "uae",
	"custom": true, "region": "me-central-1", "regionSource": "resource", "inputs": {"region": "me-central-1"},
	"propertyDependencies": {}, "provider": null,
}

_bucket(provider) := {
	"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b",
	"custom": true, "region": "me-central-1", "regionSource": "provider", "inputs": {},
	"propertyDependencies": {}, "provider": provider,
}

_component := {
	"urn": "urn:pulumi:dev::p::acme:Store::s", "type": "acme:Store", "name": "s",
	"custom": false, "region": "unknown", "regionSource": "none", "inputs": {},
	"propertyDependencies": {}, "provider": null,
}

_random := {
	"urn": "urn:pulumi:dev::p::random:index/randomPassword:RandomPassword::pw", "type": "random:index/randomPassword:RandomPassword",
	"name": "pw", "custom": true, "region": "unknown", "regionSource": "none", "inputs": {"length": 32},
	"propertyDependencies": {}, "provider": null,
}

test_default_provider_is_denied if {
	findings := explicit_provider.deny with input as {"resources": [_provider, _bucket(null)]}
	count(findings) == 1
	some f in findings
	f.urn == "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b"
	contains(f.message, "default aws provider")
}

_default := "urn:pulumi:dev::p::pulumi:providers:aws::default_6_50_0"

test_engine_default_provider_is_denied_with_where_it_lands if {
	bucket := object.union(_bucket(_default), {"region": "eu-west-1"})
	findings := explicit_provider.deny with input as {"resources": [bucket]}
	count(findings) == 1
	some f in findings
	f.message == "b (aws:s3/bucket:Bucket) uses the default aws provider (eu-west-1, outside the UAE): the stack configuration and the environment of the deploy, not the program, decide its region and credentials"
}

test_unversioned_default_provider_without_region_is_denied if {
	bucket := object.union(_bucket("urn:pulumi:dev::p::pulumi:providers:aws::default"), {"region": "unknown", "regionSource": "none"})
	some f in explicit_provider.deny with input as {"resources": [bucket]}
	contains(f.message, "(region unknown, taken from the deploy environment)")
}

test_default_provider_in_the_uae_is_still_denied if {
	some f in explicit_provider.deny with input as {"resources": [_bucket(_default)]}
	contains(f.message, "(me-central-1, in the UAE)")
}

test_provider_named_like_default_but_not_engine_made_passes if {
	count(explicit_provider.deny) == 0 with input as {"resources": [_bucket("urn:pulumi:dev::p::pulumi:providers:aws::defaults-uae")]}
}

test_missing_provider_field_is_denied if {
	count(explicit_provider.deny) == 1 with input as {"resources": [object.remove(_bucket(null), {"provider"})]}
}

test_explicit_provider_passes if {
	count(explicit_provider.deny) == 0 with input as {"resources": [_provider, _bucket(_provider.urn)]}
}

test_providers_and_components_are_not_subjects if {
	count(explicit_provider.deny) == 0 with input as {"resources": [_provider, _component]}
}

test_no_package_is_exempt if {
	some f in explicit_provider.deny with input as {"resources": [_random]}
	contains(f.message, "default random provider")
}

test_pulumi_builtins_take_no_provider if {
	ref := {
		"urn": "urn:pulumi:dev::p::pulumi:pulumi:StackReference::org/network/prod", "type": "pulumi:pulumi:StackReference",
		"name": "org/network/prod", "custom": true, "region": "unknown", "regionSource": "none",
		"inputs": {"name": "org/network/prod"}, "propertyDependencies": {}, "provider": null,
	}
	count(explicit_provider.deny) == 0 with input as {"resources": [ref]}
}
