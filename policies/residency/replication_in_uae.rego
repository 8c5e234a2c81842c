# METADATA
# title: Replicas and backup copies stay in the UAE
# description: >-
#   Every replication or backup-copy destination must be in the UAE (me-central-1, uaenorth,
#   uaecentral), and a replica's source too: S3 replication rules (BucketReplicationConfig and
#   the legacy inline replicationConfiguration; the destination bucket is resolved through
#   propertyDependencies or by name to a bucket of the plan, whose region counts), AWS Backup
#   copy actions (the destination vault ARN's region, or the vault of the plan it came from),
#   RDS automated-backup replication (its own region is the destination), RDS snapshot copies
#   (destinationRegion), RDS instance and cluster read replicas (the source ARN's region),
#   DynamoDB table replicas (regionName), ECR registry replication (destination regions),
#   geo-redundant Azure storage SKUs (the copy goes to the paired region; uaenorth and
#   uaecentral are each other's pair) and Azure blob object replication (source and destination
#   accounts). An ARN tells its region also when the rest of it is only known at deploy time
#   (a vault or source ARN whose known start holds the region), and an S3 rule's replica KMS key
#   ARN tells the destination bucket's region (S3 needs the key in that region). A destination
#   whose region cannot be known before deploy (an unknown value that comes from no resource of
#   the plan, a bucket or account that is not in the plan) is deferred.
# custom:
#   id: SAHAB-RES-003
#   severity: critical
#   enforcement: mandatory
#   deferred_on: >-
#     The region, bucket, vault, database or account a replica or backup copy goes to, or a
#     storage SKU, when computed at deploy time and neither the plan nor the known start of its
#     ARN (or, for S3, of the replica KMS key's ARN) says the region.
#   remediation: >-
#     Replicate and copy backups only to buckets, vaults, registries, tables and accounts in
#     me-central-1 (AWS) or uaenorth/uaecentral (Azure); for Azure storage outside the UAE pair
#     use LRS or ZRS. Declare the destination in the same program (or reference it by a name the
#     plan knows) so the gate can see its region.
#   covers:
#     - aws:s3/bucket:Bucket
#     - aws:s3/bucketV2:BucketV2
#     - aws:s3/bucketReplicationConfig:BucketReplicationConfig
#     - aws:dynamodb/table:Table
#     - aws:rds/instance:Instance
#     - aws:rds/cluster:Cluster
#     - aws:rds/snapshotCopy:SnapshotCopy
#     - aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy
#     - aws:backup/plan:Plan
#     - aws:ecr/replicationConfiguration:ReplicationConfiguration
#     - azure-native:storage:StorageAccount
#     - azure-native:storage:ObjectReplicationPolicy
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 23: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is not Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "UAE IA (NESA) T3.5.1: Information Backup"
#     - "ISO/IEC 27001:2022 A.8.13: Information backup"
#     - "ISO/IEC 27001:2022 A.5.34: Privacy and protection of PII"
package sahab.rules.residency.replication_in_uae

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import data.sahab.lib.value as values
import rego.v1

# Findings come from two sets: `_edges` ({owner, what, region}: a copy of the owner's data
# lands in, or comes from, `region`) and `_pending` ({owner, message}: where it lands is only
# known at deploy time). Unknown values flow through aws.items and aws.field unchanged, so an
# unknown list, element or field ends as an unknown leaf. An owner is kept as what a finding
# needs of it ({urn, type, name}): every rule of this package is part of the gate's answer.

deny contains plan.finding(e.owner, sprintf("%s %s (%s is outside the UAE)", [e.owner.name, e.what, e.region])) if {
	some e in _edges
	_outside(e.region)
}

deferred contains plan.finding(e.owner, sprintf("%s %s, in a region only known at deploy time", [e.owner.name, e.what])) if {
	some e in _edges
	not _decidable(e.region)
}

deferred contains plan.finding(p.owner, sprintf("%s %s", [p.owner.name, p.message])) if {
	some p in _pending
}

_owner(r) := {"urn": r.urn, "type": r.type, "name": r.name}

