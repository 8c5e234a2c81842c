package sahab.rules.node.aks_bootstrap_from_library_test

import data.sahab.lib.node_bootstrap
import data.sahab.rules.node.aks_bootstrap_from_library as rule
import rego.v1

_res(type_token, name, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::%s", [type_token, name]), "type": type_token, "name": name,
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_pool_type := "azure-native:containerservice:AgentPool"

_cluster_type := "azure-native:containerservice:ManagedCluster"

_pool(settings) := _res(_pool_type, "gpu", object.union({"agentPoolName": "gpu", "mode": "User", "vmSize": "Standard_NC24ads_A100_v4"}, settings))

_cluster(profiles) := _res(_cluster_type, "ml", {"resourceName": "ml", "agentPoolProfiles": profiles})

_system(settings) := object.union({"name": "system", "mode": "System"}, settings)

_disabled := node_bootstrap.aks_renders.disabled

_messages(p) := {f.message | some f in rule.deny with input as p}

test_every_library_render_passes_on_a_pool_and_a_cluster if {
	count(node_bootstrap.aks_renders) == 2
	every render in node_bootstrap.aks_renders {
		p := {"resources": [_pool(render), _cluster([_system(render), _system(render)])]}
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_any_api_version_is_judged if {
	p := {"resources": [
		_res("azure-native:containerservice/v20240801:AgentPool", "gpu", {"agentPoolName": "gpu"}),
		_res("azure-native:containerservice/v20250101:ManagedCluster", "ml", {"agentPoolProfiles": [_system({})]}),
	]}
	count(rule.deny) == 6 with input as p
}

test_each_missing_property_is_denied_by_name if {
	_messages({"resources": [_pool(object.remove(_disabled, ["kubeletConfig"]))]}) == {"gpu: kubeletConfig is not set: the pool's nodes get AKS's defaults, not sahab's node bootstrap"}
	_messages({"resources": [_pool(object.remove(_disabled, ["linuxOSConfig"]))]}) == {"gpu: linuxOSConfig is not set: the pool's nodes get AKS's defaults, not sahab's node bootstrap"}
	_messages({"resources": [_pool(object.remove(_disabled, ["securityProfile"]))]}) == {"gpu: securityProfile is not set: the pool's nodes get AKS's defaults, not sahab's node bootstrap"}
}

test_ssh_enabled_is_denied if {
	p := {"resources": [_pool(object.union(_disabled, {"securityProfile": {"sshAccess": "Enabled"}}))]}
	_messages(p) == {"gpu: securityProfile is not sahab's node bootstrap (a changed or foreign setting); use NodeBootstrap, or waive SAHAB-NOD-002 for a reviewed one"}
}

test_an_added_setting_is_denied if {
	p := {"resources": [_pool(object.union(_disabled, {"kubeletConfig": {"allowedUnsafeSysctls": ["kernel.msg*"], "failSwapOn": true}}))]}
	_messages(p) == {"gpu: kubeletConfig is not sahab's node bootstrap (a changed or foreign setting); use NodeBootstrap, or waive SAHAB-NOD-002 for a reviewed one"}
	q := {"resources": [_pool(object.union(_disabled, {"linuxOSConfig": {"swapFileSizeMB": 0, "sysctls": {"netCoreSomaxconn": 4096}}}))]}
	_messages(q) == {"gpu: linuxOSConfig is not sahab's node bootstrap (a changed or foreign setting); use NodeBootstrap, or waive SAHAB-NOD-002 for a reviewed one"}
}

test_a_cluster_pool_is_named_by_its_position if {
	p := {"resources": [_cluster([_system(_disabled), _system(object.union(_disabled, {"linuxOSConfig": {"swapFileSizeMB": 1024}}))])]}
	some f in rule.deny with input as p
	f.message == "ml: agentPoolProfiles.1.linuxOSConfig is not sahab's node bootstrap (a changed or foreign setting); use NodeBootstrap, or waive SAHAB-NOD-002 for a reviewed one"
	f.type == _cluster_type
	count(rule.deny) == 1 with input as p
}

test_an_unknown_setting_is_deferred if {
	p := {"resources": [_pool(object.union(_disabled, {"kubeletConfig": {"allowedUnsafeSysctls": [], "failSwapOn": {"$unknown": true}}}))]}
	count(rule.deny) == 0 with input as p
	{f.message | some f in rule.deferred with input as p} == {"gpu: kubeletConfig is only known at deploy time"}
}

test_a_secret_setting_is_deferred if {
	p := {"resources": [_pool(object.union(_disabled, {"securityProfile": {"$secret": true}}))]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_unknown_pool_list_and_unknown_pool_inputs_are_deferred if {
	p := {"resources": [_cluster({"$unknown": true}), _res(_pool_type, "gpu", {"$unknown": true})]}
	count(rule.deny) == 0 with input as p
	{f.message | some f in rule.deferred with input as p} == {
		"ml: agentPoolProfiles is only known at deploy time",
		"gpu: securityProfile is only known at deploy time",
		"gpu: kubeletConfig is only known at deploy time",
		"gpu: linuxOSConfig is only known at deploy time",
	}
}

test_a_cluster_without_pool_profiles_and_a_read_pool_are_not_judged if {
	read := object.union(_res(_pool_type, "existing", {}), {"mode": "read"})
	p := {"resources": [_res(_cluster_type, "ml", {"resourceName": "ml"}), read]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
}

test_other_types_are_not_judged if {
	p := {"resources": [_res("azure-native:containerservice:MaintenanceConfiguration", "mc", {}), _res("aws:eks/nodeGroup:NodeGroup", "ng", {})]}
	count(rule.deny) == 0 with input as p
}
