"""The Microsoft Dynamics 365 connector: the Dataverse Web API through msal and
requests. Settings, capabilities and the Connector operations; the work is done
by `client` (HTTP, auth, retries), `entities` (metadata), `reading` and `writing`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from connectors.base import AccountConfig, Connector, SettingSpec
from connectors.errors import ConnectorError
from connectors.registry import register
from connectors.retry import RetryPolicy
from connectors.types import (
    ApiUsage,
    ConnectionResult,
    DeletedPage,
    Enumeration,
    Page,
    ReadRequest,
    RecordResult,
    TableDescription,
    TableInfo,
    WriteMode,
)

from .auth import AUTH_CERTIFICATE, AUTH_CLIENT_SECRET, AUTH_PASSWORD, Credentials
from .client import MAX_PAGE_SIZE, DataverseClient
from .entities import LISTING, EntityInfo, fetch_entities, fetch_entity, fetch_enumerations, set_names_of
from .reading import Reader
from .types import user_label
from .writing import MAX_BATCH, Writer

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
AUTH_CHOICES = (
    (AUTH_CLIENT_SECRET, "Client secret"),
    (AUTH_CERTIFICATE, "Certificate (private key and thumbprint)"),
    (AUTH_PASSWORD, "Password credentials (account and password)"),
)


@register
class DynamicsConnector(Connector):
    crm_type = "dynamics"
    label = "Microsoft Dynamics 365"
    default_server_url = "https://yourorg.crm.dynamics.com"
    default_api_version = "9.2"
    write_batch_size = MAX_BATCH
    capabilities = frozenset({"read", "read_incremental", "read_deleted", "write", "upsert", "delete", "batch",
                              "change_tracking", "enumerations", "list_ids"})
    settings_spec = (
        SettingSpec("tenant_id", "Directory (tenant) ID", required=True,
                    help_text="The Microsoft Entra tenant: a GUID or a domain such as contoso.onmicrosoft.com."),
        SettingSpec("client_id", "Application (client) ID", required=True,
                    help_text="The app registration's Application (client) ID."),
        SettingSpec("auth_type", "Authentication", required=True, default=AUTH_CLIENT_SECRET, choices=AUTH_CHOICES),
        SettingSpec("client_secret", "Client secret", secret=True, required_when={"auth_type": (AUTH_CLIENT_SECRET,)}),
        SettingSpec("private_key", "Private key (PEM, or PEM encoded in Base64)", secret=True, multiline=True,
                    required_when={"auth_type": (AUTH_CERTIFICATE,)}),
        SettingSpec("thumbprint", "Certificate thumbprint (SHA-1)", required_when={"auth_type": (AUTH_CERTIFICATE,)},
                    help_text="As shown under Certificates & secrets in the app registration."),
        SettingSpec("username", "Account", required_when={"auth_type": (AUTH_PASSWORD,)},
                    help_text="The user signing in, e.g. crmsync@contoso.onmicrosoft.com."),
        SettingSpec("password", "Password", secret=True, required_when={"auth_type": (AUTH_PASSWORD,)}),
        SettingSpec("authority_host", "Authority host", default=DEFAULT_AUTHORITY,
                    help_text="Change it for sovereign clouds (e.g. https://login.microsoftonline.us) or a test server."),
    )

    def __init__(self, config: AccountConfig, *, retry_policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] | None = None):
        super().__init__(config)
        self.client = DataverseClient(config, credentials_from(config), retry_policy=retry_policy, sleep=sleep)
        self._entities: dict[str, EntityInfo] = {}
        self._set_names: dict[str, str] | None = None

    # --- connection and introspection ------------------------------------------
    def test_connection(self) -> ConnectionResult:
        try:
            who = self.client.get_json(f"{self.client.api_url}/WhoAmI")
        except ConnectorError as exc:
            return ConnectionResult(False, f"Could not connect to {self.client.org_url}: {exc}")
        return ConnectionResult(True, f"Connected to {self.client.org_url} as user {who.get('UserId')} "
                                      f"(organization {who.get('OrganizationId')}).")

    def list_tables(self) -> list[TableInfo]:
        return [TableInfo(item["LogicalName"], user_label(item.get("DisplayName")) or item["LogicalName"],
                          bool(item.get("IsCustomEntity")), bool(item.get("ChangeTrackingEnabled")))
                for item in self._entity_list() if item.get("EntitySetName")]

    def _entity_list(self) -> list[dict]:
        items = self.client.get_json(f"{self.client.api_url}/EntityDefinitions", params=LISTING).get("value", [])
        self._set_names = set_names_of(items)
        return items

    def describe_tables(self, names: Sequence[str]) -> dict[str, TableDescription]:
        missing = [name for name in dict.fromkeys(names) if name not in self._entities]
        if len(missing) > 1:  # one $batch rather than a call per table
            self._entities.update(fetch_entities(self.client, missing)[0])
        return {name: self.entity(name).describe() for name in names}

    def open_session(self, tables: Sequence[str], writing: Sequence[str] = ()) -> None:
        """The tables' metadata and, for writes, the entity set names lookups bind to,
        in one $batch (one call however many tables)."""
        missing = [name for name in dict.fromkeys(tables) if name not in self._entities]
        listing = bool(writing) and self._set_names is None
        if not missing and not listing:
            return
        if len(missing) == 1 and not listing:
            self.entity(missing[0])
            return
        entities, set_names = fetch_entities(self.client, missing, with_set_names=listing)
        self._entities.update(entities)
        self._set_names = set_names if listing else self._set_names

    def list_enumerations(self, tables: Sequence[str]) -> list[Enumeration]:
        return fetch_enumerations(self.client, [self.entity(name) for name in tables])

    def entity(self, name: str) -> EntityInfo:
        """The entity's metadata, read once per connector instance."""
        if name not in self._entities:
            self._entities[name] = fetch_entity(self.client, name)
        return self._entities[name]

    # --- reading ----------------------------------------------------------------
    def read(self, request: ReadRequest) -> Iterator[Page]:
        return Reader(self.client, self.entity(request.table)).read(request)

    def stamp_bounds(self, request: ReadRequest) -> tuple[datetime, datetime] | None:
        return Reader(self.client, self.entity(request.table)).stamp_bounds(request)

    def list_ids(self, table: str) -> Iterator[list[str]]:
        return Reader(self.client, self.entity(table)).list_ids()

    def read_deleted(self, table: str, since: datetime | str | None) -> Iterator[DeletedPage]:
        return Reader(self.client, self.entity(table)).read_deleted(since)

    # --- writing ----------------------------------------------------------------
    def write(self, table: str, records: Sequence[dict[str, Any]], mode: WriteMode, key: str | None = None,
              all_or_none: bool = False) -> list[RecordResult]:
        entity = self.entity(table)
        return Writer(self.client, entity, self._targets(entity)).write(records, mode, key, all_or_none)

    def delete(self, table: str, ids: Sequence[str]) -> list[RecordResult]:
        return Writer(self.client, self.entity(table), {}).delete(ids)

    def _targets(self, entity: EntityInfo) -> dict[str, str]:
        """Entity set names of the lookup targets, for @odata.bind (one listing call, when needed)."""
        if self._set_names is None and entity.navigation:
            self._entity_list()
        return self._set_names or {}

    # --- accounting -------------------------------------------------------------
    def api_usage(self) -> ApiUsage:
        return ApiUsage(calls=self.client.calls)

    # --- forecasting --------------------------------------------------------------
    # Dataverse reports no daily count (its service protection limits are per 5
    # minutes): the budget uses the allocation configured on the external account.
    read_page_size = MAX_PAGE_SIZE
    write_batch_size = MAX_BATCH

    def count(self, request: ReadRequest) -> int:
        return Reader(self.client, self.entity(request.table)).count(request)

    def close(self) -> None:
        self.client.close()


def credentials_from(config: AccountConfig) -> Credentials:
    return Credentials(
        tenant_id=config.value("tenant_id").strip(), client_id=config.value("client_id").strip(),
        auth_type=config.value("auth_type", AUTH_CLIENT_SECRET),
        authority_host=config.value("authority_host", DEFAULT_AUTHORITY).rstrip("/") or DEFAULT_AUTHORITY,
        client_secret=config.value("client_secret"), private_key=pem_text(config.value("private_key")),
        thumbprint=config.value("thumbprint").strip(), username=config.value("username").strip(),
        password=config.value("password"))


def pem_text(value: str) -> str:
    """Accept the private key as PEM or, as the reference product asks, Base64-encoded PEM."""
    text = value.strip()
    if not text or text.startswith("-----BEGIN"):
        return text
    try:
        decoded = base64.b64decode(text, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return text
    return decoded if decoded.strip().startswith("-----BEGIN") else text
