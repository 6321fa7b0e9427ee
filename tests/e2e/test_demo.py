"""`secondopinion demo` as the README's first command runs it: its own local stack, one case
from request to a delivered PDF (in a separate process, beside this package's stack)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_demo_ends_with_a_delivered_report_saved_under_out(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (report,) = tmp_path.glob("report-*.pdf")
    assert report.read_bytes().startswith(b"%PDF")
    assert "delivered" in done.stdout and "patient_notified" in done.stdout
