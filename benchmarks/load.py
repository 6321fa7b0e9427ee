"""Load benchmark: many concurrent cases through the local stack, timed per stage and reconciled.

Run from the repository root: ``.venv/bin/python benchmarks/load.py`` (or ``make load``). It starts
the local stack with compressed time, adds radiologists through the ops API, writes for each case a
series of real DICOM objects (pydicom's test files, new UIDs per instance), and drives every case
through the HTTP API and presigned uploads while scripted radiologists accept and report. It prints
throughput and the p50 and p95 of each stage, compared with one case run alone first in the same
process (the baseline), then reconciles: every case delivered or escalated, every file judged once,
nothing left in a queue or an execution. Exits 1 only when the reconciliation fails; nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from cli.client import Api  # noqa: E402 - after the repository is on the path
from cli.scenario import SERIES, CaseSpec, OpenedCase, Radiologists, open_case, write_series  # noqa: E402
from local import telemetry, tokens  # noqa: E402
from local.reconcile import Reconciliation, execution_arn, reconcile  # noqa: E402
from local.system import LocalSystem  # noqa: E402

STAGES = (
    ("upload→valid", "first upload sent to every verdict in (patient's view, polled)"),
    ("submit→assigned", "execution start to the Assign task's end"),
    ("assigned→accepted", "Assign's end to the accepted offer (WaitForAcceptance's end)"),
    ("accepted→report", "accepted offer to the submitted reading (WaitForReport's end)"),
    ("report→delivered", "submitted reading to the patient e-mailed (Deliver's end)"),
)
SUBSPECIALTIES = {
    "CT_small.dcm": "body_imaging",
    "MR2_J2KI.dcm": "musculoskeletal",
    "emri_small.dcm": "neuroradiology",
    "US1_J2KI.dcm": "ultrasound",
}
CAPACITY = 5


@dataclass
class CaseTimes:
    case_id: str
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadRun:
    opened: list[OpenedCase]
    times: list[CaseTimes]
    started: float
    validated: float
    finished: float
    reconciliation: Reconciliation
    failures: list[str] = field(default_factory=list)
    """Patients who could not submit their case, and why."""

    @property
    def files(self) -> int:
        return sum(c.files for c in self.opened)


def load_roster(cases: int) -> list[dict[str, Any]]:
    """Enough radiologists for `cases` concurrent reads, spread over the series' subspecialties."""
    per = math.ceil(cases / len(SERIES) / CAPACITY) + 1
    return [
        {
            "radiologist_id": f"load-{sub.split('_')[0]}-{i}",
            "name": f"Dr. Load {sub.split('_')[0].title()} {i}",
            "email": f"load-{sub.split('_')[0]}-{i}@radiologists.example.org",
            "subspecialties": [sub],
            "languages": ["en", "de"],
            "institution": f"Load Test Radiology {i}",
            "licences": ["CH"],
            "capacity": CAPACITY,
        }
        for sub in SUBSPECIALTIES.values()
        for i in range(1, per + 1)
    ]


def stage_times(system: LocalSystem, case: OpenedCase) -> CaseTimes:
    """Each stage's duration, from the execution history's timestamps (the last pass of a stage
    counts, so a reassigned case shows the read that reported)."""
    sfn = system.session.client("stepfunctions")
    arn = execution_arn(system, case.case_id)
    started = sfn.describe_execution(executionArn=arn)["startDate"]
    exits: dict[str, datetime] = {}
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        for event in page["events"]:
            if event["type"].endswith("StateExited"):
                exits[event["stateExitedEventDetails"]["name"]] = event["timestamp"]
    times = CaseTimes(case.case_id, {"upload→valid": case.validated - case.upload_started})
    marks = [("submit→assigned", "Assign"), ("assigned→accepted", "WaitForAcceptance")]
    marks += [("accepted→report", "WaitForReport"), ("report→delivered", "Deliver")]
    previous = started
    for stage, state in marks:
        if state not in exits:
            break
        times.stages[stage] = (exits[state] - previous).total_seconds()
        previous = exits[state]
    return times


