package sahab.rules.network.public_network_access_disabled_test

import data.sahab.rules.network.public_network_access_disabled as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::x", [type_token]), "type": type_token, "name": "x",
	"custom": true, "mode": "create", "region": "uaenorth", "regionSource": "resource",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

test_azure_services_with_public_access_are_denied if {
	every c in [
		["azure-native:storage:StorageAccount", {"publicNetworkAccess": "Enabled"}],
		["azure-native:storage:StorageAccount", {}],
		["azure-native:keyvault:Vault", {"properties": {"publicNetworkAccess": "enabled", "tenantId": "t"}}],
		["azure-native:containerregistry:Registry", {"sku": {"name": "Premium"}}],
		["azure-native:cosmosdb:DatabaseAccount", {"publicNetworkAccess": "Enabled"}],
		["azure-native:storage/v20230101:StorageAccount", {"publicNetworkAccess": "Enabled"}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 1 with input as p
	}
}

test_azure_services_with_public_access_disabled_pass if {
	every c in [
		["azure-native:storage:StorageAccount", {"publicNetworkAccess": "Disabled"}],
		["azure-native:keyvault:Vault", {"properties": {"publicNetworkAccess": "disabled", "tenantId": "t"}}],
		["azure-native:containerregistry:Registry", {"publicNetworkAccess": "Disabled"}],
		["azure-native:cosmosdb:DatabaseAccount", {"publicNetworkAccess": "Disabled"}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_key_vault_with_unknown_properties_is_deferred if {
	p := _plan(_res("azure-native:keyvault:Vault", {"properties": {"$unknown": true}}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 1 with input as p
}

test_public_rds_instance_is_denied if {
	p := _plan(_res("aws:rds/instance:Instance", {"engine": "postgres", "publiclyAccessible": true}))
	count(rule.deny) == 1 with input as p
}

test_private_rds_instance_passes if {
	p := _plan(_res("aws:rds/clusterInstance:ClusterInstance", {"engine": "aurora-postgresql", "publiclyAccessible": false}))
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
	q := _plan(_res("aws:rds/instance:Instance", {"engine": "postgres"}))
	count(rule.deny) == 0 with input as q
}

test_rds_unknown_is_deferred if {
	p := _plan(_res("aws:rds/instance:Instance", {"publiclyAccessible": {"$unknown": true}}))
	count(rule.deferred) == 1 with input as p
}

# --- services that open a public endpoint by themselves --------------------------------------

test_more_azure_services_left_public_are_denied if {
	every c in [
		["azure-native:sql:Server", {"minimalTlsVersion": "1.2"}],
		["azure-native:sql:Server", {"publicNetworkAccess": "SecuredByPerimeter"}],
		["azure-native:redis:Redis", {"sku": {"name": "Premium"}}],
		["azure-native:cache:Redis", {"publicNetworkAccess": "Enabled"}],
		["azure-native:servicebus:Namespace", {"sku": {"name": "Premium"}}],
		["azure-native:eventhub:Namespace", {"publicNetworkAccess": "SecuredByPerimeter"}],
		["azure-native:machinelearningservices:Workspace", {"publicNetworkAccess": "Enabled"}],
		["azure-native:search:Service", {"sku": {"name": "standard"}}],
		["azure-native:web:WebApp", {"kind": "functionapp", "httpsOnly": true}],
		["azure-native:web:WebAppSlot", {"publicNetworkAccess": ""}],
		["azure-native:dbforpostgresql:Server", {"version": "16"}],
		["azure-native:dbforpostgresql/v20240801:Server", {"network": {"publicNetworkAccess": "Enabled"}}],
		["azure-native:dbformysql:Server", {"network": {"publicNetworkAccess": "Enabled", "delegatedSubnetResourceId": "/s/subnets/db"}}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 1 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_more_azure_services_made_private_pass if {
	every c in [
		["azure-native:sql:Server", {"publicNetworkAccess": "Disabled"}],
		["azure-native:redis:Redis", {"publicNetworkAccess": "Disabled"}],
		["azure-native:servicebus:Namespace", {"publicNetworkAccess": "Disabled"}],
		["azure-native:eventhub:Namespace", {"publicNetworkAccess": "Disabled"}],
		["azure-native:machinelearningservices:Workspace", {"publicNetworkAccess": "Disabled"}],
		["azure-native:search:Service", {"publicNetworkAccess": "disabled"}],
		["azure-native:web:WebApp", {"kind": "functionapp", "publicNetworkAccess": "Disabled"}],
		["azure-native:dbforpostgresql:Server", {"network": {"publicNetworkAccess": "Disabled"}}],
		["azure-native:dbformysql:Server", {"network": {"delegatedSubnetResourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/db"}}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_flexible_server_subnet_from_the_plan_is_private_and_from_nowhere_deferred if {
	subnet := _res("azure-native:network:Subnet", {"addressPrefix": "10.0.4.0/24"})
	server := object.union(
		_res("azure-native:dbforpostgresql:Server", {"network": {"delegatedSubnetResourceId": {"$unknown": true}}}),
		{"propertyDependencies": {"network": [subnet.urn]}},
	)
	p := {"resources": [subnet, server]}
	count(rule.deny) == 0 with input as p
	count(rule.deferred) == 0 with input as p
	q := _plan(_res("azure-native:dbforpostgresql:Server", {"network": {"delegatedSubnetResourceId": {"$unknown": true}}}))
	count(rule.deny) == 0 with input as q
	count(rule.deferred) == 1 with input as q
	u := _plan(_res("azure-native:servicebus:Namespace", {"publicNetworkAccess": {"$unknown": true}}))
	count(rule.deferred) == 1 with input as u
}

test_aws_public_endpoints_are_denied if {
	every c in [
		["aws:redshift/cluster:Cluster", {"publiclyAccessible": true}],
		["aws:redshiftserverless/workgroup:Workgroup", {"publiclyAccessible": true}],
		["aws:neptune/clusterInstance:ClusterInstance", {"publiclyAccessible": "true"}],
		["aws:dms/replicationInstance:ReplicationInstance", {"replicationInstanceClass": "dms.t3.micro"}],
		["aws:opensearch/domain:Domain", {"engineVersion": "OpenSearch_2.13"}],
		["aws:elasticsearch/domain:Domain", {"elasticsearchVersion": "7.10"}],
		["aws:msk/cluster:Cluster", {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}}}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 1 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_aws_private_endpoints_pass if {
	every c in [
		["aws:redshift/cluster:Cluster", {"clusterType": "single-node"}],
		["aws:redshiftserverless/workgroup:Workgroup", {"publiclyAccessible": false}],
		["aws:dms/replicationInstance:ReplicationInstance", {"publiclyAccessible": false}],
		["aws:opensearch/domain:Domain", {"vpcOptions": {"subnetIds": ["subnet-1"], "securityGroupIds": [{"$unknown": true}]}}],
		["aws:msk/cluster:Cluster", {"brokerNodeGroupInfo": {"clientSubnets": ["subnet-1"]}}],
		["aws:msk/cluster:Cluster", {"brokerNodeGroupInfo": {"connectivityInfo": {"publicAccess": {"type": "DISABLED"}}}}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_aws_unknown_endpoint_settings_are_deferred if {
	every c in [
		["aws:opensearch/domain:Domain", {"vpcOptions": {"$unknown": true}}],
		["aws:msk/cluster:Cluster", {"brokerNodeGroupInfo": {"connectivityInfo": {"$unknown": true}}}],
		["aws:dms/replicationInstance:ReplicationInstance", {"publiclyAccessible": {"$secret": true}}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}
