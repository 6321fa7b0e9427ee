"""The load benchmark's run and reconciliation, small: a few concurrent cases of a few files."""

from __future__ import annotations

from pathlib import Path

from benchmarks.load import STAGES, run_load
from local import telemetry
from local.system import LocalSystem


def test_concurrent_cases_are_all_delivered_and_every_file_is_judged_once(
    system: LocalSystem, tmp_path: Path
) -> None:
    # Given three patients uploading real DICOM series at the same time
    with telemetry.capture(echo=False) as captured:
        # When their cases run through the API, the workflow and the scripted radiologists
        run = run_load(system, cases=3, files=3, folder=tmp_path, captured=captured, poll=0.3, timeout=120)

    # Then the books balance: every case delivered, every file judged once, nothing left over
    reconciled = run.reconciliation
    assert reconciled.ok, "\n".join(reconciled.lines())
    assert (reconciled.cases, reconciled.delivered, reconciled.files, reconciled.judged) == (3, 3, 9, 9)
    assert reconciled.judged_events == 9
    assert reconciled.executions == {"SUCCEEDED": 3}
    # and every stage of every case was timed
    assert all(set(t.stages) == {stage for stage, _ in STAGES} for t in run.times)
