"""Serve the Salesforce emulator: python -m connectors.salesforce.emulator --port 8443"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from .emulator import SalesforceEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTPS Salesforce emulator for crmsync")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--tls-dir", type=Path, default=Path(tempfile.gettempdir()) / "crmsync-salesforce-emulator-tls")
    parser.add_argument("--hostname", action="append", default=[], help="extra DNS name for the server certificate")
    parser.add_argument("--empty", action="store_true", help="start without the demo data")
    parser.add_argument("--generate", type=int, default=0, help="also generate this many Contacts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    emulator = SalesforceEmulator(args.tls_dir, host=args.host, port=args.port, bulk_delay=1.0, hostnames=tuple(args.hostname))
    emulator.reset(demo=not args.empty)
    if args.generate:
        emulator.generate("Contact", args.generate)
    creds = emulator.credentials
    print(f"Salesforce emulator on {emulator.url} (CA certificate: {emulator.server.ca_path})")
    print(f"  username {creds.username}  password {creds.password}  security token {creds.security_token}")
    print(f"  consumer key {creds.consumer_key}  consumer secret {creds.consumer_secret}")
    emulator.server.serve_forever()


if __name__ == "__main__":
    main()
