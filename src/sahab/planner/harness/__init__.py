"""The mock harness: the part of the planner that runs *inside* the program's interpreter.

It may be loaded into a foreign virtualenv (the one a program's ``Pulumi.yaml`` names), so it
imports nothing but the standard library and the Pulumi SDK that the program itself depends on,
and it must keep working on older SDKs and Python 3.8+. Everything else (regions, sorting, the
plan document) happens in the parent process.
"""