# The value is an ARN (known, or partial with its region in its known start) that names a
# region. (A function of its own: OPA makes `not f(g(x))` undefined when g(x) is, where regorus
# negates it; tests/gate/test_real_opa.py.)
_region_in_arn(value) if aws.non_empty(aws.arn_region(value))

_decidable(region) if {
	aws.non_empty(region)
	region != "unknown"
}

_outside(region) if {
	_decidable(region)
	not azure.location(region) in data.sahab.lib.plan.uae_regions
}

# --- S3 replication ------------------------------------------------------------------------

_replication_config_types := {"aws:s3/bucketReplicationConfig:BucketReplicationConfig"}

# The destination buckets of `r`'s replication rules: {property, value, key}, `key` the KMS key
# the replicas are encrypted with. S3 needs that key in the destination bucket's region, so the
# key ARN's region (known, or in the known start of a partial ARN) is where the copy lands, even
# when the bucket is only known at deploy time.
_s3_destinations(r) := [{"property": "rules", "value": aws.field(destination, "bucket"), "key": aws.field(aws.field(destination, "encryptionConfiguration"), "replicaKmsKeyId")} |
	some rule in aws.items(plan.input_at(r, ["rules"]))
	destination := aws.field(rule, "destination")
] if r.type in _replication_config_types

# The legacy inline replicationConfiguration of a bucket (most buckets have none: no rules).
_s3_destinations(r) := [{"property": "replicationConfiguration", "value": aws.field(destination, "bucket"), "key": aws.field(destination, "replicaKmsKeyId")} |
	some rule in aws.items(aws.field(config, "rules"))
	destination := aws.field(rule, "destination")
] if {
	r.type in data.sahab.lib.aws.bucket_types
	config := plan.input_at(r, ["replicationConfiguration"])
	config != null
}

# A literal bucket ARN: the region of the bucket of that name in the plan.
_edges contains {"owner": _owner(r), "what": sprintf("replicates to bucket %s", [name]), "region": t.region} if {
	some r in aws.created_of(_replication_config_types | data.sahab.lib.aws.bucket_types)
	some d in _s3_destinations(r)
	name := aws.s3_arn_bucket(d.value)
	some t in aws.buckets_named(name)
}

_pending contains {"owner": _owner(r), "message": sprintf("replicates to bucket %v, which is not in this program: its region is unknown", [d.value])} if {
	some r in aws.created_of(_replication_config_types | data.sahab.lib.aws.bucket_types)
	some d in _s3_destinations(r)
	aws.non_empty(d.value)
	not _named_in_plan(d.value)
	not _region_in_arn(d.key)
}

# The replica key tells the destination's region.
_edges contains {"owner": _owner(r), "what": sprintf("replicates to a bucket encrypted with KMS key %s", [values.display(d.key)]), "region": aws.arn_region(d.key)} if {
	some r in aws.created_of(_replication_config_types | data.sahab.lib.aws.bucket_types)
	some d in _s3_destinations(r)
	aws.non_empty(aws.arn_region(d.key))
}

_named_in_plan(arn) if count(aws.buckets_named(aws.s3_arn_bucket(arn))) > 0

# An unknown destination: the buckets of the plan the rules came from.
_edges contains {"owner": _owner(r), "what": sprintf("replicates to bucket %s", [t.name]), "region": t.region} if {
	some r in aws.created_of(_replication_config_types | data.sahab.lib.aws.bucket_types)
	some d in _s3_destinations(r)
	not plan.is_known(d.value)
	some t in aws.sources(r, d.property)
	t.type in data.sahab.lib.aws.bucket_types
}

_pending contains {"owner": _owner(r), "message": "replicates to a bucket that is only known at deploy time"} if {
	some r in aws.created_of(_replication_config_types | data.sahab.lib.aws.bucket_types)
	some d in _s3_destinations(r)
	not plan.is_known(d.value)
	not aws.depends_on_type(r, d.property, data.sahab.lib.aws.bucket_types)
	not _region_in_arn(d.key)
}

# --- AWS Backup copy actions ---------------------------------------------------------------

_vault_types := {"aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"}

_backup_plan_types := {"aws:backup/plan:Plan"}

