"""Generated platform credentials, described once for every cloud.

Why: MLflow's admin password, its Flask secret key, Grafana's admin password... must exist before
the services start but must never be typed into the program or the stack config. Each cloud's
secrets component (AWS ``PlatformSecrets`` in Secrets Manager, Azure ``PlatformSecrets`` in Key
Vault) generates a :class:`GeneratedSecret` with ``random.RandomPassword`` and stores it; this
module holds the description and its validation, so both clouds accept and refuse the same lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .validation import ComponentInputError, require_non_empty

MIN_LENGTH = 32

# Lowercase, digits and dashes, at most 48: valid as a Secrets Manager name part and a Key Vault secret name.
_SECRET_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$")


@dataclass(frozen=True)
class GeneratedSecret:
    """One generated value: letters and digits only (no quoting trouble in ini files, URLs or
    environment variables; 48 characters carry about 285 bits)."""

    name: str
    description: str
    length: int = 48


MLFLOW_ADMIN_PASSWORD = GeneratedSecret("mlflow-admin-password", "MLflow basic-auth admin password")
MLFLOW_FLASK_SECRET_KEY = GeneratedSecret("mlflow-flask-secret-key", "MLflow Flask secret key (CSRF), shared by all replicas")


def require_generated_secrets(component: str, secrets: Sequence[GeneratedSecret]) -> None:
    """A non-empty list of :class:`GeneratedSecret` with valid, distinct names and safe lengths."""
    require_non_empty(component, "secrets", list(secrets))
    seen = set()
    for index, secret in enumerate(secrets):
        where = "secrets[%d]" % index
        if not isinstance(secret, GeneratedSecret):
            raise ComponentInputError("%s: %s must be a GeneratedSecret, got %s" % (component, where, type(secret).__name__))
        if not isinstance(secret.name, str) or not _SECRET_NAME.match(secret.name):
            raise ComponentInputError(
                "%s: %s.name %r must be 1-48 lowercase letters, digits or dashes" % (component, where, secret.name))
        if secret.name in seen:
            raise ComponentInputError("%s: %s.name %r is repeated" % (component, where, secret.name))
        seen.add(secret.name)
        if not isinstance(secret.length, int) or isinstance(secret.length, bool) or not MIN_LENGTH <= secret.length <= 128:
            raise ComponentInputError(
                "%s: %s.length must be between %d and 128, got %r" % (component, where, MIN_LENGTH, secret.length))
