"""Pulumi entry point of the reference platform (`pulumi up --stack prod`, `sahab plan --stack prod`)."""
from sahab.stacks.aws_platform import build_aws_platform

build_aws_platform()
