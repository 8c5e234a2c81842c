# METADATA
# title: Storage classes provision volumes encrypted with a customer managed key
# description: >-
#   A Kubernetes StorageClass decides how every volume it provisions is encrypted, so it is judged
#   by its provisioner. Block volumes: the EBS CSI driver (ebs.csi.aws.com, and the in-tree
#   kubernetes.io/aws-ebs it replaces) needs the parameter encrypted "true" and a kmsKeyId that
#   is a customer managed key (a literal key ARN that is not alias/aws/..., or an unknown value
#   that came from a KMS key or alias of the plan); without kmsKeyId EBS uses the AWS managed
#   aws/ebs key. Parameter names are read case-insensitively, as the driver reads them
#   (aws-ebs-csi-driver v1.45.0 docs/parameters.md), and a name given twice in different cases
#   is denied (which one the driver applies is undefined). The driver also encrypts when only
#   kmsKeyId is set; the rule still asks for encrypted "true" so the intent is explicit. The Azure
#   Disk CSI driver (disk.csi.azure.com) needs a diskEncryptionSetID (a literal, or an unknown
#   value from a DiskEncryptionSet of the plan); without one disks use platform-managed keys.
#   File shares: the EFS (efs.csi.aws.com) and Azure Files (file.csi.azure.com) drivers cannot
#   choose a key; their volumes live in the file system (fileSystemId) or storage account
#   (storageAccount) the class names, whose encryption is that resource's. The class passes when
#   that parameter comes from a file system or storage account of the plan (judged as a
#   data-holding resource of its own); a literal ID names a file system or account outside the
#   program whose encryption cannot be checked, and no account lets the Azure driver create one
#   with platform-managed keys: both are denied. Any other provisioner (in-tree azure-disk,
#   kubernetes.io/no-provisioner, a third-party driver) is denied: the rule cannot tell how its
#   volumes are encrypted. Unknown values are deferred.
# custom:
#   id: SAHAB-ENC-015
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A storage class's provisioner or parameters (encrypted, kmsKeyId, diskEncryptionSetID,
#     fileSystemId, storageAccount), when computed at deploy time from values that come from no
#     KMS key, disk encryption set, file system or storage account of this program.
#   remediation: >-
#     On EKS give the class provisioner ebs.csi.aws.com with parameters encrypted "true" and
#     kmsKeyId=<your aws.kms.Key>.arn, and grant the EBS CSI driver's role that key
#     (sahab: Cluster(...).encrypted_volumes(key) and EncryptedStorageClass); on AKS use
#     disk.csi.azure.com with diskEncryptionSetID=<a DiskEncryptionSet backed by a Key Vault key>.
#     For EFS or Azure Files, declare the encrypted file system or storage account in the program
#     and pass its ID; use only provisioners whose encryption sahab can judge.
#   covers:
#     - kubernetes:storage.k8s.io/v1:StorageClass
#     - kubernetes:storage.k8s.io/v1beta1:StorageClass
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T7.4.1: Policy on the Use of Cryptographic Controls"
#     - "UAE IA (NESA) T7.4.2: Key Management"
#     - "ISO/IEC 27001:2022 A.8.24: Use of cryptography"
package sahab.rules.encryption.storage_class_cmk

import data.sahab.lib.aws
import data.sahab.lib.azure
import data.sahab.lib.plan
import rego.v1

_types := {"kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:storage.k8s.io/v1beta1:StorageClass"}

# Block volume provisioners whose class parameters choose the key.
_ebs := {"ebs.csi.aws.com", "kubernetes.io/aws-ebs"}

_azure_disk := "disk.csi.azure.com"

# File share provisioners: [the parameter naming where the volumes live (lowercase), the types
# of the plan that may hold them, what that is].
_shared := {
	"efs.csi.aws.com": ["filesystemid", {"aws:efs/fileSystem:FileSystem"}, "file system"],
	"file.csi.azure.com": ["storageaccount", {"azure-native:storage:StorageAccount"}, "storage account"],
}

_des_types := {"azure-native:compute:DiskEncryptionSet"}

# Each class is judged once; "ok" outcomes are dropped.
_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of(_types)
	[kind, message] := _outcome(r, plan.value_at(r.inputs, ["provisioner"]), plan.value_at(r.inputs, ["parameters"]))
	kind != "ok"
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results

