"""Inference nodes (the inventory's ``inference`` role) carry sahab's node bootstrap (verify/node_checks.py)."""
from __future__ import annotations

from sahab.verify.node_checks import (  # noqa: F401 - collected here, for this role's hosts
    test_sahab_nod_001_audit_rules_configured,
    test_sahab_nod_001_auditd_running_with_rules,
    test_sahab_nod_001_kernel_sysctls_configured,
    test_sahab_nod_001_kernel_sysctls_live,
    test_sahab_nod_001_kubelet_anonymous_auth_off,
    test_sahab_nod_001_kubelet_protects_kernel_defaults,
    test_sahab_nod_001_kubelet_read_only_port_off,
    test_sahab_nod_001_sshd_key_only,
)

ROLE = "inference"
