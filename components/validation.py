"""Argument checks shared by every component: fail before any resource is registered."""
from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


class ComponentInputError(ValueError):
    """A component argument is invalid; the message names the argument and the valid choices."""


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
                       allow_zero: bool = True) -> None:
    """Autoscaling bounds: 0 <= min <= desired <= max, max >= 1."""
    floor = 0 if allow_zero else 1
    if min_size < floor:
        raise ComponentInputError("%s: min_size must be >= %d, got %d" % (component, floor, min_size))
    if max_size < 1:
        raise ComponentInputError("%s: max_size must be >= 1, got %d" % (component, max_size))
    if min_size > max_size:
        raise ComponentInputError("%s: min_size (%d) must not exceed max_size (%d)" % (component, min_size, max_size))
    if desired is not None and not min_size <= desired <= max_size:
        raise ComponentInputError(
            "%s: desired_size (%d) must be between min_size (%d) and max_size (%d)" % (component, desired, min_size, max_size)
        )


def require_choice(component: str, argument: str, value: str, choices: Iterable[str]) -> str:
    allowed = sorted(set(choices))
    if value not in allowed:
        raise ComponentInputError("%s: %s %r is not allowed; choose one of: %s" % (component, argument, value, ", ".join(allowed)))
    return value


def require_non_empty(component: str, argument: str, values: Sequence[object]) -> None:
    if not values:
        raise ComponentInputError("%s: %s must not be empty" % (component, argument))
