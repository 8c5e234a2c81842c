package sahab.rules.encryption.storage_class_cmk_test

import data.sahab.rules.encryption.storage_class_cmk as rule
import rego.v1

_r(type_token, name, inputs, deps) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "unknown", "regionSource": "none", "inputs": inputs,
	"propertyDependencies": deps, "provider": "urn:pulumi:dev::p::pulumi:providers:kubernetes::cluster",
}

_unknown := {"$unknown": true}

_key := _r("aws:kms/key:Key", "k", {"enableKeyRotation": true}, {})

_arn := "arn:aws:kms:me-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

_class(provisioner, parameters, deps) := _r("kubernetes:storage.k8s.io/v1:StorageClass", "sc", {
	"metadata": {"name": "encrypted"}, "provisioner": provisioner, "parameters": parameters,
	"reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
}, deps)

_clean(resources) if {
	count(rule.deny) == 0 with input as {"resources": resources}
	count(rule.deferred) == 0 with input as {"resources": resources}
}

_denied(resources, text) if {
	some f in rule.deny with input as {"resources": resources}
	contains(f.message, text)
}

_deferred_only(resources) if {
	count(rule.deferred) == 1 with input as {"resources": resources}
	count(rule.deny) == 0 with input as {"resources": resources}
}

# --- EBS --------------------------------------------------------------------------------------

test_ebs_class_with_a_key_of_the_plan_passes if {
	_clean([_key, _class("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true", "kmsKeyId": _unknown}, {"parameters": [_key.urn]})])
}

test_ebs_class_with_a_literal_cmk_arn_passes if {
	_clean([_class("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true", "kmsKeyId": _arn}, {})])
}

test_ebs_parameter_names_are_case_insensitive_as_the_driver_reads_them if {
	_clean([_class("ebs.csi.aws.com", {"Encrypted": "true", "kmskeyid": _arn}, {})])
}

test_the_v1beta1_class_is_judged_too if {
	sc := object.union(_class("ebs.csi.aws.com", {"encrypted": "true"}, {}), {"type": "kubernetes:storage.k8s.io/v1beta1:StorageClass"})
	_denied([sc], "aws/ebs")
}

test_unencrypted_ebs_class_is_denied if {
	_denied([_class("ebs.csi.aws.com", {"type": "gp3"}, {})], "not encrypted (encrypted is not set")
}

test_ebs_class_encrypted_false_is_denied_even_with_a_key if {
	_denied([_class("ebs.csi.aws.com", {"encrypted": "false", "kmsKeyId": _arn}, {})], "encrypted is \"false\"")
}

test_ebs_class_encrypted_true_in_capitals_is_not_true_for_the_driver if {
	_denied([_class("ebs.csi.aws.com", {"encrypted": "TRUE", "kmsKeyId": _arn}, {})], "not encrypted")
}

test_ebs_class_without_key_uses_the_aws_managed_key_and_is_denied if {
	_denied([_class("ebs.csi.aws.com", {"encrypted": "true"}, {})], "aws/ebs")
}

test_ebs_class_with_the_aws_managed_alias_is_denied if {
	_denied([_class("ebs.csi.aws.com", {"encrypted": "true", "kmsKeyId": "alias/aws/ebs"}, {})], "AWS managed key")
}

test_ebs_parameter_given_twice_in_different_cases_is_denied if {
	_denied([_class("ebs.csi.aws.com", {"encrypted": "true", "kmsKeyId": _arn, "KMSKeyId": "alias/aws/ebs"}, {})], "kmskeyid")
}

test_in_tree_aws_ebs_is_judged_like_the_csi_driver if {
	_denied([_class("kubernetes.io/aws-ebs", {"type": "gp2"}, {})], "not encrypted")
}

test_ebs_key_unknown_and_from_no_key_of_the_plan_is_deferred if {
	_deferred_only([_class("ebs.csi.aws.com", {"encrypted": "true", "kmsKeyId": _unknown}, {})])
}

test_ebs_encrypted_unknown_is_deferred if {
	_deferred_only([_class("ebs.csi.aws.com", {"encrypted": _unknown, "kmsKeyId": _arn}, {})])
}

test_parameters_unknown_are_deferred if {
	_deferred_only([_class("ebs.csi.aws.com", _unknown, {})])
}

# --- Azure Disk -------------------------------------------------------------------------------

_des := _r("azure-native:compute:DiskEncryptionSet", "des", {"encryptionType": "EncryptionAtRestWithCustomerKey"}, {})

test_azure_disk_class_with_a_disk_encryption_set_of_the_plan_passes if {
	_clean([_des, _class("disk.csi.azure.com", {"skuName": "Premium_LRS", "diskEncryptionSetID": _unknown}, {"parameters": [_des.urn]})])
}

test_azure_disk_class_with_a_literal_disk_encryption_set_passes if {
	des := "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des"
	_clean([_class("disk.csi.azure.com", {"diskencryptionsetid": des}, {})])
}

test_azure_disk_class_without_disk_encryption_set_is_denied if {
	_denied([_class("disk.csi.azure.com", {"skuName": "Premium_LRS"}, {})], "platform-managed keys")
}

test_azure_disk_class_with_an_untraceable_set_is_deferred if {
	_deferred_only([_class("disk.csi.azure.com", {"diskEncryptionSetID": _unknown}, {})])
}

# --- EFS and Azure Files ----------------------------------------------------------------------

_efs := _r("aws:efs/fileSystem:FileSystem", "fs", {"encrypted": true, "kmsKeyId": _arn}, {})

test_efs_class_on_a_file_system_of_the_plan_passes if {
	_clean([_efs, _class("efs.csi.aws.com", {"provisioningMode": "efs-ap", "fileSystemId": _unknown}, {"parameters": [_efs.urn]})])
}

test_efs_class_on_a_file_system_outside_the_program_is_denied if {
	_denied([_class("efs.csi.aws.com", {"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0"}, {})], "does not declare")
}

test_efs_class_with_an_untraceable_file_system_is_deferred if {
	_deferred_only([_class("efs.csi.aws.com", {"fileSystemId": _unknown}, {})])
}

test_azure_files_class_that_lets_the_driver_create_an_account_is_denied if {
	_denied([_class("file.csi.azure.com", {"skuName": "Premium_LRS"}, {})], "name no storage account")
}

test_azure_files_class_on_an_account_of_the_plan_passes if {
	account := _r("azure-native:storage:StorageAccount", "sa", {"kind": "FileStorage"}, {})
	_clean([account, _class("file.csi.azure.com", {"storageAccount": _unknown}, {"parameters": [account.urn]})])
}

# --- provisioners ---------------------------------------------------------------------------

test_a_provisioner_the_rule_cannot_judge_is_denied if {
	_denied([_class("example.com/local-disks", {}, {})], "cannot judge")
}

test_static_local_volumes_are_denied if {
	_denied([_class("kubernetes.io/no-provisioner", null, {})], "kubernetes.io/no-provisioner")
}

test_a_class_without_provisioner_is_denied if {
	_denied([_class(null, {}, {})], "names no provisioner")
}

test_an_unknown_provisioner_is_deferred if {
	_deferred_only([_class(_unknown, {"encrypted": "true"}, {})])
}

test_a_class_read_from_the_cluster_is_not_judged if {
	sc := object.union(_class("ebs.csi.aws.com", {}, {}), {"mode": "read"})
	_clean([sc])
}
