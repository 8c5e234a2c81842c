"""The suites' ``controls`` marker, so this session (--strict-markers) can import them (test_suites.py)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "controls(*rule_ids): the Rego rule ids a verify suite test proves at run time")
