# METADATA
# title: Node groups boot with sahab's node bootstrap
# description: >-
#   An EKS managed node group's nodes must boot with the user data sahab's node bootstrap renders
#   (components/node_bootstrap): SSH disabled or key-only without root login or passwords, audit
#   rules for identity files, kernel modules and the container runtime, kernel hardening sysctls,
#   the NVIDIA runtime on GPU nodes, and kubelet with the read-only port off, anonymous auth off and
#   protectKernelDefaults on. The launch template's userData must decode to exactly one of the
#   library's renders (policies/lib/node_bootstrap.rego, generated from the templates), so any
#   edit, however small, is seen. A node group without a launch template, or whose template has no
#   user data, boots with EKS defaults and fails. A bootstrap reviewed outside the library is
#   accepted through a waiver of this rule for that launch template (waivers.yaml: who reviewed it,
#   until when), never silently.
# custom:
#   id: SAHAB-NOD-001
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     The launch template's userData, when computed at deploy time or secret, or a launch template
#     outside the plan.
#   remediation: >-
#     Use sahab's GpuTrainingPool or InferencePool (bootstrap=NodeBootstrap(ssh="disabled" or
#     "key-only")), or set the launch template's user_data to
#     sahab.components.node_bootstrap.al2023_user_data(...); for a bootstrap reviewed elsewhere,
#     record a waiver of SAHAB-NOD-001 for that launch template.
#   covers:
#     - aws:eks/nodeGroup:NodeGroup
#   controls:
#     - "UAE IA (NESA) T3.2.1: Common Systems Configuration Guidelines"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
#     - "ISO/IEC 27001:2022 A.8.9: Configuration management"
#     - "ISO/IEC 27001:2022 A.8.15: Logging"
package sahab.rules.node.bootstrap_from_library

import data.sahab.lib.node_bootstrap
import data.sahab.lib.plan
import rego.v1

_template_type := "aws:ec2/launchTemplate:LaunchTemplate"

# Each node group is judged once: ["deny" | "deferred" | "ok", finding].
_results contains [kind, plan.finding(r, message)] if {
	some r in plan.created_of_type("aws:eks/nodeGroup:NodeGroup")
	[kind, message] := _outcome(r)
	kind != "ok"
}

_launch_template(r) := plan.value_at(object.get(r, "inputs", {"$unknown": true}), ["launchTemplate"])

_outcome(r) := ["deny", sprintf("%s has no launch template: its nodes boot with EKS defaults, without sahab's node bootstrap", [r.name])] if {
	_launch_template(r) == null
} else := [kind, message] if {
	some template in plan.points_to(r, "launchTemplate", _template_type)
	[kind, message] := _user_data_outcome(r, template)
} else := ["deferred", sprintf("%s: its launch template is outside the plan (or only known at deploy time)", [r.name])]

_user_data_outcome(r, template) := ["deny", sprintf("%s: launch template %s has no user data: nodes boot without sahab's node bootstrap", [r.name, template.name])] if {
	_user_data(template) == null
} else := ["deferred", sprintf("%s: launch template %s's user data is only known at deploy time", [r.name, template.name])] if {
	not plan.is_known(_user_data(template))
} else := ["ok", ""] if {
	# Encoding the library's renders (rather than decoding the plan's value) cannot fail on bad input.
	some text in node_bootstrap.renders
	base64.encode(text) == _user_data(template)
} else := ["deny", sprintf("%s: launch template %s's user data is not sahab's node bootstrap (a changed or foreign render); use NodeBootstrap, or waive SAHAB-NOD-001 for a reviewed one", [r.name, template.name])]

_user_data(template) := plan.value_at(object.get(template, "inputs", {"$unknown": true}), ["userData"])

deny contains f if some ["deny", f] in _results

deferred contains f if some ["deferred", f] in _results
