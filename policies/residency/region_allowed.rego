# METADATA
# title: Resources and providers stay in the UAE
# description: >-
#   Every managed resource and every provider must have an effective region or location in the
#   UAE set (AWS me-central-1, Azure uaenorth and uaecentral). The effective region is the
#   resource's own region/location input, else its explicit provider's. A region that is
#   unknown before deploy is deferred, not passed. Azure private DNS zones and their VNet links
#   are "global" in ARM (the only location the service accepts; they hold names, not data):
#   those two types, and only they, may say "global".
# custom:
#   id: SAHAB-RES-001
#   severity: critical
#   enforcement: mandatory
#   deferred_on: >-
#     The region of a resource or of its provider, when computed at deploy time (a region read
#     from another stack's output).
#   remediation: >-
#     Pin the provider to me-central-1 (AWS) or uaenorth/uaecentral (Azure) and remove any
#     per-resource region or location outside the UAE.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.5.34: Privacy and protection of PII"
package sahab.rules.residency.region_allowed

import data.sahab.lib.plan
import rego.v1

# Each distinct region is judged once; resources are then matched against the regions outside
# the UAE by set membership.
_outside_regions contains region if {
	some region in {r.region | some r in data.sahab.lib.plan.providers_and_managed}
	region != "unknown"
	not plan.canonical_region(region) in data.sahab.lib.plan.uae_regions
}

deny contains plan.finding(r, sprintf("%s is in region %q, outside the UAE (%s)", [r.name, r.region, concat(", ", sort(data.sahab.lib.plan.uae_regions))])) if {
	some r in data.sahab.lib.plan.providers_and_managed
	r.region in _outside_regions
	not _global_by_design(r)
}

# Private DNS (any API version of the token): ARM accepts no location but "global" for these.
_global_types := `^azure-native:privatedns(/v[0-9a-z]+)?:(PrivateZone|VirtualNetworkLink)$`

_global_by_design(r) if {
	plan.canonical_region(r.region) == "global"
	regex.match(_global_types, r.type)
}

deferred contains plan.finding(r, sprintf("%s: the region is only known at deploy time", [r.name])) if {
	some r in data.sahab.lib.plan.providers_and_managed
	r.region == "unknown"
	r.regionSource == "resource"
}