def wait_until_done(system: LocalSystem, case_ids: list[str], timeout: float) -> None:
    """Until no case's execution runs, or `timeout` seconds (the reconciliation names the rest)."""
    sfn = system.session.client("stepfunctions")
    pending = set(case_ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for case_id in list(pending):
            status = sfn.describe_execution(executionArn=execution_arn(system, case_id))["status"]
            if status != "RUNNING":
                pending.discard(case_id)
        time.sleep(0.5)


class Progress:
    """Every `every` seconds, one line on stderr: files judged, cases submitted and ended."""

    def __init__(self, system: LocalSystem, cases: int, files: int, every: float) -> None:
        self.system, self.cases, self.files, self.every = system, cases, files, every
        self.submitted: list[str] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True, name="progress")

    def __enter__(self) -> Progress:
        if self.every:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            judged = sum(1 for c in self.system.invocations.since(self._started) if c.trigger == "queue")
            print(
                f"  [{time.monotonic() - self._started:5.0f} s] {judged} validations, "
                f"{len(self.submitted)}/{self.cases} cases submitted",
                file=sys.__stderr__,
                flush=True,
            )


def run_load(
    system: LocalSystem,
    *,
    cases: int,
    files: int,
    folder: Path,
    captured: telemetry.Telemetry | None = None,
    roster: list[dict[str, Any]] | None = None,
    expedited_every: int = 0,
    poll: float = 1.0,
    timeout: float = 600,
    progress_every: float = 0,
) -> LoadRun:
    """Drive `cases` concurrent cases of `files` files each; `roster` radiologists are added first.
    A patient who cannot submit is reported, not fatal: the others carry on."""
    api = Api(system.api_url, timeout=timeout)
    key = tokens.signing_key(system.state_dir)
    ops = tokens.mint(tokens.ops_claims(), key)
    for entry in roster or []:
        api.call("PUT", f"/ops/radiologists/{entry['radiologist_id']}", ops, json=entry)
    radiologists = [r["radiologist_id"] for r in api.call("GET", "/ops/radiologists", ops)]
    specs = []
    for index in range(cases):
        template = SERIES[index % len(SERIES)]
        tier = (
            "expedited" if expedited_every and index % expedited_every == expedited_every - 1 else "standard"
        )
        specs.append(CaseSpec(files=write_series(template, files, folder / f"case-{index:03d}"), tier=tier))
    bots = Radiologists(
        api, {r: tokens.mint(tokens.radiologist_claims(r), key) for r in radiologists}, poll=poll
    )
    failures: list[str] = []
    progress = Progress(system, cases, files, progress_every)

    def patient(spec: CaseSpec) -> OpenedCase | None:
        try:
            opened = open_case(api, spec, poll=poll, patience=timeout)
        except Exception as error:  # reported with the reconciliation
            failures.append(f"a patient could not submit: {type(error).__name__}: {error}")
            return None
        progress.submitted.append(opened.case_id)
        return opened

    started = time.monotonic()
    with bots, progress, ThreadPoolExecutor(max_workers=cases) as patients:
        opened = [c for c in patients.map(patient, specs) if c is not None]
        validated = max((c.validated for c in opened), default=time.monotonic())
        wait_until_done(system, [c.case_id for c in opened], timeout)
    finished = time.monotonic()
    checked = reconcile(system, [c.case_id for c in opened], captured, files_per_case=files)
    checked.problems[:0] = failures
    return LoadRun(
        opened=opened,
        times=[stage_times(system, c) for c in opened],
        started=started,
        validated=validated,
        finished=finished,
        reconciliation=checked,
        failures=failures,
    )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _stage_table(run: LoadRun, baseline: LoadRun | None) -> list[str]:
    head = f"  {'stage':18} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"
    lines = [head + ("  p50 / alone" if baseline else ""), "  " + "-" * (len(head) + 10)]
    for stage, _ in STAGES:
        values = [t.stages[stage] for t in run.times if stage in t.stages]
        if not values:
            lines.append(f"  {stage:18} {'-':>7}")
            continue
        row = (
            f"  {stage:18} {percentile(values, 0.5):7.2f} {percentile(values, 0.95):7.2f} {max(values):7.2f}"
        )
        alone = [t.stages[stage] for t in baseline.times if stage in t.stages] if baseline else []
        if alone and statistics.median(alone) > 0:
            row += f"  {percentile(values, 0.5) / statistics.median(alone):8.1f}x"
        lines.append(row)
    return lines