# The destination vaults of backup plan `p`'s copy actions.
_copy_targets(p) := [aws.field(action, "destinationVaultArn") |
	some rule in aws.items(plan.input_at(p, ["rules"]))
	some action in aws.items(aws.field(rule, "copyActions"))
]

# A vault ARN whose region is known, also when the rest of it is only known at deploy time.
_edges contains {"owner": _owner(p), "what": sprintf("copies backups to vault %s", [values.display(value)]), "region": aws.arn_region(value)} if {
	some p in aws.created_of(_backup_plan_types)
	some value in _copy_targets(p)
	aws.non_empty(aws.arn_region(value))
}

_pending contains {"owner": _owner(p), "message": sprintf("copies backups to %v, which is not a vault ARN: its region is unknown", [value])} if {
	some p in aws.created_of(_backup_plan_types)
	some value in _copy_targets(p)
	aws.non_empty(value)
	not _region_in_arn(value)
}

_edges contains {"owner": _owner(p), "what": sprintf("copies backups to vault %s", [v.name]), "region": v.region} if {
	some p in aws.created_of(_backup_plan_types)
	some value in _copy_targets(p)
	not plan.is_known(value)
	not _region_in_arn(value)
	some v in aws.sources(p, "rules")
	v.type in _vault_types
}

_pending contains {"owner": _owner(p), "message": "copies backups to a vault that is only known at deploy time"} if {
	some p in aws.created_of(_backup_plan_types)
	some value in _copy_targets(p)
	not plan.is_known(value)
	not _region_in_arn(value)
	not aws.depends_on_type(p, "rules", _vault_types)
}

# --- RDS -----------------------------------------------------------------------------------

# Automated-backup replication is created in (and copies backups to) its own region.
_edges contains {"owner": _owner(r), "what": "replicates automated backups", "region": r.region} if {
	some r in aws.created_of({"aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"})
}

_snapshot_copy_types := {"aws:rds/snapshotCopy:SnapshotCopy", "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy"}

_edges contains {"owner": _owner(r), "what": "copies a snapshot", "region": region} if {
	some r in aws.created_of(_snapshot_copy_types)
	region := plan.input_at(r, ["destinationRegion"])
	aws.non_empty(region)
}

_pending contains {"owner": _owner(r), "message": "copies a snapshot to a region that is only known at deploy time"} if {
	some r in aws.created_of(_snapshot_copy_types)
	not plan.is_known(plan.input_at(r, ["destinationRegion"]))
}

# Read replicas: the source of a cross-region replica (an ARN) must be in the UAE too.
_replica_source := {
	"aws:rds/instance:Instance": "replicateSourceDb",
	"aws:rds/cluster:Cluster": "replicationSourceIdentifier",
}

_rds_types := {"aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"}

# The replica source of `r`: {property, value}.
_replica(r) := {"property": property, "value": plan.input_at(r, [property])} if {
	property := _replica_source[r.type]
}

# A source ARN whose region is known, also when the rest of it is only known at deploy time.
_edges contains {"owner": _owner(r), "what": sprintf("is a read replica of %s", [values.display(x.value)]), "region": aws.arn_region(x.value)} if {
	some r in aws.created_of(object.keys(_replica_source))
	x := _replica(r)
	aws.non_empty(aws.arn_region(x.value))
}

_edges contains {"owner": _owner(r), "what": sprintf("is a read replica of %s", [s.name]), "region": s.region} if {
	some r in aws.created_of(object.keys(_replica_source))
	x := _replica(r)
	not plan.is_known(x.value)
	not _region_in_arn(x.value)
	some s in aws.sources(r, x.property)
	s.type in _rds_types
}

_pending contains {"owner": _owner(r), "message": "is a read replica of a database that is only known at deploy time"} if {
	some r in aws.created_of(object.keys(_replica_source))
	x := _replica(r)
	not plan.is_known(x.value)
	not _region_in_arn(x.value)
	not aws.depends_on_type(r, x.property, _rds_types)
}

# --- DynamoDB table replicas ---------------------------------------------------------------

_table_types := {"aws:dynamodb/table:Table"}

