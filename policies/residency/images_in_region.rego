# METADATA
# title: Container images come from in-region registries
# description: >-
#   Every container image a Kubernetes workload runs (containers, initContainers,
#   ephemeralContainers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
#   CronJobs) must be pulled from a registry inside the UAE: Amazon ECR in me-central-1
#   (<account>.dkr.ecr.me-central-1.amazonaws.com/...), or an Azure Container Registry that the
#   plan itself declares in uaenorth or uaecentral (<name>.azurecr.io/...). Public registries
#   (Docker Hub, ghcr.io, quay.io, registry.k8s.io) serve from outside the UAE and are denied. An
#   image that is only known at deploy time is deferred, unless the known start of an image
#   built from deploy-time outputs already names its registry host.
# custom:
#   id: SAHAB-RES-006
#   severity: high
#   enforcement: mandatory
#   deferred_on: >-
#     A container's image, or a pod's container list, when computed at deploy time and the
#     registry host is not in the image's known start (an image URI that begins with a
#     repository's output).
#   remediation: >-
#     Mirror the image into ECR in me-central-1 (or a UAE Azure Container Registry declared in the
#     same program) and reference it by that registry's host name, ideally by digest.
#   covers_sets:
#     - kubernetes-pod-workloads
#     - kubernetes-pod-workload-patches-and-lists
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: Cross-Border Transfer and Sharing of Personal Data for Processing Purposes if a Proper Protection Level is Available"
#     - "UAE IA (NESA) T6.3.1: Information Security Requirements for Cloud Environments"
#     - "ISO/IEC 27001:2022 A.5.23: Information security for use of cloud services"
#     - "ISO/IEC 27001:2022 A.8.19: Installation of software on operational systems"
package sahab.rules.residency.images_in_region

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import data.sahab.lib.value as values
import rego.v1

_ecr_in_uae := `^[0-9]{12}\.dkr\.ecr\.me-central-1\.amazonaws\.com/`

# Login servers of Azure Container Registries the plan declares in the UAE.
_uae_acr_hosts contains sprintf("%s.azurecr.io", [lower(name)]) if {
	some r in plan.of_type("azure-native:containerregistry:Registry")
	plan.canonical_region(r.region) in data.sahab.lib.plan.uae_regions
	name := object.get(r.inputs, "registryName", r.name)
	is_string(name)
}

_in_region(image) if regex.match(_ecr_in_uae, image)

_in_region(image) if {
	host := lower(split(image, "/")[0])
	host in _uae_acr_hosts
}

# Pod specs and containers come from k8s.created_pod_specs and k8s.created_containers, read once
# per evaluation for all the workload rules.

# The image of a container entry.
_image(c) := k8s.value_at(c.container, ["image"])

# The text of an image that names its registry: the image, or the known start of an image built
# from deploy-time outputs when it already holds the registry host (up to the first "/"):
# "123456789012.dkr.ecr.me-central-1.amazonaws.com/app:" + <tag> is judged, <registry> + "/app" waits.
_registry_text(image) := image if {
	is_string(image)
} else := prefix if {
	values.is_partial(image)
	prefix := values.known_prefix(image)
	contains(prefix, "/")
}

deny contains plan.finding(c.resource, sprintf("%s: %s pulls %s from outside the UAE's registries", [c.resource.name, c.where, values.display(image)])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	image := _image(c)
	text := _registry_text(image)
	not _in_region(text)
}

deferred contains plan.finding(c.resource, sprintf("%s: the image of %s is only known at deploy time", [c.resource.name, c.where])) if {
	some c in data.sahab.lib.kubernetes.created_containers
	plan.is_known(c.container)
	image := _image(c)
	not plan.is_known(image)
	not _registry_text(image)
}

# Every managed workload, `read` lookups included.
deferred contains plan.finding(s.resource, sprintf("%s: the containers of %s are only known at deploy time", [s.resource.name, s.where])) if {
	some s in data.sahab.lib.kubernetes.created_pod_specs
	not plan.is_known(s.spec)
}

deferred contains plan.finding(r, sprintf("%s: the containers of %s are only known at deploy time", [r.name, s.where])) if {
	some r in data.sahab.lib.kubernetes.managed_workloads
	object.get(r, "mode", "create") == "read"
	some s in k8s.pod_specs(r)
	not plan.is_known(s.spec)
}
