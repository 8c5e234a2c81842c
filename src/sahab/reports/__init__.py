"""Human- and machine-readable renderings of plans (and, later, gate findings)."""
