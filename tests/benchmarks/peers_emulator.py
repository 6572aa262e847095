"""The Salesforce emulator as the peers see it, over HTTPS only: its URL, its CA,
the connected app and refresh token they log in with, and its per-endpoint call
counters (the loopback control interface, which counts nothing itself). Works for
an emulator in this process or in another one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests
from werkzeug.wrappers import Request, Response

from connectors.salesforce.emulator.auth import Credentials

FORWARDED_HEADERS = ("Content-Type", "Authorization", "Accept")


@dataclass
class EmulatorEndpoint:
    url: str
    ca_path: Path
    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def of(cls, emulator, workdir: Path) -> EmulatorEndpoint:
        """From a SalesforceEmulator (credentials, ca_pem) or a handle on one in
        another process (url, ca_path, account); the demo org's connected app
        and refresh token otherwise."""
        creds = getattr(emulator, "credentials", None) or Credentials()
        account = getattr(emulator, "account", None) or {}
        Path(workdir).mkdir(parents=True, exist_ok=True)
        ca_path = Path(workdir) / "emulator-ca.pem"
        ca_path.write_text(emulator.ca_pem if hasattr(emulator, "ca_pem") else Path(emulator.ca_path).read_text())
        return cls(emulator.url, ca_path, account.get("client_id", creds.consumer_key),
                   account.get("client_secret", creds.consumer_secret), sorted(creds.refresh_tokens)[0])

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_path)
        return session

    def call_counts(self) -> dict[str, int]:
        with self.session() as session:
            answer = session.get(f"{self.url}/_emulator/calls", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def credentials(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret, "refresh_token": self.refresh_token}

    def forwarder(self):
        """A WSGI app passing each request on to the emulator. Serving it as
        login.salesforce.com makes the token answer's instance_url the emulator's
        own URL (it is the host the emulator was asked on), so after logging in
        the peer calls the emulator directly, as it calls a real org's instance."""
        session = self.session()

        def app(environ, start_response):
            request = Request(environ)
            headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
            answer = session.request(request.method, f"{self.url}{request.full_path.rstrip('?')}", headers=headers,
                                     data=request.get_data(), timeout=60)
            response = Response(answer.content, status=answer.status_code,
                                content_type=answer.headers.get("Content-Type"))
            return response(environ, start_response)

        return app
