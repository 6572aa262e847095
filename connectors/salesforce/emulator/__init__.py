"""A stateful HTTPS emulator of the Salesforce REST, SOAP login, OAuth and Bulk API
2.0 endpoints, faithful enough that simple-salesforce cannot tell the difference.

`SalesforceEmulator` (in `emulator.py`) is the entry point for tests and demos;
`python -m connectors.salesforce.emulator` serves it from the command line.
"""

from .emulator import SalesforceEmulator

__all__ = ["SalesforceEmulator"]
