"""The Microsoft Entra ID endpoints msal calls for a confidential client: instance
discovery, the tenant's OpenID configuration and keys, user realm discovery, and the
v2.0 token endpoint (client credentials with a secret or a signed certificate
assertion, resource-owner password, refresh token), with real AADSTS error bodies."""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone

import jwt

from . import credentials as demo
from .credentials import Certificate, new_certificate, new_private_key, sha256_thumbprint

ADDITIONAL_SCOPES = {"openid", "profile", "offline_access", "email"}


class AadError(Exception):
    """An error answer of the token service, shaped as Entra ID shapes it."""

    def __init__(self, status: int, error: str, code: int, message: str):
        super().__init__(message)
        self.status, self.error, self.code, self.message = status, error, code, message

    def body(self, host: str) -> dict:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        return {"error": self.error,
                "error_description": f"AADSTS{self.code}: {self.message} Trace ID: {trace} "
                                     f"Correlation ID: {correlation} Timestamp: {stamp}",
                "error_codes": [self.code], "timestamp": stamp, "trace_id": trace,
                "correlation_id": correlation, "error_uri": f"{host}/error?code={self.code}"}


def unknown_tenant(tenant: str, error: str = "invalid_tenant") -> AadError:
    return AadError(400, error, 90002,
                    f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                    f"into the correct cloud. Check with your subscription administrator, this may happen if there "
                    f"are no active subscriptions for the tenant.")