_outcome(r, provisioner, params) := ["deferred", sprintf("%s: its provisioner is only known at deploy time", [r.name])] if {
	not plan.is_known(provisioner)
} else := ["deny", sprintf("%s names no provisioner", [r.name])] if {
	not is_string(provisioner)
} else := ["deferred", sprintf("%s: the parameters of its %s volumes are only known at deploy time", [r.name, provisioner])] if {
	not plan.is_known(params)
} else := _ebs_outcome(r, provisioner, params) if {
	provisioner in _ebs
} else := _disk_outcome(r, params) if {
	provisioner == _azure_disk
} else := _shared_outcome(r, provisioner, params, _shared[provisioner][0], _shared[provisioner][1], _shared[provisioner][2]) if {
	_shared[provisioner]
} else := ["deny", sprintf("%s uses provisioner %s, whose volume encryption sahab cannot judge (known: %s)", [r.name, provisioner, concat(", ", _known)])]

_known := sort(array.concat(array.concat([p | some p in _ebs], [_azure_disk]), [p | some p, _ in _shared]))

# The values of parameter `name` (lowercase) under any letter case.
_values(params, name) := [v | some k, v in params; lower(k) == name] if is_object(params)

else := []

# The one value of parameter `name` (null when absent or given more than once: see _twice).
_param(params, name) := vs[0] if {
	vs := _values(params, name)
	count(vs) == 1
} else := null

_twice(params, names) := [n | some n in names; count(_values(params, n)) > 1]

_ambiguous(r, provisioner, twice) := ["deny", sprintf("%s: parameter(s) %s are given more than once in different letter cases; %s reads names case-insensitively, so which value applies is undefined", [r.name, concat(", ", twice), provisioner])]

# --- EBS ------------------------------------------------------------------------------------

_ebs_outcome(r, provisioner, params) := _ambiguous(r, provisioner, twice) if {
	twice := _twice(params, ["encrypted", "kmskeyid"])
	count(twice) > 0
} else := ["deferred", sprintf("%s: whether its EBS volumes are encrypted is only known at deploy time", [r.name])] if {
	not plan.is_known(_param(params, "encrypted"))
} else := ["deny", sprintf("%s: its EBS volumes are not encrypted (encrypted is %v, not \"true\")", [r.name, _shown(_param(params, "encrypted"))])] if {
	_param(params, "encrypted") != "true"
} else := _ebs_key_outcome(r, aws.key_state(r, _param(params, "kmskeyid"), "parameters"))

_shown(value) := "not set" if value == null

else := sprintf("%q", [value]) if is_string(value)

else := sprintf("%v", [value])

_ebs_key_outcome(r, state) := ["deny", sprintf("%s: its EBS volumes are encrypted with %s, not a customer managed key in the UAE", [r.name, _describe[state]])] if {
	state in data.sahab.lib.aws.refused_key_states
} else := ["deferred", sprintf("%s: the KMS key of its EBS volumes is only known at deploy time and comes from no KMS key of this program", [r.name])] if {
	state == "unknown"
} else := ["ok", ""]

_describe := {"none": "the default key (no kmsKeyId: the AWS managed aws/ebs key)", "aws-managed": "an AWS managed key", "outside-uae": data.sahab.lib.aws.outside_uae_key}

# --- Azure Disk -----------------------------------------------------------------------------

_disk_outcome(r, params) := _ambiguous(r, _azure_disk, twice) if {
	twice := _twice(params, ["diskencryptionsetid"])
	count(twice) > 0
} else := _disk_key_outcome(r, azure.key_ref_state(r, _param(params, "diskencryptionsetid"), "parameters", _des_types))

_disk_key_outcome(r, state) := ["deny", sprintf("%s: its Azure disks use platform-managed keys (no diskEncryptionSetID)", [r.name])] if {
	state == "none"
} else := ["deferred", sprintf("%s: the disk encryption set of its Azure disks is only known at deploy time and comes from no DiskEncryptionSet of this program", [r.name])] if {
	state == "unknown"
} else := ["ok", ""]

# --- EFS and Azure Files --------------------------------------------------------------------

_shared_outcome(r, provisioner, params, name, types, what) := _ambiguous(r, provisioner, twice) if {
	twice := _twice(params, [name])
	count(twice) > 0
} else := ["deny", sprintf("%s: its %s volumes live in %s %v, which this program does not declare: its encryption cannot be checked", [r.name, provisioner, what, value])] if {
	value := _param(params, name)
	aws.non_empty(value)
} else := ["deny", sprintf("%s: its %s volumes name no %s of this program (%s), so the driver's choice and its encryption cannot be checked", [r.name, provisioner, what, name])] if {
	plan.is_known(_param(params, name))
} else := ["ok", ""] if {
	aws.depends_on_type(r, "parameters", types)
} else := ["deferred", sprintf("%s: the %s of its %s volumes is only known at deploy time and comes from no %s of this program", [r.name, what, provisioner, what])]
