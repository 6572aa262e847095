"""Salesforce: the connector (simple-salesforce over the account's own TLS session)
and, under `emulator/`, an HTTPS Salesforce emulator to develop and test against."""
