"""Shared test configuration: services check, emulator fixtures, API clients."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.accounts",
    "tests.fixtures.schemas",
    "tests.fixtures.salesforce",
    "tests.fixtures.dynamics",
    "tests.fixtures.crm_accounts",
    "tests.fixtures.crm_drivers",
    "tests.fixtures.celery_worker",
    "tests.fixtures.task_runner",
]
