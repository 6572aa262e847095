"""The reliability report's runner: `python -m tests.reliability [--full] [pytest args]`.

Runs the fault matrix, the kill points, the PostgreSQL and Redis restarts, the
soak and the web load (with --full: their full counts, CRMSYNC_RELIABILITY_FULL=1),
then prints a summary per suite (cases, passed, failed, seconds) and the measures
the suites recorded (web load latencies), for tests/reliability/REPORT.md. The
summary is also written under var/reliability/."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ["tests/reliability", "tests/workflows/test_soak.py"]


def main(argv: list[str]) -> int:
    full = "--full" in argv
    extra = [a for a in argv if a != "--full"]
    out_dir = ROOT / "var" / "reliability"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    junit, measures = out_dir / f"junit-{stamp}.xml", out_dir / f"measures-{stamp}.jsonl"
    env = {**os.environ, "CRMSYNC_RELIABILITY_RESULTS": str(measures)}
    if full:
        env["CRMSYNC_RELIABILITY_FULL"] = "1"
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider",
                            f"--junitxml={junit}", *extra], cwd=ROOT, env=env)
    summary = render(junit, measures, full, time.monotonic() - started)
    (out_dir / f"summary-{stamp}.md").write_text(summary)
    print(summary)
    return code


def render(junit: Path, measures: Path, full: bool, seconds: float) -> str:
    suites: dict[str, dict] = defaultdict(lambda: {"cases": 0, "passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0})
    failures = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            suite = suites[case.get("classname", "?").rsplit(".", 1)[-1]]
            suite["cases"] += 1
            suite["seconds"] += float(case.get("time", 0))
            if case.find("failure") is not None or case.find("error") is not None:
                suite["failed"] += 1
                failures.append(f"{case.get('classname')}::{case.get('name')}")
            elif case.find("skipped") is not None:
                suite["skipped"] += 1
            else:
                suite["passed"] += 1
    lines = [f"Reliability run ({'full counts' if full else 'CI counts'}) on {platform.node()}: "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{seconds:.0f} s wall", "", "| suite | cases | passed | failed | skipped | seconds |", "|---|---|---|---|---|---|"]
    for name, s in sorted(suites.items()):
        lines.append(f"| {name} | {s['cases']} | {s['passed']} | {s['failed']} | {s['skipped']} | {s['seconds']:.0f} |")
    if failures:
        lines += ["", "Failed:"] + [f"- {f}" for f in failures]
    if measures.exists():
        lines += ["", "Measures:"]
        for line in measures.read_text().splitlines():
            lines.append(f"- {json.dumps(json.loads(line))}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
