"""Run the emulator: python -m connectors.dynamics.emulator --port 9443 [--rows N]."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from . import credentials as demo
from .app import DataverseEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description="Dataverse Web API + Entra ID emulator (HTTPS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--tls-dir", default=str(Path.home() / ".crmsync" / "dynamics-emulator-tls"))
    parser.add_argument("--rows", type=int, default=0, help="also generate this many contacts")
    parser.add_argument("--no-demo", action="store_true", help="start empty instead of with the demo records")
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    emulator = DataverseEmulator()
    if not options.no_demo:
        emulator.seed_demo()
    if options.rows:
        emulator.seed_rows("contact", options.rows)
    server = emulator.serve(Path(options.tls_dir), options.host, options.port)
    print(f"Dataverse emulator on {server.url}  (organisation URL and authority host)")
    print(f"  CA certificate: {server.ca_path}")
    print(f"  tenant {demo.TENANT_ID}, client id {demo.CLIENT_ID}, secret {demo.CLIENT_SECRET}")
    print(f"  all demo credentials: GET {server.url}/_emulator/credentials")
    server.serve_forever()


if __name__ == "__main__":
    main()