class Identity:
    """Issues and validates tokens for the emulated tenant."""

    def __init__(self) -> None:
        self.signing_key = new_private_key()
        self.key_id = "crmsync-emulator-" + secrets.token_hex(4)
        self.certificate: Certificate = new_certificate()
        self.token_lifetime = 3599
        self.generation = 0  # bumping it revokes every token issued before
        self.refresh_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()

    # --- directory ------------------------------------------------------------
    @staticmethod
    def is_tenant(tenant: str) -> bool:
        return tenant.lower() in (demo.TENANT_ID, demo.TENANT_DOMAIN, "organizations")

    def revoke_all(self) -> None:
        with self._lock:
            self.generation += 1
            self.refresh_tokens.clear()

    # --- discovery documents --------------------------------------------------
    def instance_discovery(self, host: str, authorization_endpoint: str) -> dict:
        """msal sends the authorize URL built from the authority's host name (without its port)."""
        asked = urllib.parse.urlsplit(authorization_endpoint)
        if asked.scheme != "https" or asked.hostname != urllib.parse.urlsplit(host).hostname:
            raise AadError(400, "invalid_instance", 50049, "Unknown or invalid instance.")
        tenant = asked.path.lstrip("/").split("/")[0]
        netloc = host.split("://", 1)[1]
        return {"tenant_discovery_endpoint": f"{host}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": netloc, "preferred_cache": netloc, "aliases": [netloc]}]}

    def openid_configuration(self, host: str, tenant: str) -> dict:
        if not self.is_tenant(tenant):
            raise unknown_tenant(tenant)
        base = f"{host}/{demo.TENANT_ID}"
        return {"token_endpoint": f"{host}/{tenant}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{host}/{tenant}/discovery/v2.0/keys", "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0", "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{host}/oidc/userinfo",
                "authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/devicecode",
                "http_logout_supported": True, "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{host}/{tenant}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "tid", "oid", "preferred_username"],
                "kerberos_endpoint": f"{host}/{tenant}/kerberos", "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com", "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net"}

    def keys(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    @staticmethod
    def user_realm(username: str) -> dict:
        domain = username.rsplit("@", 1)[-1]
        return {"ver": "1.0", "account_type": "Managed", "domain_name": domain,
                "cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": "urn:federation:MicrosoftOnline"}

    # --- token endpoint -------------------------------------------------------
    def token(self, host: str, org_url: str, tenant: str, form: dict) -> dict:
        if not self.is_tenant(tenant):
            raise unknown_tenant(tenant, "invalid_request")
        client_id = form.get("client_id", "")
        if client_id != demo.CLIENT_ID:
            raise AadError(400, "unauthorized_client", 700016,
                           f"Application with identifier '{client_id}' was not found in the directory "
                           f"'{demo.TENANT_DOMAIN}'. This can happen if the application has not been installed by the "
                           f"administrator of the tenant or consented to by any user in the tenant. You may have sent "
                           f"your authentication request to the wrong tenant.")
        grant = form.get("grant_type", "")
        handler = {"client_credentials": self._client_credentials, "password": self._password,
                   "refresh_token": self._refresh}.get(grant)
        if handler is None:
            raise AadError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'.")
        return handler(host, org_url, tenant, form)

    def _client_credentials(self, host: str, org_url: str, tenant: str, form: dict) -> dict:
        method = self._authenticate_client(host, tenant, form, required=True)
        resource = self._resource(org_url, form.get("scope", ""), client_credentials=True)
        return self._issue(resource, subject=demo.APP_OBJECT_ID, app_acr=method)

    def _password(self, host: str, org_url: str, tenant: str, form: dict) -> dict:
        method = self._authenticate_client(host, tenant, form, required=False)
        resource = self._resource(org_url, form.get("scope", ""), client_credentials=False)
        username_ok = form.get("username", "").lower() == demo.USERNAME
        if not (username_ok and hmac.compare_digest(form.get("password", ""), demo.PASSWORD)):
            raise AadError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.")
        return self._issue_for_user(host, resource, form.get("scope", ""), method)

    def _refresh(self, host: str, org_url: str, tenant: str, form: dict) -> dict:
        grant = self.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None:
            raise AadError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        method = self._authenticate_client(host, tenant, form, required=False)
        resource = self._resource(org_url, form.get("scope", ""), client_credentials=False)
        return self._issue_for_user(host, resource, form.get("scope", ""), method)

    def _authenticate_client(self, host: str, tenant: str, form: dict, required: bool) -> str:
        """'1' for a secret, '2' for a certificate, '0' for a public client (as appidacr says)."""
        if form.get("client_secret"):
            if not hmac.compare_digest(form["client_secret"], demo.CLIENT_SECRET):
                raise AadError(401, "invalid_client", 7000215,
                               "Invalid client secret provided. Ensure the secret being sent in the request is the "
                               f"client secret value, not the client secret ID, for a secret added to app '{demo.CLIENT_ID}'.")
            return "1"
        if form.get("client_assertion"):
            self._verify_assertion(host, tenant, form["client_assertion"])
            return "2"
        if required:
            raise AadError(401, "invalid_client", 7000218,
                           "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        return "0"

    def _verify_assertion(self, host: str, tenant: str, assertion: str) -> None:
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise AadError(401, "invalid_client", 50027, "JWT token is invalid or malformed.") from None
        if not self._thumbprint_matches(header):
            raise AadError(401, "invalid_client", 700027,
                           "The certificate with identifier used to sign the client assertion is not registered on "
                           f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                           f"'{header.get('x5t', '')}']")
        audience = f"{host}/{tenant}/oauth2/v2.0/token"
        try:
            claims = jwt.decode(assertion, self.certificate.public_key, algorithms=["RS256", "PS256"],
                                audience=audience, options={"require": ["exp", "aud", "iss", "sub"]})
        except jwt.PyJWTError as exc:
            raise AadError(401, "invalid_client", 700027, f"Client assertion failed signature validation. ({exc})") from None
        if claims.get("iss") != demo.CLIENT_ID or claims.get("sub") != demo.CLIENT_ID:
            raise AadError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.")

    def _thumbprint_matches(self, header: dict) -> bool:
        expected_sha1 = bytes.fromhex(self.certificate.thumbprint)
        expected_sha256 = bytes.fromhex(sha256_thumbprint(self.certificate))
        return (_b64decode(header.get("x5t", "")) == expected_sha1
                or _b64decode(header.get("x5t#S256", "")) == expected_sha256)

    @staticmethod
    def _resource(org_url: str, scope: str, client_credentials: bool) -> str:
        requested = [item for item in scope.split() if item not in ADDITIONAL_SCOPES]
        if client_credentials and (len(requested) != 1 or not requested[0].endswith("/.default")):
            raise AadError(400, "invalid_scope", 1002012,
                           f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                           f"scope value with /.default suffixed to the resource identifier (application ID URI).")
        if len(requested) != 1:
            raise AadError(400, "invalid_scope", 70011,
                           f"The provided request must include a 'scope' input parameter. The provided value for the "
                           f"input parameter 'scope' is not valid. The scope {scope} is not valid.")
        resource = requested[0].rsplit("/", 1)[0].rstrip("/")
        if resource.lower() != org_url.rstrip("/").lower():
            raise AadError(400, "invalid_resource", 500011,
                           f"The resource principal named {resource} was not found in the tenant named "
                           f"{demo.TENANT_DOMAIN}. This can happen if the application has not been installed by the "
                           f"administrator of the tenant or consented to by any user in the tenant. You might have sent "
                           f"your authentication request to the wrong tenant.")
        return resource

    # --- issuing and validating -----------------------------------------------
    def _issue(self, resource: str, subject: str, app_acr: str, user: dict | None = None) -> dict:
        now = int(time.time())
        claims = {"aud": resource, "iss": f"https://sts.windows.net/{demo.TENANT_ID}/", "iat": now, "nbf": now,
                  "exp": now + self.token_lifetime, "appid": demo.CLIENT_ID, "appidacr": app_acr, "oid": subject,
                  "sub": subject, "tid": demo.TENANT_ID, "ver": "1.0", "gen": self.generation,
                  "idtyp": "user" if user else "app", "uti": secrets.token_urlsafe(16), **(user or {})}
        token = jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": self.key_id})
        return {"token_type": "Bearer", "expires_in": self.token_lifetime, "ext_expires_in": self.token_lifetime,
                "access_token": token}

    def _issue_for_user(self, host: str, resource: str, scope: str, method: str) -> dict:
        user = {"upn": demo.USERNAME, "name": "Demo User", "scp": "user_impersonation"}
        response = self._issue(resource, demo.USER_OBJECT_ID, method, user)
        refresh = secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = {"resource": resource}
        client_info = {"uid": demo.USER_OBJECT_ID, "utid": demo.TENANT_ID}
        return {**response, "scope": f"{resource}/user_impersonation", "refresh_token": refresh,
                "id_token": self._id_token(host), "client_info": _b64encode_json(client_info)}

    def _id_token(self, host: str) -> str:
        now = int(time.time())
        claims = {"aud": demo.CLIENT_ID, "iss": f"{host}/{demo.TENANT_ID}/v2.0", "iat": now, "nbf": now,
                  "exp": now + 3600, "name": "Demo User", "oid": demo.USER_OBJECT_ID,
                  "preferred_username": demo.USERNAME, "sub": demo.USER_OBJECT_ID, "tid": demo.TENANT_ID, "ver": "2.0"}
        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": self.key_id})

    def validate(self, token: str, org_url: str) -> dict | None:
        """The claims of a valid access token for this organisation, or None."""
        try:
            claims = jwt.decode(token, self.signing_key.public_key(), algorithms=["RS256"],
                                audience=[org_url.rstrip("/"), org_url.rstrip("/") + "/"])
        except jwt.PyJWTError:
            return None
        return claims if claims.get("gen") == self.generation else None


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return b""


def _b64encode_json(value: dict) -> str:
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
