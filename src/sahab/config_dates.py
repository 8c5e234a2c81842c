"""Dates in sahab's configuration files (waiver expiries, chart reviews), read one way.

YAML gives a date for ``2027-06-01`` and a string for a quoted one; an impossible date such as
``2027-13-45`` is a string too. Each is either a calendar date or one clear ``ConfigError``.
"""
from __future__ import annotations

import datetime
from typing import Any, Mapping

from .errors import ConfigError


def config_date(entry: Mapping[str, Any], key: str, where: str) -> datetime.date:
    value = entry[key]
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise ConfigError("%s has %s %r, which is not a date" % (where, key, entry[key]), "write it as YYYY-MM-DD")
    return value
