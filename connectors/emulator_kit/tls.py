"""A private CA and a server certificate for an emulator, made with trustme and
kept under a directory so that clients started later can trust the same CA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path  # server certificate chain
    key_path: Path

    @property
    def ca_pem(self) -> str:
        return self.ca_path.read_text()


def ensure_certificates(directory: Path, hostnames: tuple[str, ...] = ()) -> TlsFiles:
    """Create (once) a CA and a certificate for `hostnames` under `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = tuple(dict.fromkeys(DEFAULT_HOSTNAMES + tuple(hostnames)))
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    names_file = directory / "hostnames.txt"
    wanted = "\n".join(names)
    if files.key_path.exists() and names_file.exists() and names_file.read_text() == wanted:
        return files
    ca = trustme.CA(organization_name="crmsync emulator CA")
    server = ca.issue_cert(*names)
    ca.cert_pem.write_to_path(str(files.ca_path))
    server.private_key_pem.write_to_path(str(files.key_path))
    files.cert_path.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    names_file.write_text(wanted)
    return files
