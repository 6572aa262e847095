"""The Salesforce external account's settings: the form's fields (`SETTINGS_SPEC`)
and the typed options the connector reads from an AccountConfig."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import AccountConfig, SettingSpec

DEFAULT_SERVER_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "62.0"
AUTH_FLOWS = (
    ("password", "Username, password and security token"),
    ("client_credentials", "OAuth client credentials (connected app)"),
    ("refresh_token", "OAuth refresh token (connected app)"),
    ("jwt_bearer", "OAuth JWT bearer (connected app certificate)"),
)

SETTINGS_SPEC = (
    SettingSpec("auth_flow", "Authentication", default="password", choices=AUTH_FLOWS, required=True,
                help_text="How crmsync logs in. The login server is the account's server URL: "
                          "https://login.salesforce.com, https://test.salesforce.com for sandboxes, or your My Domain URL."),
    SettingSpec("username", "Username", required_when={"auth_flow": ("password", "jwt_bearer")}),
    SettingSpec("password", "Password", secret=True, required_when={"auth_flow": ("password",)}),
    SettingSpec("security_token", "Security token", secret=True,
                help_text="Appended to the password; not needed from trusted IP ranges."),
    SettingSpec("consumer_key", "Consumer key", required_when={"auth_flow": ("client_credentials", "refresh_token", "jwt_bearer")},
                help_text="The connected app's client id. With the password flow, it selects the OAuth password grant."),
    SettingSpec("consumer_secret", "Consumer secret", secret=True, required_when={"auth_flow": ("client_credentials",)}),
    SettingSpec("refresh_token", "Refresh token", secret=True, required_when={"auth_flow": ("refresh_token",)}),
    SettingSpec("private_key", "JWT private key (PEM)", secret=True, multiline=True, required_when={"auth_flow": ("jwt_bearer",)}),
    SettingSpec("bulk_read_threshold", "Bulk API read threshold", default="50000",
                help_text="Reads of more records than this use Bulk API 2.0 instead of REST query pages."),
    SettingSpec("bulk_write_threshold", "Bulk API write threshold", default="10000",
                help_text="Writes of more records than this use a Bulk API 2.0 ingest job instead of sObject Collections."),
    SettingSpec("overlap_seconds", "Incremental overlap (seconds)", default="300",
                help_text="Incremental reads start this long before the last watermark, so a record changed while the "
                          "previous run was reading is never missed."),
)


@dataclass(frozen=True)
class Options:
    version: str
    auth_flow: str
    bulk_read_threshold: int
    bulk_write_threshold: int
    overlap_seconds: float
    page_size: int = 2000
    bulk_page_size: int = 50_000
    bulk_poll_seconds: float = 2.0

    @classmethod
    def from_config(cls, config: AccountConfig) -> Options:
        number = lambda name, default: float(config.value(name, default) or default)
        return cls(
            version=(config.api_version or DEFAULT_API_VERSION).lstrip("v"),
            auth_flow=config.value("auth_flow", "password"),
            bulk_read_threshold=int(number("bulk_read_threshold", "50000")),
            bulk_write_threshold=int(number("bulk_write_threshold", "10000")),
            overlap_seconds=number("overlap_seconds", "300"),
            bulk_poll_seconds=number("bulk_poll_seconds", "2"),
        )
