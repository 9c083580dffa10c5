"""HIL suites: the bench plugin (virtual time comes from the root conftest.py)."""

pytest_plugins = ("hil_tests.plugin",)
