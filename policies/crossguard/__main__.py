"""The CrossGuard pack program: Pulumi runs this file to serve sahab's rules (it blocks).

Nothing imports it: policies/crossguard/ has no ``__init__.py`` and is not part of the
``sahab.policies`` package. See docs/crossguard.md.
"""
from sahab.crossguard.pack import build_policy_pack

build_policy_pack()
