# METADATA
# title: People sign in through federation, not IAM user passwords
# description: >-
#   An AWS iam UserLoginProfile gives an IAM user a long-lived console password. People should
#   sign in through IAM Identity Center or another identity provider (with MFA and central
#   joiner/leaver control) and assume roles. Advisory: break-glass users may need one, kept under
#   a documented exception.
# custom:
#   id: SAHAB-IAM-003
#   severity: medium
#   enforcement: advisory
#   remediation: >-
#     Remove the aws.iam.UserLoginProfile and give people access through IAM Identity Center
#     permission sets or a SAML/OIDC identity provider with MFA; keep any break-glass user
#     documented, MFA-protected and monitored.
#   covers:
#     - aws:iam/userLoginProfile:UserLoginProfile
#   controls:
#     - "UAE IA (NESA) T5.2.3: User Security Credentials Management"
#     - "ISO/IEC 27001:2022 A.5.16: Identity management"
#     - "ISO/IEC 27001:2022 A.5.17: Authentication information"
#     - "ISO/IEC 27001:2022 A.8.5: Secure authentication"
package sahab.rules.identity.no_console_passwords

import data.sahab.lib.plan
import rego.v1

deny contains plan.finding(r, sprintf("%s gives an IAM user a console password: sign people in through federation instead", [r.name])) if {
	some r in plan.created_of_type("aws:iam/userLoginProfile:UserLoginProfile")
}
