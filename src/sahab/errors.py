"""Errors the CLI turns into one-line messages and documented exit codes.

Exit codes (see docs/cli.md):
  0  success
  1  the gate found mandatory violations
  2  usage, configuration or program error (the user can fix it)
  3  sahab's own failure: a planner limitation, an engine error, a timeout
  130  interrupted (Ctrl-C); 143  terminated (SIGTERM): the program's processes are killed first
"""
from __future__ import annotations

from typing import Optional

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM, raised where sahab is (like KeyboardInterrupt), so that every cleanup runs on the
    way out: the planned program's processes are killed and temporary folders removed."""


class SahabError(Exception):
    """Base error: carries the exit code and an optional hint on how to fix it."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: Optional[str] = None, details: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def one_line(self) -> str:
        """The message and hint on one line: names in them (a file, a stack, a key) are shown escaped."""
        from .reports.escape import plain

        return plain(self.message if not self.hint else "%s (%s)" % (self.message, self.hint))


class UsageError(SahabError):
    """Bad arguments or a project folder that is not a usable Pulumi project."""

    exit_code = EXIT_USAGE


class ConfigError(SahabError):
    """A Pulumi.yaml or Pulumi.<stack>.yaml that cannot be read as Pulumi would read it."""

    exit_code = EXIT_USAGE


class SetupError(UsageError):
    """A tool environment sahab needs (checkov, the CrossGuard pack) is missing, stale or could not
    be created: ``sahab setup`` or ``./bootstrap`` fixes it."""


class ProgramError(SahabError):
    """The Pulumi program itself raised: the fix is in the program, at the file and line given."""

    exit_code = EXIT_USAGE


class PlannerError(SahabError):
    """Something the planner could not do: a limitation of sahab, not a fault of the program."""

    exit_code = EXIT_INTERNAL


class VerificationError(SahabError):
    """``sahab verify`` could not run the suites (pytest crashed, timed out, wrote no results): never a pass."""

    exit_code = EXIT_INTERNAL
