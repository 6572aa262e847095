"""Logins and sessions: the OAuth 2.0 token endpoint (password, client credentials,
refresh token and JWT bearer grants), the SOAP partner `login()` that
simple-salesforce uses, and bearer-token checks with expiry."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import jwt
from werkzeug.wrappers import Response

from .responses import json_response

ORG_ID = "00D5g000004ABCDEAA"
PARTNER_NS = "{urn:partner.soap.sforce.com}"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


@dataclass
class Credentials:
    """The one user and connected app the emulated org knows. Obviously fake."""

    username: str = "demo@crmsync.example"
    password: str = "demo-password-not-real"
    security_token: str = "DEMOTOKENNOTREAL"
    consumer_key: str = "demo-consumer-key"
    consumer_secret: str = "demo-consumer-secret-not-real"
    refresh_tokens: set[str] = field(default_factory=lambda: {"demo-refresh-token-not-real"})
    jwt_public_key: str | None = None  # PEM certificate or public key for JWT bearer


class Sessions:
    """Access tokens and their expiry."""

    def __init__(self, lifetime: float = 7200.0):
        self.lifetime = lifetime
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = time.monotonic() + self.lifetime
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and expires > time.monotonic()

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()


def bearer_token(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") else ""


# --- OAuth 2.0 ----------------------------------------------------------------------
def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def token_body(token: str, instance_url: str, user_id: str) -> dict:
    issued = str(int(time.time() * 1000))
    signature = base64.b64encode(hashlib.sha256((token + issued).encode()).digest()).decode()
    return {
        "access_token": token, "instance_url": instance_url, "id": f"{instance_url}/id/{ORG_ID}/{user_id}",
        "token_type": "Bearer", "issued_at": issued, "signature": signature,
    }


def client_credentials_of(request) -> tuple[str, str]:
    """client_id and client_secret from the form or an HTTP Basic header."""
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username or "", request.authorization.password or ""
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def check_client(creds: Credentials, client_id: str, client_secret: str | None) -> Response | None:
    if client_id != creds.consumer_key:
        return oauth_error("invalid_client_id", "client identifier invalid")
    if client_secret is not None and not secrets.compare_digest(client_secret, creds.consumer_secret):
        return oauth_error("invalid_client", "invalid client credentials")
    return None


def password_grant(creds: Credentials, request) -> Response | None:
    client_id, client_secret = client_credentials_of(request)
    refused = check_client(creds, client_id, client_secret)
    if refused:
        return refused
    expected = creds.password + creds.security_token
    given = request.form.get("password", "")
    if request.form.get("username") != creds.username or not (given == expected or given == creds.password and not creds.security_token):
        return oauth_error("invalid_grant", "authentication failure")
    return None


def client_credentials_grant(creds: Credentials, request) -> Response | None:
    return check_client(creds, *client_credentials_of(request))


def refresh_token_grant(creds: Credentials, request) -> Response | None:
    client_id, client_secret = client_credentials_of(request)
    refused = check_client(creds, client_id, client_secret or None)
    if refused:
        return refused
    if request.form.get("refresh_token") not in creds.refresh_tokens:
        return oauth_error("invalid_grant", "expired access/refresh token")
    return None


def jwt_grant(creds: Credentials, request) -> Response | None:
    if not creds.jwt_public_key:
        return oauth_error("invalid_grant", "invalid assertion")
    try:
        claims = jwt.decode(request.form.get("assertion", ""), _public_key(creds.jwt_public_key), algorithms=["RS256"],
                            options={"verify_aud": False, "require": ["exp", "iss", "sub", "aud"]})
    except jwt.PyJWTError:
        return oauth_error("invalid_grant", "invalid assertion")
    if claims["iss"] != creds.consumer_key:
        return oauth_error("invalid_client_id", "client identifier invalid")
    if claims["sub"] != creds.username:
        return oauth_error("invalid_grant", "user hasn't approved this consumer")
    return None


def _public_key(pem: str):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if "BEGIN CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem.encode()).public_key()
    return load_pem_public_key(pem.encode())


GRANTS = {
    "password": password_grant,
    "client_credentials": client_credentials_grant,
    "refresh_token": refresh_token_grant,
    "urn:ietf:params:oauth:grant-type:jwt-bearer": jwt_grant,
}


def token_endpoint(creds: Credentials, sessions: Sessions, request, user_id: str) -> Response:
    grant = GRANTS.get(request.form.get("grant_type", ""))
    if grant is None:
        return oauth_error("unsupported_grant_type", "grant type not supported")
    refused = grant(creds, request)
    if refused:
        return refused
    return json_response(token_body(sessions.issue(), request.host_url.rstrip("/"), user_id))


# --- SOAP partner login ---------------------------------------------------------------
def soap_credentials(body: bytes) -> tuple[str, str] | None:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    login = root.find(f".//{PARTNER_NS}login")
    if login is None:
        return None
    return login.findtext(f"{PARTNER_NS}username") or "", login.findtext(f"{PARTNER_NS}password") or ""


def soap_login(creds: Credentials, sessions: Sessions, request, version: str, user_id: str) -> Response:
    given = soap_credentials(request.get_data())
    if given is None:
        return soap_fault("INVALID_REQUEST", "Unable to parse the login request")
    username, password = given
    if username != creds.username or password != creds.password + creds.security_token:
        return soap_fault("INVALID_LOGIN", INVALID_LOGIN)
    host = request.host_url.rstrip("/")
    return Response(LOGIN_RESPONSE.format(
        host=host, version=version, org=ORG_ID, session=escape(sessions.issue()), user=user_id,
        username=escape(creds.username),
    ), content_type="text/xml;charset=UTF-8")


def soap_fault(code: str, message: str) -> Response:
    return Response(FAULT.format(code=code, message=escape(message)), status=500, content_type="text/xml;charset=UTF-8")


LOGIN_RESPONSE = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
    "<loginResponse><result><metadataServerUrl>{host}/services/Soap/m/{version}/{org}</metadataServerUrl>"
    "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
    "<serverUrl>{host}/services/Soap/u/{version}/{org}</serverUrl><sessionId>{session}</sessionId>"
    "<userId>{user}</userId><userInfo><organizationId>{org}</organizationId><organizationName>crmsync demo org"
    "</organizationName><userEmail>{username}</userEmail><userFullName>Demo Admin</userFullName><userId>{user}</userId>"
    "<userName>{username}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
)
FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
    "<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail>"
    '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
    "<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body>"
    "</soapenv:Envelope>"
)
