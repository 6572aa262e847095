"""The emulated tenant's directory: one tenant, one registered application (with a
client secret and a certificate) and one user, all obviously fake. The certificate
and the token-signing key are generated when the emulator starts."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TENANT_ID = "c0ffee00-0000-4000-8000-00000000d365"
TENANT_DOMAIN = "crmsyncdemo.onmicrosoft.com"
CLIENT_ID = "d3650000-0000-4000-8000-0000c11e0001"
CLIENT_SECRET = "demo-secret-not-real"
USERNAME = "demo.user@crmsyncdemo.onmicrosoft.com"
PASSWORD = "demo-password-not-real"
USER_OBJECT_ID = "d3b0c5a1-0000-4000-8000-0000000000a1"  # also the systemuser of the data
APP_OBJECT_ID = "d3650000-0000-4000-8000-0000a9900001"


@dataclass(frozen=True)
class Certificate:
    private_key_pem: str
    certificate_pem: str
    thumbprint: str  # SHA-1, hex, as the Azure portal shows it
    public_key: object


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def new_certificate(common_name: str = "crmsync demo application") -> Certificate:
    """A self-signed certificate, as one uploads to an app registration."""
    key = new_private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(private_key_pem(key), cert.public_bytes(serialization.Encoding.PEM).decode(),
                       hashlib.sha1(der).hexdigest().upper(), key.public_key())


def sha256_thumbprint(certificate: Certificate) -> str:
    der = x509.load_pem_x509_certificate(certificate.certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()
