"""The first-run demo's CRMs: the project's Salesforce and Dynamics emulators,
seeded with their demo data and served in this process, and the two external
accounts that point at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connectors.dynamics.emulator import DataverseEmulator
from connectors.dynamics.emulator import credentials as dynamics_demo
from connectors.emulator_kit.server import EmulatorServer
from connectors.models import ExternalAccount
from connectors.salesforce.emulator import SalesforceEmulator

SALESFORCE_PORT = 8443
DYNAMICS_PORT = 9443


@dataclass
class DemoEmulators:
    """Both emulators, running on background threads until `stop()`."""

    salesforce: SalesforceEmulator
    dynamics: DataverseEmulator
    dynamics_server: EmulatorServer
    accounts: list[ExternalAccount] = field(default_factory=list)

    def stop(self) -> None:
        self.salesforce.stop()
        self.dynamics_server.stop()


def start_emulators(var_dir: Path, salesforce_port: int = SALESFORCE_PORT,
                    dynamics_port: int = DYNAMICS_PORT) -> DemoEmulators:
    """Start both emulators on loopback, their TLS files (CA included) under var_dir."""
    salesforce = SalesforceEmulator(var_dir / "emulators" / "salesforce-tls", port=salesforce_port, bulk_delay=0.5)
    salesforce.reset(demo=True)
    salesforce.start()
    dynamics = DataverseEmulator()
    dynamics.seed_demo()
    try:
        dynamics_server = dynamics.serve(var_dir / "emulators" / "dynamics-tls", port=dynamics_port).start()
    except OSError:  # port taken: do not leave the Salesforce one behind
        salesforce.stop()
        raise
    return DemoEmulators(salesforce, dynamics, dynamics_server)


def ensure_demo_accounts(emulators: DemoEmulators) -> list[ExternalAccount]:
    """Create the two demo accounts, or bring them back in line with the emulators."""
    return [
        _upsert("sf-demo", "Salesforce demo", "salesforce", emulators.salesforce.url, "62.0",
                emulators.salesforce.ca_pem, *_salesforce_credentials(emulators.salesforce)),
        _upsert("dyn-demo", "Dynamics demo", "dynamics", emulators.dynamics_server.url, "9.2",
                emulators.dynamics_server.tls.ca_pem, *_dynamics_credentials(emulators)),
    ]


def _salesforce_credentials(emulator: SalesforceEmulator) -> tuple[dict, dict]:
    creds = emulator.credentials
    settings = {"auth_flow": "password", "username": creds.username}
    return settings, {"password": creds.password, "security_token": creds.security_token}


def _dynamics_credentials(emulators: DemoEmulators) -> tuple[dict, dict]:
    certificate = emulators.dynamics.identity.certificate
    settings = {"tenant_id": dynamics_demo.TENANT_ID, "client_id": dynamics_demo.CLIENT_ID,
                "auth_type": "client_secret", "authority_host": emulators.dynamics_server.url,
                "thumbprint": certificate.thumbprint, "username": dynamics_demo.USERNAME}
    secrets = {"client_secret": dynamics_demo.CLIENT_SECRET, "private_key": certificate.private_key_pem,
               "password": dynamics_demo.PASSWORD}
    return settings, secrets


def _upsert(internal_name, name, crm_type, url, api_version, ca_pem, settings, secrets) -> ExternalAccount:
    account, _ = ExternalAccount.objects.update_or_create(
        internal_name=internal_name,
        defaults={"name": name, "crm_type": crm_type, "server_url": url, "api_version": api_version,
                  "timeout": 10, "ca_certificate": ca_pem, "settings": settings, "secrets": secrets},
    )
    return account
