"""The one error a component raises for bad input (kept free of imports, so the gate can share
:mod:`.regions` without loading the Pulumi SDK)."""


class ComponentInputError(ValueError):
    """A component argument is invalid; the message names the argument and the valid choices."""
