# METADATA
# title: KMS keys are single-Region
# description: >-
#   A multi-Region KMS key shares its key material with replicas that can be created in any
#   Region, outside the program and outside the UAE, where they decrypt everything the primary
#   protects. aws:kms/key:Key and aws:kms/externalKey:ExternalKey must not set multiRegion to
#   true (an unknown value is deferred), and aws:kms/replicaKey:ReplicaKey and
#   aws:kms/replicaExternalKey:ReplicaExternalKey, which copy key material to another Region,
#   are denied wherever they are.
# custom:
#   id: SAHAB-RES-004
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     Whether a KMS key is multi-Region, when computed at deploy time.
#   remediation: >-
#     Create single-Region keys (multiRegion false or unset) in me-central-1 and remove replica
#     keys; for resilience rely on the Region's own multi-AZ durability of KMS, and re-encrypt
#     with a separate UAE key where a second key is needed.
#   covers:
#     - aws:kms/key:Key
#     - aws:kms/externalKey:ExternalKey
#     - aws:kms/replicaKey:ReplicaKey
#     - aws:kms/replicaExternalKey:ReplicaExternalKey
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.residency.kms_single_region

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_key_types := {"aws:kms/key:Key", "aws:kms/externalKey:ExternalKey"}

_replica_types := {"aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey"}

deny contains plan.finding(r, sprintf("%s is a multi-Region key: its key material can be replicated to Regions outside the UAE", [r.name])) if {
	some r in aws.created_of(_key_types)
	plan.input_at(r, ["multiRegion"]) == true
}

deferred contains plan.finding(r, sprintf("%s: whether it is a multi-Region key is only known at deploy time", [r.name])) if {
	some r in aws.created_of(_key_types)
	not plan.is_known(plan.input_at(r, ["multiRegion"]))
}

deny contains plan.finding(r, sprintf("%s replicates a multi-Region key's material (%s); replica keys are not allowed", [r.name, r.type])) if {
	some r in aws.created_of(_replica_types)
}
