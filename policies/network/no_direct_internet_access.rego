# METADATA
# title: ML notebooks and studio domains are not attached to the internet
# description: >-
#   SageMaker attaches notebooks and Studio apps to the internet by itself unless told not to: an
#   AWS sagemaker NotebookInstance needs directInternetAccess "Disabled" (left out it is
#   "Enabled": the notebook gets a network interface with internet access managed by SageMaker,
#   outside the VPC's controls), and a sagemaker Domain needs appNetworkAccessType "VpcOnly" (left
#   out it is "PublicInternetOnly"). A value only known at deploy time is deferred.
# custom:
#   id: SAHAB-NET-009
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Set direct_internet_access="Disabled" with subnet_id and security_groups on notebook
#     instances, and app_network_access_type="VpcOnly" with the VPC's private subnets on Studio
#     domains; reach AWS services through VPC endpoints and package mirrors inside the VPC.
#   deferred_on: >-
#     directInternetAccess of a notebook instance or appNetworkAccessType of a domain, when the
#     program computes it from a value only known at deploy time.
#   covers:
#     - aws:sagemaker/notebookInstance:NotebookInstance
#     - aws:sagemaker/domain:Domain
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T4.5.1: Network Controls"
#     - "UAE IA (NESA) T4.5.3: Segregation in Networks"
#     - "ISO/IEC 27001:2022 A.8.20: Networks security"
#     - "ISO/IEC 27001:2022 A.8.22: Segregation of networks"
package sahab.rules.network.no_direct_internet_access

import data.sahab.lib.plan
import rego.v1

# [the setting, its value when left out, the value that keeps the service off the internet].
# Defaults from the pulumi-aws 7.51.1 SDK docs: NotebookInstance direct_internet_access
# "Supported values: Enabled (Default) or Disabled"; Domain app_network_access_type "The
# default value is PublicInternetOnly. Valid values are PublicInternetOnly and VpcOnly".
_settings := {
	"aws:sagemaker/notebookInstance:NotebookInstance": ["directInternetAccess", "Enabled", "disabled"],
	"aws:sagemaker/domain:Domain": ["appNetworkAccessType", "PublicInternetOnly", "vpconly"],
}

# Each setting is read once (_results).
_results contains [kind, plan.finding(r, message)] if {
	some t, indexes in data.sahab.lib.plan.created_indexes
	[setting, fallback, private] := _settings[t]
	some i in indexes
	r := input.resources[i]
	value := plan.value_at(r.inputs, [setting])
	not _is(value, private)
	[kind, message] := _outcome(r, setting, value, fallback)
}

_outcome(r, setting, value, fallback) := ["deferred", sprintf("%s: %s is only known at deploy time", [r.name, setting])] if {
	not plan.is_known(value)
} else := ["deny", sprintf("%s is attached to the internet (%s is not set: SageMaker uses %s)", [r.name, setting, fallback])] if {
	value == null
} else := ["deny", sprintf("%s is attached to the internet (%s is %v)", [r.name, setting, value])]

_is(value, want) if {
	is_string(value)
	lower(value) == want
}

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