# The regions of table `r`'s replicas.
_table_replicas(r) := [aws.field(replica, "regionName") | some replica in aws.items(plan.input_at(r, ["replicas"]))]

_edges contains {"owner": _owner(r), "what": "has a table replica", "region": value} if {
	some r in aws.created_of(_table_types)
	some value in _table_replicas(r)
	aws.non_empty(value)
}

_pending contains {"owner": _owner(r), "message": "has a table replica in a region only known at deploy time"} if {
	some r in aws.created_of(_table_types)
	some value in _table_replicas(r)
	not plan.is_known(value)
}

# --- ECR registry replication --------------------------------------------------------------

_ecr_replication_types := {"aws:ecr/replicationConfiguration:ReplicationConfiguration"}

# The destination regions of registry replication configuration `r`.
_image_replicas(r) := [aws.field(d, "region") |
	some rule in aws.items(aws.field(plan.input_at(r, ["replicationConfiguration"]), "rules"))
	some d in aws.items(aws.field(rule, "destinations"))
]

_edges contains {"owner": _owner(r), "what": "replicates images", "region": value} if {
	some r in aws.created_of(_ecr_replication_types)
	some value in _image_replicas(r)
	aws.non_empty(value)
}

_pending contains {"owner": _owner(r), "message": "replicates images to a region only known at deploy time"} if {
	some r in aws.created_of(_ecr_replication_types)
	some value in _image_replicas(r)
	not plan.is_known(value)
}

# --- Azure storage -------------------------------------------------------------------------

_account_type := "azure-native:storage:StorageAccount"

# A geo-redundant SKU keeps a copy in the region paired with the account's own; the pair of a
# UAE region is the other UAE region, the pair of any other region is outside the UAE.
_edges contains {"owner": _owner(r), "what": sprintf("keeps a geo-redundant (%s) copy in the region paired with its own", [sku]), "region": r.region} if {
	some r in azure.created_of({_account_type})
	sku := aws.field(plan.input_at(r, ["sku"]), "name")
	azure.geo_redundant_sku(sku)
}

_pending contains {"owner": _owner(r), "message": "has a storage SKU that is only known at deploy time"} if {
	some r in azure.created_of({_account_type})
	not plan.is_known(aws.field(plan.input_at(r, ["sku"]), "name"))
}

# Object replication: both the source and the destination account must be in the UAE.
_object_replication_types := {"azure-native:storage:ObjectReplicationPolicy"}

# The two ends of object replication policy `r`: {property, value}.
_object_replication_ends(r) := [{"property": property, "value": plan.input_at(r, [property])} |
	some property in ["sourceAccount", "destinationAccount"]
]

_edges contains {"owner": _owner(r), "what": sprintf("replicates objects with account %s", [a.name]), "region": a.region} if {
	some r in azure.created_of(_object_replication_types)
	some e in _object_replication_ends(r)
	azure.non_empty(e.value)
	some a in _accounts_named(_account_name(e.value))
}

_pending contains {"owner": _owner(r), "message": sprintf("replicates objects with account %s, which is not in this program: its region is unknown", [e.value])} if {
	some r in azure.created_of(_object_replication_types)
	some e in _object_replication_ends(r)
	azure.non_empty(e.value)
	count(_accounts_named(_account_name(e.value))) == 0
}

_edges contains {"owner": _owner(r), "what": sprintf("replicates objects with account %s", [a.name]), "region": a.region} if {
	some r in azure.created_of(_object_replication_types)
	some e in _object_replication_ends(r)
	not plan.is_known(e.value)
	some a in azure.sources(r, e.property)
	a.type == _account_type
}

_pending contains {"owner": _owner(r), "message": sprintf("replicates objects with an account (%s) that is only known at deploy time", [e.property])} if {
	some r in azure.created_of(_object_replication_types)
	some e in _object_replication_ends(r)
	not plan.is_known(e.value)
	not azure.depends_on_type(r, e.property, {_account_type})
}

_account_name(value) := azure.account_name_of_id(value) if contains(value, "/")

_account_name(value) := value if not contains(value, "/")

_accounts_named(name) := [a |
	some a in plan.of_type(_account_type)
	a.inputs.accountName == name
]
