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
#   remediation: >-
#     Set encrypted=True (encrypted="true" in launch template block device mappings) and
#     kms_key_id=<your aws.kms.Key>.arn on every EBS volume, mapping and instance block device;
#     on Azure give every disk encryption=EncryptionArgs(type="EncryptionAtRestWithCustomerKey",
#     disk_encryption_set_id=<a DiskEncryptionSet backed by a Key Vault key>).
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: security of personal data (encryption)"
#     - "UAE IA (NESA) T7.4.1: policy on the use of cryptographic controls"
#     - "UAE IA (NESA) T7.4.2: key management"
#     - "ISO/IEC 27001:2022 A.8.24: use of cryptography"
package sahab.rules.encryption.volume_cmk

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

# Every AWS volume specification: {owner, what, property (top-level input), spec}.
_volumes contains {"owner": r, "what": "the volume", "property": "kmsKeyId", "spec": r.inputs} if {
	some r in aws.created_of({"aws:ebs/volume:Volume"})
}

_volumes contains {"owner": r, "what": sprintf("block device mapping %v", [aws.field(m, "deviceName")]), "property": "blockDeviceMappings", "spec": ebs} if {
	some r in aws.created_of({"aws:ec2/launchTemplate:LaunchTemplate"})
	some m in aws.items(plan.input_at(r, ["blockDeviceMappings"]))
	ebs := aws.field(m, "ebs")
	ebs != null
}

_volumes contains {"owner": r, "what": "the root block device", "property": "rootBlockDevice", "spec": root} if {
	some r in aws.created_of({"aws:ec2/instance:Instance"})
	root := plan.input_at(r, ["rootBlockDevice"])
	root != null
}

_volumes contains {"owner": r, "what": sprintf("EBS block device %v", [aws.field(d, "deviceName")]), "property": "ebsBlockDevices", "spec": d} if {
	some r in aws.created_of({"aws:ec2/instance:Instance"})
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

deny contains plan.finding(v.owner, sprintf("%s: %s is not encrypted (encrypted is %v)", [v.owner.name, v.what, encrypted])) if {
	some v in _volumes
	encrypted := aws.field(v.spec, "encrypted")
	plan.is_known(encrypted)
	not _true(encrypted)
}

deferred contains plan.finding(v.owner, sprintf("%s: whether %s is encrypted is only known at deploy time", [v.owner.name, v.what])) if {
	some v in _volumes
	not plan.is_known(aws.field(v.spec, "encrypted"))
}

deny contains plan.finding(v.owner, sprintf("%s: %s is encrypted with %s, not a customer managed key", [v.owner.name, v.what, _describe[state]])) if {
	some v in _volumes
	_true(aws.field(v.spec, "encrypted"))
	state := aws.key_state(v.owner, aws.field(v.spec, "kmsKeyId"), v.property)
	state in {"none", "aws-managed"}
}

deferred contains plan.finding(v.owner, sprintf("%s: the KMS key of %s is only known at deploy time and comes from no KMS key of this program", [v.owner.name, v.what])) if {
	some v in _volumes
	_true(aws.field(v.spec, "encrypted"))
	aws.key_state(v.owner, aws.field(v.spec, "kmsKeyId"), v.property) == "unknown"
}

_describe := {"none": "the default key (no kmsKeyId: the AWS managed aws/ebs key)", "aws-managed": "an AWS managed key"}

# --- Azure managed disks -------------------------------------------------------------------

_customer_key_types := {"EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys"}

_disks := azure.created_of({"azure-native:compute:Disk"})

deny contains plan.finding(d, sprintf("%s is encrypted with %v, not a customer managed key", [d.name, _disk_type(d)])) if {
	some d in _disks
	type_ := _disk_type(d)
	plan.is_known(type_)
	not type_ in _customer_key_types
}

deferred contains plan.finding(d, sprintf("%s: the disk encryption type is only known at deploy time", [d.name])) if {
	some d in _disks
	not plan.is_known(_disk_type(d))
}

deny contains plan.finding(d, sprintf("%s uses a customer key encryption type without a diskEncryptionSetId", [d.name])) if {
	some d in _disks
	_disk_type(d) in _customer_key_types
	azure.key_ref_state(d, aws.field(plan.input_at(d, ["encryption"]), "diskEncryptionSetId"), "encryption", {"azure-native:compute:DiskEncryptionSet"}) == "none"
}

deferred contains plan.finding(d, sprintf("%s: the disk encryption set is only known at deploy time and comes from no DiskEncryptionSet of this program", [d.name])) if {
	some d in _disks
	_disk_type(d) in _customer_key_types
	azure.key_ref_state(d, aws.field(plan.input_at(d, ["encryption"]), "diskEncryptionSetId"), "encryption", {"azure-native:compute:DiskEncryptionSet"}) == "unknown"
}

# The disk's encryption type; without one Azure uses platform-managed keys.
_disk_type(d) := t if {
	t := aws.field(plan.input_at(d, ["encryption"]), "type")
	t != null
}

_disk_type(d) := "EncryptionAtRestWithPlatformKey (the default)" if aws.field(plan.input_at(d, ["encryption"]), "type") == null
