"""Faults injected into the functions on the local stack: the workflow recovers or escalates,
and no execution is left running (a representative subset of benchmarks/faults.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.faults import ESCALATED, RECOVERED, SCENARIOS, Bench, Scenario
from local import telemetry, tokens
from local.faults import FaultKind
from local.system import LocalSystem


def scenario(step: str, kind: FaultKind, trigger: str, *, dead_letters: bool = False) -> Scenario:
    (found,) = [
        s
        for s in SCENARIOS
        if (s.fault.step, s.fault.kind, s.fault.trigger, s.dead_letters)
        == (step, kind, trigger, dead_letters)
    ]
    return found


@pytest.fixture(scope="module")
def bench(system: LocalSystem, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    with (
        telemetry.capture(echo=False) as captured,
        Bench(system, tmp_path_factory.mktemp("faults"), captured) as b,
    ):
        yield b


@pytest.mark.parametrize(
    ("step", "kind", "trigger", "expected"),
    [
        ("validate", FaultKind.EXCEPTION, "queue", RECOVERED),  # the queue delivers the message again
        ("assign", FaultKind.EXCEPTION, "assign", ESCALATED),  # a bug: caught, the case fails to ops
        ("report", FaultKind.TIMEOUT, "task", RECOVERED),  # Sandbox.Timedout: retried
        ("deliver", FaultKind.THROTTLE, "task", RECOVERED),  # a throttled AWS call: retried
    ],
)
def test_a_fault_in_a_function_is_recovered_or_escalated_and_nothing_is_left_running(
    bench: Bench, step: str, kind: FaultKind, trigger: str, expected: str
) -> None:
    # Given one invocation of the function planned to fail; when a case runs through it
    outcome = bench.run(scenario(step, kind, trigger))
    # Then the fault hit, and the case ended as designed, with every record in order
    assert outcome.injected >= 1
    assert outcome.result == expected, outcome.line()
    assert outcome.execution != "RUNNING"
    assert outcome.problems == []


def test_a_failed_step_leaves_the_case_failed_for_ops_who_restart_it_once_it_is_fixed(
    bench: Bench, system: LocalSystem
) -> None:
    # Given a report step that fails with a bug: the case fails, with an alert for ops
    outcome = bench.run(scenario("report", FaultKind.EXCEPTION, "task"))
    assert (outcome.execution, outcome.case_status, outcome.alerts) == ("FAILED", "failed", ["step_failed"])
    assert outcome.task_failures == 1  # an unexpected error is not retried: it is caught at once

    # When the bug is fixed (the fault is gone) and ops restart the case (the bench does both)
    # Then the second run delivers it from the reading the first run got: nobody read it twice
    assert outcome.after_restart == "delivered"
    assert outcome.problems == []
    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    detail = bench.api.call("GET", f"/ops/cases/{outcome.case_id}", ops)
    readers = {a["radiologist_id"] for a in detail["assignments"] if a["status"] == "reported"}
    assert len(readers) == 1
    events = [e["event"] for e in detail["timeline"]]
    assert events.count("reported") == 1 and "reading_carried_over" in events
    assert "review_restarted" in events


def test_upload_events_that_keep_failing_are_replayed_from_the_dead_letter_queue(bench: Bench) -> None:
    # Given validation failing for every receive of both files' events (five each), so that both
    # land in the dead-letter queue; when the fault is gone and ops replay the dead letters
    outcome = bench.run(scenario("validate", FaultKind.EXCEPTION, "queue", dead_letters=True))
    # Then both files are judged once and the case is delivered
    assert outcome.injected == 10
    assert outcome.result == RECOVERED, outcome.line()
    assert outcome.problems == []
