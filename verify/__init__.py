"""sahab's post-deploy verification suites (pytest-testinfra), run by ``sahab verify`` (docs/verify.md).

Each test is named after the control it checks and marked ``@pytest.mark.controls(...)`` with the
ids of the Rego rules that prove the same control at plan time, so the evidence report can show
both side by side. Host suites declare ``ROLE`` (one of sahab.verification.inventory.ROLES) and
run against that role's hosts only; the endpoint suite runs from the verifying machine.
"""
