"""AWS components for the UAE MLOps platform, pinned to me-central-1 (pulumi-aws v7)."""
from .base import AwsComponent
from .catalogue import UAE_AWS_REGION, UAE_AWS_REGIONS, RegionCatalogue, load_catalogue
from .provider import UaeProvider

__all__ = ["AwsComponent", "RegionCatalogue", "UAE_AWS_REGION", "UAE_AWS_REGIONS", "UaeProvider", "load_catalogue"]
