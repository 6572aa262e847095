"""Where the peer tools run: their own virtualenvs (pinned, created on first use,
outside the repository), a login.salesforce.com that is the emulator, and a mount
namespace whose /etc/hosts points that name at loopback. The machine's own
/etc/hosts is never written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import certifi

from connectors.emulator_kit.server import EmulatorServer

LOGIN_HOST = "login.salesforce.com"
PEER_PYTHON = "python3.11"  # every peer below accepts 3.11 (Requires-Python >=3.10)


class PeerFailed(Exception):
    """A peer could not be installed, started or run; the message says why."""


@dataclass(frozen=True)
class PeerPackage:
    venv: str  # folder under the venv root
    requirement: str  # pinned, installed with pip
    command: str  # console script the package installs


TAP_SALESFORCE = PeerPackage("singer-tap", "tap-salesforce==2.8.1", "tap-salesforce")
TARGET_POSTGRES = PeerPackage("singer-target", "meltanolabs-target-postgres==0.8.1", "target-postgres")
SOURCE_SALESFORCE = PeerPackage("airbyte", "airbyte-source-salesforce==2.10.3", "source-salesforce")


def venv_root() -> Path:
    """Outside the repository (never committed): $CRMSYNC_PEER_VENVS, else
    peer-venvs/ beside the work tree."""
    default = Path(__file__).resolve().parents[3] / "peer-venvs"
    return Path(os.environ.get("CRMSYNC_PEER_VENVS", default))


def ensure_installed(package: PeerPackage) -> Path:
    """The package's console script, installing it into its own venv first if
    the venv is missing or holds another pinned version."""
    venv = venv_root() / package.venv
    marker = venv / "crmsync-requirement.txt"
    script = venv / "bin" / package.command
    if script.exists() and marker.exists() and marker.read_text() == package.requirement:
        return script
    python = shutil.which(PEER_PYTHON) or sys.executable
    for step in ([python, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", package.requirement]):
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode:
            raise PeerFailed(f"installing {package.requirement} failed: {done.stderr.strip()[-500:]}")
    marker.write_text(package.requirement)
    return script


# --- login.salesforce.com -----------------------------------------------------------------
@contextmanager
def login_host(endpoint, tls_dir: Path):
    """Serve login.salesforce.com on 127.0.0.1:443 (a certificate of its own CA
    for that name), passing every request on to the emulator, which counts it."""
    try:
        server = EmulatorServer(endpoint.forwarder(), host="127.0.0.1", port=443, tls_dir=tls_dir, hostnames=(LOGIN_HOST,))
    except (OSError, SystemExit) as error:  # werkzeug exits when the port is taken
        raise PeerFailed(f"cannot serve {LOGIN_HOST} on 127.0.0.1:443 (in use?): {error}") from None
    server.start()
    try:
        yield server
    finally:
        server.stop()


def ca_bundle(path: Path, *ca_files: Path) -> Path:
    """The public roots plus the emulator's and the login host's CAs."""
    parts = [Path(certifi.where()).read_text()] + [Path(f).read_text() for f in ca_files]
    path.write_text("\n".join(part.strip() for part in parts) + "\n")
    return path


# --- the namespace -------------------------------------------------------------------------
def hosts_file(path: Path) -> Path:
    """The machine's hosts file plus login.salesforce.com on loopback."""
    path.write_text(Path("/etc/hosts").read_text().rstrip("\n") + f"\n127.0.0.1 {LOGIN_HOST}\n")
    return path


def in_namespace(argv: list[str], hosts: Path) -> list[str]:
    """`argv` run in a private mount namespace where `hosts` is /etc/hosts."""
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(hosts), *argv]


def peer_environment(bundle: Path) -> dict[str, str]:
    """A clean environment: the peer trusts `bundle` and nothing of ours leaks in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(REQUESTS_CA_BUNDLE=str(bundle), SSL_CERT_FILE=str(bundle), PYTHONUNBUFFERED="1")
    return env
