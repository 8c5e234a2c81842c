"""The pre-deploy gate: evaluate a plan against sahab's rules and decide.

Rules are Rego v1 modules under ``policies/`` (one rule per file, METADATA header); they run on
an embedded engine (regorus) or a real OPA server. checkov adds its library on Kubernetes
manifests, pipeline files and Dockerfiles. Everything ends as :class:`~sahab.gate.findings.Finding`.
"""
