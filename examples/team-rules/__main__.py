"""Two KMS keys pinned to the UAE: sahab's rules pass both; ACME's own rule (policies/) wants an
`owner` tag on every AWS resource, which the `scratch` key lacks."""
import pulumi
import pulumi_aws as aws

uae = aws.Provider("uae", region="me-central-1")
in_uae = pulumi.ResourceOptions(provider=uae)

aws.kms.Key("data", description="ML data", enable_key_rotation=True, deletion_window_in_days=30,
            tags={"owner": "ml-platform@acme.ae"}, opts=in_uae)
aws.kms.Key("scratch", description="Scratch space", enable_key_rotation=True, deletion_window_in_days=7,
            tags={"purpose": "scratch"}, opts=in_uae)
