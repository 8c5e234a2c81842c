"""The drift job's errors: one family with sahab's (exit codes in :mod:`sahab.errors`)."""
from __future__ import annotations

from ..errors import EXIT_USAGE, SahabError


class DriftDataError(SahabError):
    """The data cannot be judged as it is (a missing column, no reference, too few inputs): the fix
    is in the data or its logging, and the check reports no verdict rather than a pass."""

    exit_code = EXIT_USAGE
