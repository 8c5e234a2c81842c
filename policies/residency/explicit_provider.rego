# METADATA
# title: Every managed resource uses an explicit provider
# description: >-
#   Every managed (custom) resource, whatever its package, names an explicit provider resource:
#   not null and not Pulumi's default provider (`pulumi:providers:<pkg>::default[_<version>]`).
#   A default provider takes its region from the stack configuration (the finding says where the
#   resource lands) and its account or subscription and credentials from the environment
#   variables of whoever runs the deploy; an explicit provider pins them in the program, where
#   SAHAB-RES-001 checks them. Nothing is
#   exempt by name or package (random, tls and the like included); only Pulumi's own built-in
#   resources (type `pulumi:pulumi:*`, e.g. StackReference), which cannot take a provider, are
#   not subjects.
# custom:
#   id: SAHAB-RES-002
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Create a provider resource pinned to the UAE (aws.Provider(region="me-central-1"),
#     azure_native.Provider(location="uaenorth")) and pass it to every resource, through
#     `opts=ResourceOptions(provider=...)` or a component's `providers`; for stack-wide safety
#     also set `pulumi:disable-default-providers` in the stack configuration.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.5.23: Information security for use of cloud services"
package sahab.rules.residency.explicit_provider

import data.sahab.lib.plan
import rego.v1

deny contains plan.finding(r, sprintf("%s (%s) uses the default %s provider (%s): the stack configuration and the environment of the deploy, not the program, decide its region and credentials", [r.name, r.type, _package(r.type), _lands(r.region)])) if {
	some r in data.sahab.lib.plan.managed_list
	not startswith(r.type, "pulumi:pulumi:")
	_on_default_provider(r)
}

# A plan from a producer that does not list default providers says null; sahab plan, the preview
# import and CrossGuard name the engine's own `pulumi:providers:<pkg>::default[_<version>]`.
_on_default_provider(r) if object.get(r, "provider", null) == null

_on_default_provider(r) if {
	is_string(r.provider)
	regex.match(`::pulumi:providers:[^:]+::default(_[0-9][0-9A-Za-z_]*)?$`, r.provider)
}

_lands(region) := "region unknown, taken from the deploy environment" if region == "unknown"

else := sprintf("%s, in the UAE", [region]) if plan.canonical_region(region) in data.sahab.lib.plan.uae_regions

else := sprintf("%s, outside the UAE", [region])

_package(type_token) := split(type_token, ":")[0]
