package sahab.rules.encryption.volume_cmk_test

import data.sahab.rules.encryption.volume_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:aws::uae",
}

_unknown := {"$unknown": true}

_key := _r("aws:kms/key:Key", "k", {"enableKeyRotation": true}, {})

_arn := "arn:aws:kms:me-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# --- EBS volumes ---------------------------------------------------------------------------

test_ebs_volume_with_cmk_passes if {
	v := _r("aws:ebs/volume:Volume", "v", {"availabilityZone": "me-central-1a", "size": 10, "encrypted": true, "kmsKeyId": _unknown}, {"kmsKeyId": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, v]}
	count(rule.deferred) == 0 with input as {"resources": [_key, v]}
}

test_unencrypted_ebs_volume_is_denied if {
	v := _r("aws:ebs/volume:Volume", "v", {"availabilityZone": "me-central-1a", "size": 10}, {})
	some f in rule.deny with input as {"resources": [v]}
	contains(f.message, "not encrypted")
}

test_ebs_volume_with_default_key_is_denied if {
	v := _r("aws:ebs/volume:Volume", "v", {"size": 10, "encrypted": true}, {})
	some f in rule.deny with input as {"resources": [v]}
	contains(f.message, "aws/ebs")
}

test_ebs_volume_with_untraceable_unknown_key_is_deferred if {
	v := _r("aws:ebs/volume:Volume", "v", {"size": 10, "encrypted": true, "kmsKeyId": _unknown}, {})
	count(rule.deferred) == 1 with input as {"resources": [v]}
	count(rule.deny) == 0 with input as {"resources": [v]}
}

# --- launch templates ----------------------------------------------------------------------

_template(ebs, deps) := _r("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": ebs}]}, deps)

test_launch_template_with_string_true_and_cmk_passes if {
	lt := _template({"encrypted": "true", "kmsKeyId": _unknown, "volumeSize": 100}, {"blockDeviceMappings": [_key.urn]})
	count(rule.deny) == 0 with input as {"resources": [_key, lt]}
	count(rule.deferred) == 0 with input as {"resources": [_key, lt]}
}

test_launch_template_unencrypted_mapping_is_denied if {
	lt := _template({"encrypted": "false", "volumeSize": 100}, {})
	some f in rule.deny with input as {"resources": [lt]}
	contains(f.message, "/dev/xvda")
}

test_launch_template_mapping_without_key_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_template({"encrypted": "true", "volumeSize": 100}, {})]}
}

test_launch_template_without_mappings_is_denied if {
	lt := _r("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": {"httpTokens": "required"}}, {})
	some f in rule.deny with input as {"resources": [lt]}
	contains(f.message, "no block device mappings")
}

test_launch_template_ephemeral_mapping_is_skipped if {
	lt := _r("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"blockDeviceMappings": [{"deviceName": "/dev/sdb", "virtualName": "ephemeral0"}, {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": _arn}}]}, {})
	count(rule.deny) == 0 with input as {"resources": [lt]}
}

# --- instances -----------------------------------------------------------------------------

test_instance_with_encrypted_devices_passes if {
	i := _r("aws:ec2/instance:Instance", "i", {"ami": "ami-1", "rootBlockDevice": {"encrypted": true, "kmsKeyId": _arn}, "ebsBlockDevices": [{"deviceName": "/dev/sdb", "encrypted": true, "kmsKeyId": _arn}]}, {})
	count(rule.deny) == 0 with input as {"resources": [i]}
}

test_instance_unencrypted_ebs_device_is_denied if {
	i := _r("aws:ec2/instance:Instance", "i", {"ami": "ami-1", "rootBlockDevice": {"encrypted": true, "kmsKeyId": _arn}, "ebsBlockDevices": [{"deviceName": "/dev/sdb", "encrypted": false}]}, {})
	some f in rule.deny with input as {"resources": [i]}
	contains(f.message, "/dev/sdb")
}

test_instance_without_root_device_is_denied if {
	i := _r("aws:ec2/instance:Instance", "i", {"ami": "ami-1"}, {})
	count(rule.deny) == 1 with input as {"resources": [i]}
}

test_instance_from_launch_template_leaves_the_root_to_it if {
	i := _r("aws:ec2/instance:Instance", "i", {"launchTemplate": {"id": "lt-1"}}, {})
	count(rule.deny) == 0 with input as {"resources": [i]}
}

# --- Azure disks ---------------------------------------------------------------------------

_disk(encryption, deps) := _r("azure-native:compute:Disk", "d", object.union({"creationData": {"createOption": "Empty"}, "diskSizeGB": 64}, encryption), deps)

test_azure_disk_with_customer_key_passes if {
	des := _r("azure-native:compute:DiskEncryptionSet", "des", {}, {})
	d := _disk({"encryption": {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": _unknown}}, {"encryption": [des.urn]})
	count(rule.deny) == 0 with input as {"resources": [des, d]}
	count(rule.deferred) == 0 with input as {"resources": [des, d]}
}

test_azure_disk_with_platform_key_is_denied if {
	some f in rule.deny with input as {"resources": [_disk({}, {})]}
	contains(f.message, "EncryptionAtRestWithPlatformKey")
}

test_azure_disk_customer_key_without_set_is_denied if {
	count(rule.deny) == 1 with input as {"resources": [_disk({"encryption": {"type": "EncryptionAtRestWithPlatformAndCustomerKeys"}}, {})]}
}

test_azure_disk_unknown_type_is_deferred if {
	d := _disk({"encryption": {"type": _unknown}}, {})
	count(rule.deferred) == 1 with input as {"resources": [d]}
	count(rule.deny) == 0 with input as {"resources": [d]}
}
