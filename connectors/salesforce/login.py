"""Logging in to Salesforce with the account's chosen flow, through the account's
own session (so its CA is trusted) and its login server, which may be a sandbox,
a My Domain URL or the emulator. Returns (session id, instance host)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import jwt
import requests
from simple_salesforce.login import SalesforceLogin, token_login

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class LoginSettings:
    server_url: str
    version: str
    flow: str
    username: str = ""
    password: str = ""
    security_token: str = ""
    consumer_key: str = ""
    consumer_secret: str = ""
    refresh_token: str = ""
    private_key: str = ""

    @property
    def token_url(self) -> str:
        return self.server_url.rstrip("/") + "/services/oauth2/token"

    @property
    def domain(self) -> str:
        return urlparse(self.server_url).hostname or "login"


def login(session: requests.Session, settings: LoginSettings) -> tuple[str, str]:
    return FLOWS[settings.flow](session, settings)


def _post_token(session: requests.Session, settings: LoginSettings, data: dict, headers: dict | None = None):
    return token_login(settings.token_url, data, settings.domain, settings.consumer_key, headers, None, session)


def password_flow(session: requests.Session, settings: LoginSettings) -> tuple[str, str]:
    """OAuth password grant when a connected app is configured; otherwise the SOAP
    partner login() (deprecated by Salesforce from API 65.0 on)."""
    if settings.consumer_key and settings.consumer_secret:
        return _post_token(session, settings, {
            "grant_type": "password", "client_id": settings.consumer_key, "client_secret": settings.consumer_secret,
            "username": settings.username, "password": settings.password + settings.security_token,
        })
    return SalesforceLogin(username=settings.username, password=settings.password, security_token=settings.security_token,
                           sf_version=settings.version, session=session, scratch_url=settings.server_url.rstrip("/"))


def client_credentials_flow(session: requests.Session, settings: LoginSettings) -> tuple[str, str]:
    basic = base64.b64encode(f"{settings.consumer_key}:{settings.consumer_secret}".encode()).decode()
    return _post_token(session, settings, {"grant_type": "client_credentials"}, {"Authorization": f"Basic {basic}"})


def refresh_token_flow(session: requests.Session, settings: LoginSettings) -> tuple[str, str]:
    data = {"grant_type": "refresh_token", "refresh_token": settings.refresh_token, "client_id": settings.consumer_key}
    if settings.consumer_secret:
        data["client_secret"] = settings.consumer_secret
    return _post_token(session, settings, data)


def jwt_flow(session: requests.Session, settings: LoginSettings) -> tuple[str, str]:
    """JWT bearer: an assertion signed with the connected app's certificate key."""
    sandbox = "test.salesforce.com" in settings.server_url or ".sandbox." in settings.server_url
    claims = {"iss": settings.consumer_key, "sub": settings.username, "exp": int(time.time()) + 180,
              "aud": "https://test.salesforce.com" if sandbox else "https://login.salesforce.com"}
    assertion = jwt.encode(claims, settings.private_key, algorithm="RS256")
    return _post_token(session, settings, {"grant_type": JWT_GRANT, "assertion": assertion})


FLOWS = {
    "password": password_flow, "client_credentials": client_credentials_flow,
    "refresh_token": refresh_token_flow, "jwt_bearer": jwt_flow,
}
