package sahab.rules.network.no_direct_internet_access_test

import data.sahab.rules.network.no_direct_internet_access as rule
import rego.v1

_res(type_token, inputs) := {
	"urn": sprintf("urn:pulumi:dev::p::%s::ml", [type_token]), "type": type_token, "name": "ml",
	"custom": true, "mode": "create", "region": "me-central-1", "regionSource": "provider",
	"inputs": inputs, "propertyDependencies": {}, "provider": null,
}

_plan(r) := {"resources": [r]}

_notebook := "aws:sagemaker/notebookInstance:NotebookInstance"

_domain := "aws:sagemaker/domain:Domain"

test_notebooks_and_domains_on_the_internet_are_denied if {
	every c in [
		[_notebook, {"instanceType": "ml.t3.medium"}, "not set"],
		[_notebook, {"directInternetAccess": "Enabled"}, "is Enabled"],
		[_domain, {"authMode": "IAM"}, "PublicInternetOnly"],
		[_domain, {"appNetworkAccessType": "PublicInternetOnly"}, "is PublicInternetOnly"],
	] {
		p := _plan(_res(c[0], c[1]))
		some f in rule.deny with input as p
		contains(f.message, c[2])
		count(rule.deferred) == 0 with input as p
	}
}

test_notebooks_and_domains_in_the_vpc_pass if {
	every c in [
		[_notebook, {"directInternetAccess": "Disabled", "subnetId": "subnet-1", "securityGroups": ["sg-1"]}],
		[_domain, {"appNetworkAccessType": "VpcOnly", "subnetIds": ["subnet-1"]}],
		[_domain, {"appNetworkAccessType": "vpconly"}],
	] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 0 with input as p
	}
}

test_unknown_settings_are_deferred if {
	every c in [[_notebook, {"directInternetAccess": {"$unknown": true}}], [_domain, {"appNetworkAccessType": {"$unknown": true}}]] {
		p := _plan(_res(c[0], c[1]))
		count(rule.deny) == 0 with input as p
		count(rule.deferred) == 1 with input as p
	}
}

test_other_types_are_not_judged if {
	p := _plan(_res("aws:sagemaker/endpoint:Endpoint", {"endpointConfigName": "x"}))
	count(rule.deny) == 0 with input as p
}
