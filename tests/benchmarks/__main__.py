"""python -m tests.benchmarks [--n 100000,1000000] [--repeats 3] [--scenarios import,export,...] [--out DIR]

Starts both emulators (each in its own process), uses the database of DATABASE_URL
(PostgreSQL for the COPY floor) and, for scale-out, Celery workers on
CELERY_BROKER_URL; writes results.md and results.json."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument("--n", default="100000,1000000", help="the small and the large N")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--export-n", type=int, help="rows changed locally then exported (default: the small N)")
    parser.add_argument("--large-repeats", type=int, help="repeats at the large N (default: --repeats)")
    parser.add_argument("--scaleout-n", type=int, help="N of the scale-out import (default: the large N)")
    parser.add_argument("--merge", type=Path, nargs="*", help="only merge these results.json files into --out")
    parser.add_argument("--scenarios", default="all", help="comma-separated: import, incremental, export, deletions, "
                                                         "detection, introspection, scaleout, peers")
    parser.add_argument("--crms", default="salesforce,dynamics")
    parser.add_argument("--tables", type=int, default=1500, help="CRM tables listed by introspection")
    parser.add_argument("--describe", type=int, default=100, help="tables described by introspection")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--note", action="append", default=[], help="a line for the results file's notes")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmsync.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from . import machine, report, runner

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for name in ("crmsync.workflows", "celery"):
        logging.getLogger(name).setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    if args.merge:
        report.merge(args.merge, args.out, args.note)
        print((args.out / "results.md").read_text())
        return
    small, large = (int(x) for x in args.n.split(","))
    plan = runner.Plan(small=small, large=large, repeats=args.repeats, crms=tuple(args.crms.split(",")),
                       large_repeats=args.large_repeats or args.repeats, export=args.export_n or small, scaleout=args.scaleout_n or large,
                       scenarios=runner.ALL if args.scenarios == "all" else tuple(args.scenarios.split(",")),
                       tables=args.tables, describe=args.describe,
                       deleted=max(1, large // 100), detected=max(1, large // 100))
    info = machine.describe()
    # Written after every sample too, so a run cut short still leaves its figures.
    results = runner.run(plan, on_add=lambda partial: report.write(partial, plan, info, args.out, args.note))
    rows = report.write(results, plan, info, args.out, args.note)
    print((args.out / "results.md").read_text())
    missed = [f"{r['crm']} {r['scenario']}: {k}" for r in rows for k, ok in r["targets"].items() if not ok]
    print("targets missed:", "; ".join(missed) if missed else "none")


if __name__ == "__main__":
    main()
