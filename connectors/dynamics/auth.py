"""Access tokens for the Dataverse Web API through msal's ConfidentialClientApplication:
client secret, certificate (PEM private key + thumbprint, a signed client assertion)
or the resource-owner password flow. msal caches tokens and refreshes them before
they expire; `invalidate()` drops cached access tokens after a 401.

Two msal 1.34 behaviours matter when the authority host is not Microsoft's:
`instance_discovery` is turned off because msal otherwise calls a hard-coded
https://login.microsoftonline.com/common/discovery/instance for token-cache aliases
whatever URL it is given (msal then only fetches {authority}/v2.0/.well-known/
openid-configuration and the token endpoint it names, on the configured host); and
the user-realm lookup of the password flow drops the authority's port, so for an
authority with an explicit port that lookup (only useful for federated ADFS
accounts) is skipped."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

import msal
import requests

from connectors.errors import AuthenticationFailed, TransientError
from connectors.http import describe_request_error

AUTH_CLIENT_SECRET = "client_secret"
AUTH_CERTIFICATE = "certificate"
AUTH_PASSWORD = "password"
_AADSTS = re.compile(r"AADSTS(\d+)")


@dataclass(frozen=True)
class Credentials:
    tenant_id: str
    client_id: str
    auth_type: str
    authority_host: str
    client_secret: str = ""
    private_key: str = ""
    thumbprint: str = ""
    username: str = ""
    password: str = ""


class TokenProvider:
    def __init__(self, credentials: Credentials, resource: str, session: requests.Session):
        self.credentials = credentials
        self.scopes = [resource.rstrip("/") + "/.default"]
        self.session = session
        self._app: msal.ConfidentialClientApplication | None = None

    def token(self) -> str:
        try:
            result = self._acquire()
        except requests.RequestException as exc:
            raise TransientError(f"authority unreachable: {describe_request_error(exc)}") from None
        except msal.exceptions.MsalServiceError as exc:
            raise _service_failure(exc) from None
        if "access_token" not in result:
            raise _failure(result)
        return result["access_token"]

    def invalidate(self) -> None:
        """Forget cached access tokens so the next call asks the authority again."""
        if self._app is None:
            return
        cache = self._app.token_cache
        for token in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            cache.remove_at(token)

    def _acquire(self) -> dict:
        app = self._application()
        if self.credentials.auth_type != AUTH_PASSWORD:
            return app.acquire_token_for_client(scopes=self.scopes)
        accounts = app.get_accounts(username=self.credentials.username)
        cached = app.acquire_token_silent(self.scopes, account=accounts[0]) if accounts else None
        return cached or app.acquire_token_by_username_password(
            self.credentials.username, self.credentials.password, scopes=self.scopes)

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            authority = f"{self.credentials.authority_host.rstrip('/')}/{self.credentials.tenant_id}"
            _skip_realm_discovery_for_ported_hosts(authority)
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.credentials.client_id, client_credential=self._client_credential(), authority=authority,
                    http_client=self.session, instance_discovery=False, azure_region=False)
            except ValueError as exc:
                raise _authority_failure(exc) from None
            except requests.RequestException as exc:
                raise TransientError(f"authority unreachable: {describe_request_error(exc)}") from None
        return self._app

    def _client_credential(self):
        credentials = self.credentials
        if credentials.auth_type == AUTH_CERTIFICATE:
            return {"private_key": credentials.private_key, "thumbprint": credentials.thumbprint.replace(":", "")}
        return credentials.client_secret or None


def _skip_realm_discovery_for_ported_hosts(authority: str) -> None:
    parts = urllib.parse.urlsplit(authority)
    if parts.port not in (None, 443):
        msal.authority.Authority._domains_without_user_realm_discovery.add(parts.hostname)


def _service_failure(exc: Exception) -> Exception:
    """msal raises MsalServiceError("HTTP Error: 503") when the authority fails."""
    if "HTTP Error: 5" in str(exc) or "HTTP Error: 429" in str(exc):
        return TransientError(f"the authority answered {str(exc).split(': ', 1)[-1]}")
    return AuthenticationFailed(f"the authority refused the request ({exc})")


def _failure(result: dict) -> AuthenticationFailed:
    codes = result.get("error_codes") or []
    code = f"AADSTS{codes[0]}" if codes else result.get("error", "authentication_failed")
    description = (result.get("error_description") or result.get("error") or "authentication failed").split(" Trace ID:")[0]
    return AuthenticationFailed(description, code=code, status=400)


def _authority_failure(exc: ValueError) -> AuthenticationFailed:
    """msal raises ValueError when the tenant's OpenID configuration can't be read."""
    detail = str(exc.__context__ or exc)
    match = _AADSTS.search(detail)
    message = re.search(r'"error_description": "([^"]*?)(?: Trace ID:|")', detail)
    text = message.group(1) if message else str(exc).split(" Authority would")[0]
    return AuthenticationFailed(text, code=f"AADSTS{match.group(1)}" if match else "invalid_authority")
