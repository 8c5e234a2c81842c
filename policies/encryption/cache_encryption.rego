# METADATA
# title: In-memory caches are encrypted at rest with a customer managed key and in transit
# description: >-
#   A feature or session cache holds copies of the data it serves. AWS: an
#   aws:elasticache/replicationGroup:ReplicationGroup is encrypted at rest (atRestEncryptionEnabled;
#   left out, the default is false for engine redis, the engine's default, and true for valkey)
#   with kmsKeyId a customer managed key, and encrypted in transit (transitEncryptionEnabled true,
#   whose default is false, and transitEncryptionMode not "preferred", which also accepts plain-text
#   clients). A standalone aws:elasticache/cluster:Cluster has no at-rest encryption setting nor key
#   (ElastiCache encrypts only replication groups and serverless caches at rest) and is denied; a
#   cluster that joins a replication group is judged through the group. An
#   aws:elasticache/serverlessCache:ServerlessCache is always encrypted at rest and in transit and
#   needs kmsKeyId a customer managed key. An aws:memorydb/cluster:Cluster keeps tlsEnabled (default
#   true) and needs kmsKeyArn a customer managed key. A key counts when it is a literal key ID, ARN
#   or alias that is not AWS managed, or an unknown value that came from a KMS key or alias of the
#   plan; a member of a global datastore takes its encryption from the datastore's primary and is
#   deferred. Unknown values no resource of the plan explains are deferred.
# custom:
#   id: SAHAB-ENC-014
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A cache's engine, at-rest or in-transit encryption settings, or its KMS key, when computed at
#     deploy time or held outside this program (a global datastore's primary, a replication group
#     outside the plan).
#   remediation: >-
#     ElastiCache: use a ReplicationGroup (not a standalone Cluster) with at_rest_encryption_enabled=True,
#     kms_key_id=<your aws.kms.Key>.arn, transit_encryption_enabled=True and
#     transit_encryption_mode="required" (sahab's OnlineStoreCache does all of it); serverless
#     caches: kms_key_id=<key>.arn; MemoryDB: keep tls_enabled and set kms_key_arn=<key>.arn.
#   covers:
#     - aws:elasticache/replicationGroup:ReplicationGroup
#     - aws:elasticache/cluster:Cluster
#     - aws:elasticache/serverlessCache:ServerlessCache
#     - aws:memorydb/cluster:Cluster
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.cache_encryption

import data.sahab.lib.aws
import data.sahab.lib.plan
import rego.v1

_group := "aws:elasticache/replicationGroup:ReplicationGroup"

_cluster := "aws:elasticache/cluster:Cluster"

_serverless := "aws:elasticache/serverlessCache:ServerlessCache"

_memorydb := "aws:memorydb/cluster:Cluster"

# Where each type names its at-rest key (pulumi-aws 7.51.1).
_key_input := {_group: "kmsKeyId", _serverless: "kmsKeyId", _memorydb: "kmsKeyArn"}

_describe := {"none": "the service's default key (no key set)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# Each cache is judged once (_results): every check of its type adds [kind, message] pairs.
_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	t in {_group, _cluster, _serverless, _memorydb}
	some i in indexes
	r := input.resources[i]
	some [kind, message] in _outcomes(r)
}

_outcomes(r) := array.concat(_at_rest(r), _in_transit(r)) if {
	r.type == _group
	not _global_member(r)
} else := [["deferred", sprintf("%s is a member of global datastore %v: its encryption is the datastore primary's, which the plan cannot see", [r.name, plan.input_at(r, ["globalReplicationGroupId"])])]] if {
	r.type == _group
} else := _standalone(r) if {
	r.type == _cluster
} else := _key(r, "at rest") if {
	r.type == _serverless
} else := array.concat(_key(r, "at rest"), _memorydb_tls(r)) if {
	r.type == _memorydb
}

_global_member(r) if aws.non_empty(plan.input_at(r, ["globalReplicationGroupId"]))

_global_member(r) if not plan.is_known(plan.input_at(r, ["globalReplicationGroupId"]))

