"""Reusable Pulumi components for the UAE MLOps platform, secure by default.

Each cloud has its own subpackage (``sahab.components.aws``); shared input validation lives in
:mod:`sahab.components.validation`. Every component validates its arguments *before* it
registers anything, so bad input never leaves half a component in the plan.
"""
