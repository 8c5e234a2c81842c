# METADATA
# title: Container images come from in-region registries
# description: >-
#   Every container image a Kubernetes workload runs (containers, initContainers,
#   ephemeralContainers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
#   CronJobs) must be pulled from a registry inside the UAE: Amazon ECR in me-central-1
#   (<account>.dkr.ecr.me-central-1.amazonaws.com/...), or an Azure Container Registry that the
#   plan itself declares in uaenorth or uaecentral (<name>.azurecr.io/...). Public registries
#   (Docker Hub, ghcr.io, quay.io, registry.k8s.io) serve from outside the UAE and are denied. An
#   image that is only known at deploy time is deferred.
# custom:
#   id: SAHAB-RES-006
#   severity: high
#   enforcement: mandatory
#   remediation: >-
#     Mirror the image into ECR in me-central-1 (or a UAE Azure Container Registry declared in the
#     same program) and reference it by that registry's host name, ideally by digest.
#   controls:
#     - "UAE PDPL (Federal Decree-Law 45/2021) Art. 22: cross-border transfer of personal data"
#     - "UAE IA (NESA) T6.3.2: cloud services and data residency"
#     - "ISO/IEC 27001:2022 A.5.23: information security for use of cloud services"
#     - "ISO/IEC 27001:2022 A.8.19: installation of software on operational systems"
package sahab.rules.residency.images_in_region

import data.sahab.lib.kubernetes as k8s
import data.sahab.lib.plan
import rego.v1

_ecr_in_uae := `^[0-9]{12}\.dkr\.ecr\.me-central-1\.amazonaws\.com/`

# Login servers of Azure Container Registries the plan declares in the UAE.
_uae_acr_hosts contains sprintf("%s.azurecr.io", [lower(name)]) if {
	some r in plan.resources
	r.type == "azure-native:containerregistry:Registry"
	plan.canonical_region(r.region) in plan.uae_regions
	name := object.get(r.inputs, "registryName", r.name)
	is_string(name)
}

_in_region(image) if regex.match(_ecr_in_uae, image)

_in_region(image) if {
	host := lower(split(image, "/")[0])
	host in _uae_acr_hosts
}

# [resource, where, image] for every container of every workload.
_images contains [r, sprintf("%s.%s", [s.where, c.where]), k8s.value_at(c.container, ["image"])] if {
	some r in plan.managed
	object.get(r, "mode", "create") != "read"
	k8s.is_workload(r)
	some s in k8s.pod_specs(r)
	plan.is_known(s.spec)
	some c in k8s.containers(s.spec)
	plan.is_known(c.container)
}

deny contains plan.finding(r, sprintf("%s: %s pulls %s from outside the UAE's registries", [r.name, where, image])) if {
	some [r, where, image] in _images
	is_string(image)
	not _in_region(image)
}

deferred contains plan.finding(r, sprintf("%s: the image of %s is only known at deploy time", [r.name, where])) if {
	some [r, where, image] in _images
	not plan.is_known(image)
}

deferred contains plan.finding(r, sprintf("%s: the containers of %s are only known at deploy time", [r.name, s.where])) if {
	some r in plan.managed
	k8s.is_workload(r)
	some s in k8s.pod_specs(r)
	not plan.is_known(s.spec)
}