# --- at rest (replication groups) ----------------------------------------------------------

# Whether the group is encrypted at rest: "yes", "no" or "unknown" (the engine's default when left out).
_at_rest_state(r) := "yes" if {
	plan.input_at(r, ["atRestEncryptionEnabled"]) == true
} else := "unknown" if {
	not plan.is_known(plan.input_at(r, ["atRestEncryptionEnabled"]))
} else := "no" if {
	plan.input_at(r, ["atRestEncryptionEnabled"]) != null
} else := "yes" if {
	plan.input_at(r, ["engine"]) == "valkey"
} else := "unknown" if {
	not plan.is_known(plan.input_at(r, ["engine"]))
} else := "no"

_at_rest(r) := [["deny", sprintf("%s is not encrypted at rest (atRestEncryptionEnabled is %v, engine %v)", [r.name, plan.input_at(r, ["atRestEncryptionEnabled"]), _engine(r)])]] if {
	_at_rest_state(r) == "no"
} else := [["deferred", sprintf("%s: whether it is encrypted at rest is only known at deploy time", [r.name])]] if {
	_at_rest_state(r) == "unknown"
} else := _key(r, "at rest")

_engine(r) := e if {
	e := plan.input_at(r, ["engine"])
	e != null
} else := "redis (the default)"

# --- the at-rest key (replication groups, serverless caches, MemoryDB) ---------------------

_key(r, what) := _key_outcome(r, what, aws.key_state(r, plan.input_at(r, [_key_input[r.type]]), _key_input[r.type]))

_key_outcome(r, what, state) := [["deny", sprintf("%s is encrypted %s with %s, not a customer managed key in the UAE", [r.name, what, _describe[state]])]] if {
	state in data.sahab.lib.aws.refused_key_states
} else := [["deferred", sprintf("%s: the key it is encrypted with %s is only known at deploy time and comes from no KMS key of this program", [r.name, what])]] if {
	state == "unknown"
} else := []

# --- in transit (replication groups) -------------------------------------------------------

_in_transit(r) := [["deny", sprintf("%s accepts plain-text connections (transitEncryptionEnabled is %v)", [r.name, enabled])]] if {
	enabled := plan.input_at(r, ["transitEncryptionEnabled"])
	plan.is_known(enabled)
	enabled != true
} else := [["deferred", sprintf("%s: whether it is encrypted in transit is only known at deploy time", [r.name])]] if {
	not plan.is_known(plan.input_at(r, ["transitEncryptionEnabled"]))
} else := [["deny", sprintf("%s accepts plain-text connections (transitEncryptionMode is preferred; use required)", [r.name])]] if {
	plan.input_at(r, ["transitEncryptionMode"]) == "preferred"
} else := [["deferred", sprintf("%s: its transitEncryptionMode is only known at deploy time", [r.name])]] if {
	not plan.is_known(plan.input_at(r, ["transitEncryptionMode"]))
} else := []

# --- standalone ElastiCache clusters -------------------------------------------------------

_standalone(r) := [] if {
	aws.non_empty(plan.input_at(r, ["replicationGroupId"]))
} else := [] if {
	aws.depends_on_type(r, "replicationGroupId", {_group})
} else := [["deferred", sprintf("%s joins replication group %v, which is not in this program: its encryption is the group's", [r.name, plan.input_at(r, ["replicationGroupId"])])]] if {
	not plan.is_known(plan.input_at(r, ["replicationGroupId"]))
} else := [["deny", sprintf("%s is a standalone cache cluster: ElastiCache cannot encrypt it at rest with a customer managed key (use a ReplicationGroup)", [r.name])]]

# --- MemoryDB in transit -------------------------------------------------------------------

_memorydb_tls(r) := [["deny", sprintf("%s accepts plain-text connections (tlsEnabled is false)", [r.name])]] if {
	plan.input_at(r, ["tlsEnabled"]) == false
} else := [["deferred", sprintf("%s: whether TLS is on is only known at deploy time", [r.name])]] if {
	not plan.is_known(plan.input_at(r, ["tlsEnabled"]))
} else := []

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
