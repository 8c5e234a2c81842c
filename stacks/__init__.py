"""Reference stacks: the sahab components composed into a per-environment platform.

``stacks/__main__.py`` is the Pulumi program (``Pulumi.yaml`` points ``main`` here); the
environment differences live in ``Pulumi.<env>.yaml`` at the repository root.
"""
