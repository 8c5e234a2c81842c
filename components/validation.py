"""Argument checks shared by every component: fail before any resource is registered."""
from __future__ import annotations

import ipaddress
import re
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "ComponentInputError", "DNS_LABEL", "input_list", "known_length", "require_choice", "require_cidrs", "require_labels",
    "require_name", "require_non_empty", "require_size_range",
]

import pulumi

from .errors import ComponentInputError

# A Kubernetes DNS-1123 label: namespace, service account and most object names.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def require_name(component: str, name: object) -> str:
    """Logical names end up in bucket, cluster and role names: lowercase, digits and dashes."""
    if not isinstance(name, str) or not name.strip():
        raise ComponentInputError("%s: name must be a non-empty string" % component)
    if len(name) > 40 or not _NAME.match(name):
        raise ComponentInputError(
            "%s: name %r must be 1-40 lowercase letters, digits or dashes, starting and ending with a letter or digit"
            % (component, name)
        )
    return name


def require_size_range(component: str, min_size: int, max_size: int, desired: Optional[int] = None,
                       allow_zero: bool = True, names: Tuple[str, str] = ("min_size", "max_size")) -> None:
    """Autoscaling bounds: 0 <= min <= desired <= max, max >= 1 (``names``: the arguments as the
    component calls them, e.g. AKS's ``min_count``/``max_count``)."""
    low, high = names
    floor = 0 if allow_zero else 1
    if min_size < floor:
        raise ComponentInputError("%s: %s must be >= %d, got %d" % (component, low, floor, min_size))
    if max_size < 1:
        raise ComponentInputError("%s: %s must be >= 1, got %d" % (component, high, max_size))
    if min_size > max_size:
        raise ComponentInputError("%s: %s (%d) must not exceed %s (%d)" % (component, low, min_size, high, max_size))
    if desired is not None and not min_size <= desired <= max_size:
        raise ComponentInputError(
            "%s: desired_size (%d) must be between %s (%d) and %s (%d)" % (component, desired, low, min_size, high, max_size)
        )


def require_choice(component: str, argument: str, value: str, choices: Iterable[str]) -> str:
    allowed = sorted(set(choices))
    if value not in allowed:
        raise ComponentInputError("%s: %s %r is not allowed; choose one of: %s" % (component, argument, value, ", ".join(allowed)))
    return value


def is_whole(value: object) -> bool:
    """An int that is not a bool (``True`` is an int to Python, never a count to a user)."""
    return isinstance(value, int) and not isinstance(value, bool)


def require_whole(component: str, argument: str, value: object, minimum: int) -> int:
    if not is_whole(value) or value < minimum:  # type: ignore[operator]
        raise ComponentInputError("%s: %s must be a whole number >= %d, got %r" % (component, argument, minimum, value))
    return value  # type: ignore[return-value]


def require_port(component: str, argument: str, port: object) -> int:
    if not is_whole(port) or not 1 <= port <= 65535:  # type: ignore[operator]
        raise ComponentInputError("%s: %s must be a port number (1-65535), got %r" % (component, argument, port))
    return port


def require_non_empty(component: str, argument: str, values: Sequence[object]) -> None:
    if not values:
        raise ComponentInputError("%s: %s must not be empty" % (component, argument))


def input_list(value: "pulumi.Input[Sequence[pulumi.Input[str]]]") -> "pulumi.Input[List[pulumi.Input[str]]]":
    """A list argument as given: a Python sequence is copied, an Output (e.g. Network's
    ``private_subnet_ids``) is passed through untouched."""
    return value if isinstance(value, pulumi.Output) else list(value)  # type: ignore[arg-type]


def known_length(value: object) -> Optional[int]:
    """The number of items, or None when the list is an Output known only at deploy time."""
    return None if isinstance(value, pulumi.Output) else len(list(value))  # type: ignore[call-overload]


def require_cidrs(component: str, argument: str, cidrs: Sequence[str], *, private_only: bool) -> None:
    """Valid IPv4/IPv6 networks, never the whole internet (and private ranges where asked)."""
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except (TypeError, ValueError):
            raise ComponentInputError("%s: %s entry %r is not a valid CIDR block" % (component, argument, cidr)) from None
        if network.prefixlen == 0:
            raise ComponentInputError(
                "%s: %s must not contain %s (the whole internet); list the networks that need access"
                % (component, argument, cidr)
            )
        if private_only and not network.is_private:
            raise ComponentInputError(
                "%s: %s entry %s is not a private range; only addresses inside the VPC may connect"
                % (component, argument, cidr)
            )


def require_labels(component: str, labels: Mapping[str, str], reserved: Mapping[str, str] = {}) -> None:
    for key, value in labels.items():
        prefix, _, label_name = key.rpartition("/")
        if not _LABEL_NAME.match(label_name or "") or (prefix and (len(prefix) > 253 or not _LABEL_PREFIX.match(prefix))):
            raise ComponentInputError("%s: label key %r is not a valid Kubernetes label key" % (component, key))
        if not isinstance(value, str) or (value and not _LABEL_NAME.match(value)):
            raise ComponentInputError("%s: label %s has an invalid value %r" % (component, key, value))
        if key in reserved and reserved[key] != value:
            raise ComponentInputError(
                "%s: label %s is set by the pool (%s=%s) and cannot be overridden"
                % (component, key, key, reserved[key])
            )
