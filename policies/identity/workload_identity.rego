# METADATA
# title: Pods use workload identity, not cloud keys in the environment
# description: >-
#   Pods should get cloud credentials from workload identity (EKS IRSA or Pod Identity, Azure
#   Workload Identity), not from static keys handed to containers. Reports any container,
#   init container or ephemeral container of a kubernetes workload (Pod, Deployment,
#   StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate, their
#   Patch and List forms) with an env var AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#   AWS_SESSION_TOKEN or AZURE_CLIENT_SECRET, whether a literal value or taken from a Secret.
#   Whether a service account really needs a cloud role cannot be told from the plan, so IRSA or
#   Pod Identity is not required of every service account; a cloud key handed to a pod is a
#   static key, so this is mandatory, one of the zero-trust controls sahab promises
#   (docs/controls.md). A pod spec, container or env list only known at deploy time is deferred.
# custom:
#   id: SAHAB-IAM-002
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A pod spec, its containers, or a container's environment variable names, when computed at
#     deploy time.
#   remediation: >-
#     Remove the key env vars; on EKS annotate the pod's service account with
#     eks.amazonaws.com/role-arn (IRSA) or create an aws.eks.PodIdentityAssociation, on AKS use
#     Azure Workload Identity (azure.workload.identity/client-id on the service account and the
#     azure.workload.identity/use label on the pod), and rotate and delete the exposed keys.
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 20: Personal Data Security"
#     - "UAE IA (NESA) T5.2.3: User Security Credentials Management"
#     - "ISO/IEC 27001:2022 A.5.17: Authentication information"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
package sahab.rules.identity.workload_identity

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_credential_vars := {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET"}

# Pod specs and containers come from k8s.created_pod_specs and k8s.created_containers, read once
# per evaluation for all the workload rules.

# The env list of a container entry.
_env(c) := k8s.value_at(c.container, ["env"])

_how(item) := "from a Secret or ConfigMap" if k8s.value_at(item, ["valueFrom"]) != null

else := "as a literal value"

deny contains plan.finding(c.resource, sprintf("%s passes %s to %s %s: use workload identity (IRSA, EKS Pod Identity, Azure Workload Identity)", [c.resource.name, name, c.where, _how(item)])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	item := k8s.items(_env(c))[_]
	name := k8s.value_at(item, ["name"])
	is_string(name)
	upper(name) in _credential_vars
}

deferred contains plan.finding(c.resource, sprintf("%s: the environment of %s is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	_unknown_env(_env(c))
}

_unknown_env(env) if not plan.is_known(env)

_unknown_env(env) if {
	item := k8s.items(env)[_]
	not plan.is_known(k8s.value_at(item, ["name"]))
}

deferred contains plan.finding(s.resource, sprintf("%s: %s is only known at deploy time", [s.resource.name, sprintf("the pod spec (%s)", [s.where])])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}

deferred contains plan.finding(c.resource, sprintf("%s: %s is only known at deploy time", [c.resource.name, sprintf("the containers of %s", [c.spec])])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	not plan.is_known(c.container)
}
