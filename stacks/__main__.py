"""Pulumi entry point of the reference platform (`pulumi up --stack prod`, `sahab plan --stack prod`)."""
from sahab.stacks.aws_platform import build_aws_platform
from sahab.stacks.platform_services import build_platform_services
from sahab.stacks.settings import PlatformSettings

settings = PlatformSettings.from_config()
build_platform_services(settings, build_aws_platform(settings))