def print_report(run: LoadRun, baseline: LoadRun | None, calls: list[Any]) -> None:
    elapsed = run.finished - run.started
    upload_phase = run.validated - run.started
    print(
        f"\n{len(run.opened)} cases, {run.files} files, {elapsed:.1f} s from the first upload to the last end"
    )
    print(f"  throughput: {run.files / upload_phase:.1f} files validated/s over the upload phase", end="")
    print(f" ({upload_phase:.1f} s)")
    print(f"              {len(run.opened) / elapsed * 60:.1f} cases/min end to end")
    durations = [c.duration_ms for c in calls if c.step == "validate" and c.trigger == "queue"]
    if durations:
        print(
            f"  validate invocations: {len(durations)}, p50 {percentile(durations, 0.5):.0f} ms, "
            f"p95 {percentile(durations, 0.95):.0f} ms (local wall time, moto's work included)"
        )
    print("\nper stage (wall seconds on the local stack; the execution history's timestamps):")
    print("\n".join(_stage_table(run, baseline)))
    for stage, meaning in STAGES:
        print(f"  {stage:18} {meaning}")
    print("\nreconciliation:")
    print("\n".join("  " + line for line in run.reconciliation.lines()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50, help="concurrent cases (50)")
    parser.add_argument("--files", type=int, default=100, help="DICOM files per case (100)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=120,
        help="SLA time compression (120: an expedited offer lapses after 30 s, as the scripted radiologists "
        "need under load)",
    )
    parser.add_argument(
        "--expedited-every", type=int, default=5, help="every Nth case expedited (5; 0: none)"
    )
    parser.add_argument("--assembly", default="cdk.out")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    sla = 72 * 3600 / options.time_scale
    roster = load_roster(options.cases)
    print(f"local stack, time {options.time_scale:g}x faster (standard SLA {sla:.0f} s)")
    print(f"baseline: 1 case alone; then {options.cases} concurrent cases of {options.files} files each,")
    print(f"with {len(roster)} radiologists added by PUT /ops/radiologists (capacity {CAPACITY})", flush=True)
    with telemetry.quiet():  # the functions' output stays off the terminal
        system = LocalSystem(assembly_dir=Path(options.assembly), port=0, time_scale=options.time_scale)
        system.start()
        try:
            with (
                tempfile.TemporaryDirectory(prefix="load-") as folder,
                telemetry.capture(echo=False) as captured,
            ):
                baseline = run_load(
                    system, cases=1, files=options.files, folder=Path(folder) / "alone", timeout=sla
                )
                mark = time.monotonic()
                run = run_load(
                    system,
                    cases=options.cases,
                    files=options.files,
                    folder=Path(folder) / "load",
                    captured=captured,
                    roster=roster,
                    expedited_every=options.expedited_every,
                    timeout=sla,
                    progress_every=30,
                )
        finally:
            system.stop()
    print("\nbaseline, 1 case alone:")
    print("\n".join(_stage_table(baseline, None)))
    print_report(run, baseline, system.invocations.since(mark))
    return 0 if run.reconciliation.ok else 1


if __name__ == "__main__":
    sys.exit(main())
