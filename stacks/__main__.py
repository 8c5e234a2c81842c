"""Pulumi entry point of the reference platform (`pulumi up --stack prod`, `sahab plan --stack azure-prod`).

``sahab-platform:cloud`` in ``Pulumi.<stack>.yaml`` chooses the cloud: ``aws`` (the default) or ``azure``.
"""
from sahab.stacks.settings import stack_cloud
from sahab.stacks.verification_outputs import aws_verify_outputs, azure_verify_outputs, export_verify_outputs

if stack_cloud() == "azure":
    from sahab.stacks.azure_platform import build_azure_platform
    from sahab.stacks.azure_services import build_azure_platform_services
    from sahab.stacks.settings import AzurePlatformSettings

    azure_settings = AzurePlatformSettings.from_config()
    build_azure_platform_services(azure_settings, build_azure_platform(azure_settings))
    export_verify_outputs(azure_verify_outputs(azure_settings))
else:
    from sahab.stacks.aws_platform import build_aws_platform
    from sahab.stacks.platform_services import build_platform_services
    from sahab.stacks.settings import PlatformSettings

    settings = PlatformSettings.from_config()
    build_platform_services(settings, build_aws_platform(settings))
    export_verify_outputs(aws_verify_outputs(settings))
