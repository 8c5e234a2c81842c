"""``sahab verify``: run the post-deploy suites (:mod:`sahab.verify`) against a deployed stack.

Nothing here imports pytest or testinfra on import (``sahab[verify]`` is an extra): the runner
starts them in a child process, and the result file is plain JSON the gate reads for evidence.
"""
from .inventory import (ENDPOINTS_OUTPUT, HOSTS_OUTPUT, ROLES, Endpoint, Inventory, inventory_from_flags,
                        inventory_from_stack_outputs, load_inventory_file)
from .results import TestResult, VerifyResults, load_results
from .run import VerifyRun, stack_outputs_from_pulumi, verify_stack

__all__ = ["ENDPOINTS_OUTPUT", "HOSTS_OUTPUT", "ROLES", "Endpoint", "Inventory", "TestResult", "VerifyResults", "VerifyRun",
           "inventory_from_flags", "inventory_from_stack_outputs", "load_inventory_file", "load_results",
           "stack_outputs_from_pulumi", "verify_stack"]
