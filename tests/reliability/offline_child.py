"""The client process of the two-weeks-offline test: a fresh interpreter (so its peak RSS is
the client's own) that syncs through the proxy until its outbox is empty and a whole cycle went
through, waiting a little between failed cycles as the desktop's backoff would (shortened).

Usage: python -m tests.reliability.offline_child DB_PATH BASE_URL (token in CATI_TEST_TOKEN).
Prints one JSON line: cycles, failed cycles, pushed, pulled, baseline and peak RSS in MiB.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from tests.reliability.desk import Desk

MAX_SECONDS = 600.0
PAUSE_AFTER_FAILURE = 0.3


def _rss_mib() -> float:
    """Peak RSS of this process's own memory. Not getrusage's ru_maxrss: Linux carries that
    across exec from the forking parent, so under a big pytest process it reported the
    parent's 450 MiB. VmHWM belongs to the current address space and starts afresh at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def main() -> None:
    db_path, base_url = Path(sys.argv[1]), sys.argv[2]
    desk = Desk(base_url, db_path, target_queue_size=0, token=os.environ["CATI_TEST_TOKEN"])
    baseline = _rss_mib()
    cycles = failed = pushed = pulled = 0
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        report = desk.engine.run_cycle()
        cycles += 1
        pushed, pulled = pushed + report.pushed, pulled + report.pulled
        if report.ok and desk.store.pending_count() == 0:
            break
        if not report.ok:
            failed += 1
            time.sleep(PAUSE_AFTER_FAILURE)
    desk.close()
    print(json.dumps({"cycles": cycles, "failed": failed, "pushed": pushed, "pulled": pulled,
                      "baseline_mib": round(baseline, 1), "peak_mib": round(_rss_mib(), 1)}))


if __name__ == "__main__":
    main()
