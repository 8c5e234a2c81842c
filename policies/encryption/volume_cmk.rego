# METADATA
# title: Block volumes are encrypted with a customer managed key
# description: >-
#   Every block volume the program declares is encrypted with a customer managed key. AWS: an
#   aws:ebs/volume:Volume has encrypted true and kmsKeyId; every EBS mapping of an
#   aws:ec2/launchTemplate:LaunchTemplate has encrypted "true" (launch template booleans are
#   strings in pulumi-aws) and kmsKeyId, and a launch template without block device mappings is
#   denied (its root volume would follow the AMI and the account default); an
#   aws:ec2/instance:Instance has rootBlockDevice (unless it takes its volumes from a launch
#   template) and every ebsBlockDevices entry encrypted with kmsKeyId. A key counts when it is a
#   literal key ID/ARN/alias that is not AWS managed (alias/aws/ebs), or an unknown value that
#   came from a KMS key or alias of the plan. Azure: an azure-native:compute:Disk has
#   encryption.type EncryptionAtRestWithCustomerKey or EncryptionAtRestWithPlatformAndCustomerKeys
#   with a diskEncryptionSetId. Unknown values that no key of the plan explains are deferred.
# custom:
#   id: SAHAB-ENC-002
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     Whether a volume, launch template block device or managed disk is encrypted, and its KMS key
#     or disk encryption set, when computed at deploy time or held outside this program.
#   remediation: >-
#     Set encrypted=True (encrypted="true" in launch template block device mappings) and
#     kms_key_id=<your aws.kms.Key>.arn on every EBS volume, mapping and instance block device;
#     on Azure give every disk encryption=EncryptionArgs(type="EncryptionAtRestWithCustomerKey",
#     disk_encryption_set_id=<a DiskEncryptionSet backed by a Key Vault key>).
#   covers:
#     - aws:ebs/volume:Volume
#     - aws:ec2/instance:Instance
#     - aws:ec2/launchTemplate:LaunchTemplate
#     - azure-native:compute:Disk
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.volume_cmk

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# Every AWS volume specification of resource `r`: {what, property (top-level input), spec}.
_volume_types := {"aws:ebs/volume:Volume", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"}

_volumes(r) := {{"what": "the volume", "property": "kmsKeyId", "spec": r.inputs}} if {
	r.type == "aws:ebs/volume:Volume"
} else := _mappings(r) if {
	r.type == "aws:ec2/launchTemplate:LaunchTemplate"
} else := _root_device(r) | _ebs_devices(r) if {
	r.type == "aws:ec2/instance:Instance"
}

_mappings(r) := {{"what": sprintf("block device mapping %v", [aws.field(m, "deviceName")]), "property": "blockDeviceMappings", "spec": ebs} |
	some m in aws.items(plan.input_at(r, ["blockDeviceMappings"]))
	ebs := aws.field(m, "ebs")
	ebs != null
}

_root_device(r) := {{"what": "the root block device", "property": "rootBlockDevice", "spec": root} |
	root := plan.input_at(r, ["rootBlockDevice"])
	root != null
}

_ebs_devices(r) := {{"what": sprintf("EBS block device %v", [aws.field(d, "deviceName")]), "property": "ebsBlockDevices", "spec": d} |
	some d in aws.items(plan.input_at(r, ["ebsBlockDevices"]))
}

deny contains plan.finding(r, sprintf("%s declares no block device mappings: its root volume's encryption is left to the AMI and the account default", [r.name])) if {
	some r in aws.created_of({"aws:ec2/launchTemplate:LaunchTemplate"})
	aws.items(plan.input_at(r, ["blockDeviceMappings"])) == []
}

deny contains plan.finding(r, sprintf("%s declares no rootBlockDevice and no launch template: its root volume's encryption is left to the AMI and the account default", [r.name])) if {
	some r in aws.created_of({"aws:ec2/instance:Instance"})
	plan.input_at(r, ["rootBlockDevice"]) == null
	plan.input_at(r, ["launchTemplate"]) == null
}

_true(value) if value == true

_true(value) if value == "true"

# What one volume specification `v` of `r` comes to, as ["deny" or "deferred", message]; nothing
# when it is encrypted with a customer managed key. Each is judged once (_results).
_outcome(r, v) := ["deferred", sprintf("%s: whether %s is encrypted is only known at deploy time", [r.name, v.what])] if {
	not plan.is_known(aws.field(v.spec, "encrypted"))
} else := ["deny", sprintf("%s: %s is not encrypted (encrypted is %v)", [r.name, v.what, encrypted])] if {
	encrypted := aws.field(v.spec, "encrypted")
	not _true(encrypted)
} else := _key_outcome(r, v, aws.key_state(r, aws.field(v.spec, "kmsKeyId"), v.property))

_key_outcome(r, v, state) := ["deny", sprintf("%s: %s is encrypted with %s, not a customer managed key in the UAE", [r.name, v.what, _describe[state]])] if {
	state in data.sahab.lib.aws.refused_key_states
} else := ["deferred", sprintf("%s: the KMS key of %s is only known at deploy time and comes from no KMS key of this program", [r.name, v.what])] if {
	state == "unknown"
}

_results contains [kind, plan.finding(r, message)] if {
	some r in aws.created_of(_volume_types)
	some v in _volumes(r)
	[kind, message] := _outcome(r, v)
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_describe := {"none": "the default key (no kmsKeyId: the AWS managed aws/ebs key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# --- Azure managed disks -------------------------------------------------------------------

_customer_key_types := {"EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys"}

_disk_types := {"azure-native:compute:Disk"}

deny contains plan.finding(d, sprintf("%s is encrypted with %v, not a customer managed key", [d.name, _disk_type(d)])) if {
	some d in azure.created_of(_disk_types)
	type_ := _disk_type(d)
	plan.is_known(type_)
	not type_ in _customer_key_types
}

deferred contains plan.finding(d, sprintf("%s: the disk encryption type is only known at deploy time", [d.name])) if {
	some d in azure.created_of(_disk_types)
	not plan.is_known(_disk_type(d))
}

deny contains plan.finding(d, sprintf("%s uses a customer key encryption type without a diskEncryptionSetId", [d.name])) if {
	some d in azure.created_of(_disk_types)
	_disk_type(d) in _customer_key_types
	azure.key_ref_state(d, aws.field(plan.input_at(d, ["encryption"]), "diskEncryptionSetId"), "encryption", {"azure-native:compute:DiskEncryptionSet"}) == "none"
}

deferred contains plan.finding(d, sprintf("%s: the disk encryption set is only known at deploy time and comes from no DiskEncryptionSet of this program", [d.name])) if {
	some d in azure.created_of(_disk_types)
	_disk_type(d) in _customer_key_types
	azure.key_ref_state(d, aws.field(plan.input_at(d, ["encryption"]), "diskEncryptionSetId"), "encryption", {"azure-native:compute:DiskEncryptionSet"}) == "unknown"
}

# The disk's encryption type; without one Azure uses platform-managed keys.
_disk_type(d) := t if {
	t := aws.field(plan.input_at(d, ["encryption"]), "type")
	t != null
}

_disk_type(d) := "EncryptionAtRestWithPlatformKey (the default)" if aws.field(plan.input_at(d, ["encryption"]), "type") == null
