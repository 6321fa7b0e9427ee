"""Fault injection: each function, each kind of fault, one case at a time, on the local stack.

Run from the repository root: ``.venv/bin/python benchmarks/faults.py`` (or ``make faults``). For
every scenario a fault (local/faults.py) is planned for one invocation of one function, a case is
driven through the API by a scripted patient and scripted radiologists, and the outcome is read
back: did the state machine's retries and catchers (or the queue's redelivery, or the client's
retry) recover the case, or escalate it to ops; is any execution left running; does the
reconciliation of local/reconcile.py hold. A case that failed is then restarted by ops, the fault
gone, and must be delivered. A last scenario fails every validation until the upload events land
in the dead-letter queue, then replays them with `secondopinion ops replay`. Exits 1 when a
scenario ends otherwise than designed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from cli import ops  # noqa: E402 - after the repository is on the path
from cli.client import Api  # noqa: E402
from cli.scenario import CaseSpec, OpenedCase, Radiologists, open_case, write_series  # noqa: E402
from local import telemetry, tokens  # noqa: E402
from local.faults import Fault, FaultKind  # noqa: E402
from local.reconcile import execution_arn, queues, reconcile  # noqa: E402
from local.system import LocalSystem  # noqa: E402

RECOVERED, ESCALATED, STUCK, LOST = "recovered", "escalated", "stuck", "lost"
FILES = 2
KINDS = (FaultKind.EXCEPTION, FaultKind.TIMEOUT, FaultKind.THROTTLE)
REPORT_ROUTE = "POST /assignments/{assignment_id}/report"
SUBMIT_ROUTE = "POST /cases/{case_id}/submit"


@dataclass(frozen=True)
class Scenario:
    fault: Fault
    expect: str
    why: str
    dead_letters: bool = False


def _each_kind(step: str, trigger: str, on_exception: str, why: str, retried: str) -> list[Scenario]:
    """The three kinds of fault in one place: an unexpected exception is handled as `on_exception`
    says; a timeout and a throttled call are transient, retried, and recover."""
    return [
        Scenario(
            Fault(step, kind, trigger=trigger),
            on_exception if kind == FaultKind.EXCEPTION else RECOVERED,
            why if kind == FaultKind.EXCEPTION else retried,
        )
        for kind in KINDS
    ]


SCENARIOS: list[Scenario] = [
    *_each_kind(
        "intake", SUBMIT_ROUTE, RECOVERED, "the browser retries the 502", "the browser retries the 502"
    ),
    *_each_kind(
        "validate", "queue", RECOVERED, "the message is delivered again", "the message is delivered again"
    ),
    *_each_kind("assign", "assign", ESCALATED, "catcher: EscalateFailure", "task retry"),
    *_each_kind("assign", "offer", ESCALATED, "catcher: EscalateFailure", "task retry"),
    *_each_kind("assign", REPORT_ROUTE, RECOVERED, "the workstation retries", "the workstation retries"),
    *_each_kind("report", "task", ESCALATED, "catcher: EscalateFailure", "task retry"),
    *_each_kind("deliver", "task", ESCALATED, "catcher: EscalateFailure", "task retry"),
    Scenario(
        Fault("validate", FaultKind.EXCEPTION, times=5 * FILES, trigger="queue"),
        RECOVERED,
        "5 receives each, dead-letter queue, then ops replay",
        dead_letters=True,
    ),
]


@dataclass
class Outcome:
    scenario: Scenario
    case_id: str
    result: str
    execution: str
    case_status: str
    alerts: list[str]
    injected: int
    task_failures: int
    seconds: float
    problems: list[str] = field(default_factory=list)
    after_restart: str = "-"
    """A case that failed, once the fault is gone and ops restarted it: its status then."""

    @property
    def as_designed(self) -> bool:
        return self.result == self.scenario.expect and not self.problems

    def line(self) -> str:
        mark = "ok " if self.as_designed else "NO "
        alerts = ",".join(self.alerts) or "-"
        return (
            f"{mark} {self.scenario.fault.describe():72} {self.result:9} {self.execution:9} "
            f"{self.case_status:9} {alerts:22} {self.task_failures:2} {self.seconds:5.1f}  "
            f"{self.after_restart:9}  {self.scenario.why}"
        )


HEADER = (
    f"    {'fault':72} {'outcome':9} {'execution':9} {'case':9} {'alerts':22} tf {'s':>5}  "
    f"{'restarted':9}  how"
)


class Bench:
    """The local stack with scripted radiologists at work, running one scenario at a time."""

    def __init__(
        self, system: LocalSystem, folder: Path, captured: telemetry.Telemetry | None = None
    ) -> None:
        self.system, self.folder, self.captured = system, folder, captured
        self.api = Api(system.api_url, timeout=60)
        key = tokens.signing_key(system.state_dir)
        ops_token = tokens.mint(tokens.ops_claims(), key)
        staff = [r["radiologist_id"] for r in self.api.call("GET", "/ops/radiologists", ops_token)]
        self.radiologists = Radiologists(
            self.api, {r: tokens.mint(tokens.radiologist_claims(r), key) for r in staff}
        )
        self.bound = 2 * 72 * 3600 / system.time_scale  # twice the standard SLA
        self.count = 0

    def __enter__(self) -> Bench:
        self.radiologists.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.radiologists.stop()
        self.system.faults.clear()

    def run(self, scenario: Scenario) -> Outcome:
        self.count += 1
        spec = CaseSpec(files=write_series("CT_small.dcm", FILES, self.folder / f"scenario-{self.count:02d}"))
        faults = self.system.faults
        faults.clear()
        faults.inject(scenario.fault)
        started = time.monotonic()
        opened: list[OpenedCase] = []
        patient = threading.Thread(target=lambda: opened.append(open_case(self.api, spec)), daemon=True)
        patient.start()
        injected = self._replay_when_dead(FILES) if scenario.dead_letters else 0
        patient.join(timeout=self.bound)
        if not opened:
            faults.clear()
            return Outcome(
                scenario,
                "-",
                LOST,
                "-",
                "-",
                [],
                len(faults.injected),
                0,
                time.monotonic() - started,
                ["the patient could not submit the case"],
            )
        case_id = opened[0].case_id
        execution = self._wait(case_id)
        injected = max(injected, len(faults.injected))
        faults.clear()
        outcome = self._outcome(scenario, case_id, execution, injected, time.monotonic() - started)
        if outcome.case_status == "failed":
            self._restart(outcome)
        return outcome

    def _restart(self, outcome: Outcome) -> None:
        """The fault is gone (the bug fixed): ops restart the failed case, which must be delivered."""
        ops_token = tokens.mint(tokens.ops_claims(), tokens.signing_key(self.system.state_dir))
        run = self.api.call("POST", f"/ops/cases/{outcome.case_id}/restart", ops_token)["run"]
        execution = self._wait(outcome.case_id, run)
        case = self.api.call("GET", f"/ops/cases/{outcome.case_id}", ops_token)
        outcome.after_restart = case["status"]
        if execution != "SUCCEEDED" or case["status"] != "delivered":
            outcome.problems.append(f"restarted, the case ended {case['status']} ({execution})")
        outcome.problems += reconcile(self.system, [outcome.case_id], files_per_case=FILES).problems

    def _replay_when_dead(self, count: int) -> int:
        """Wait for `count` dead letters, fix the function (clear the fault), replay them; how
        many invocations the fault hit."""
        sqs = self.system.session.client("sqs")
        _, dead = queues(self.system)
        deadline = time.monotonic() + self.bound
        while time.monotonic() < deadline:
            attributes = sqs.get_queue_attributes(
                QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"]
            )
            if int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= count:
                break
            time.sleep(0.5)
        injected = len(self.system.faults.injected)
        self.system.faults.clear()
        # as ops would: the command, the queues found from the stack's outputs
        replayed = ops.run_replay(
            stack=self.system.stack_name,
            queue=None,
            dead_letters=None,
            dry_run=False,
            limit=None,
            region=self.system.region,
            endpoint_url=self.system.aws_endpoint,
        )
        if replayed != 0:
            raise RuntimeError(f"secondopinion ops replay failed with exit code {replayed}")
        return injected

    def _wait(self, case_id: str, run: int = 0) -> str:
        sfn = self.system.session.client("stepfunctions")
        arn = execution_arn(self.system, case_id, run)
        deadline = time.monotonic() + self.bound
        while True:
            status = str(sfn.describe_execution(executionArn=arn)["status"])
            if status != "RUNNING" or time.monotonic() > deadline:
                return status
            time.sleep(0.3)

    def _outcome(
        self, scenario: Scenario, case_id: str, execution: str, injected: int, seconds: float
    ) -> Outcome:
        sfn = self.system.session.client("stepfunctions")
        history: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn(self.system, case_id)
        ):
            history += page["events"]
        failures = sum(1 for e in history if e["type"] in ("TaskFailed", "LambdaFunctionFailed"))
        checked = reconcile(self.system, [case_id], self.captured, files_per_case=FILES)
        ops_token = tokens.mint(tokens.ops_claims(), tokens.signing_key(self.system.state_dir))
        case = self.api.call("GET", f"/ops/cases/{case_id}", ops_token)
        if execution == "RUNNING":
            result = STUCK
        elif execution == "SUCCEEDED" and case["status"] == "delivered":
            result = RECOVERED
        elif case["escalated"] and case["alerts"]:
            result = ESCALATED
        else:
            result = LOST
        if injected == 0:
            checked.problems.append("the fault was never injected")
        return Outcome(
            scenario,
            case_id,
            result,
            execution,
            case["status"],
            case["alerts"],
            injected,
            failures,
            seconds,
            checked.problems,
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=3600, help="SLA time compression (3600)")
    parser.add_argument("--only", default="", help="run the scenarios whose description contains this")
    parser.add_argument("--assembly", default="cdk.out")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    chosen = [s for s in SCENARIOS if options.only in s.fault.describe()]
    print(f"local stack, time {options.time_scale:g}x faster; {len(chosen)} scenarios, one case each")
    print("tf: task failures the state machine saw (each retried or caught)\n")
    print(HEADER, flush=True)
    outcomes = []
    with telemetry.quiet():  # the functions' output stays off the terminal; the outcomes go to it
        system = LocalSystem(
            assembly_dir=Path(options.assembly), port=0, time_scale=options.time_scale
        ).start()
        try:
            with (
                tempfile.TemporaryDirectory(prefix="faults-") as folder,
                telemetry.capture(echo=False) as captured,
                Bench(system, Path(folder), captured) as bench,
            ):
                for scenario in chosen:
                    outcome = bench.run(scenario)
                    outcomes.append(outcome)
                    print(outcome.line(), file=sys.__stdout__, flush=True)
        finally:
            system.stop()
    wrong = [o for o in outcomes if not o.as_designed]
    for o in wrong:
        for problem in o.problems or [f"expected {o.scenario.expect}, got {o.result}"]:
            print(f"  {o.scenario.fault.describe()}: {problem}")
    print(
        f"\n{len(outcomes) - len(wrong)} of {len(outcomes)} scenarios ended as designed; "
        f"{sum(o.result == STUCK for o in outcomes)} executions left running"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
