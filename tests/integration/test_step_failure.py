"""A workflow step that failed beyond its retries: the case stops in FAILED, ops are told once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from secondopinion.store import RosterStore

from .support import (
    OPS_CLAIMS,
    Offer,
    Stack,
    accept,
    assign,
    escalate,
    radiologist_claims,
    report_body,
    restart,
    send_report,
)


def _case(stack: Stack, case_id: str) -> dict[str, Any]:
    return stack.item("CASES_TABLE", {"case_id": case_id})


def test_a_failed_step_stops_the_case_in_failed_and_gives_the_offer_back(
    stack: Stack, fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case whose offer holds one of its radiologist's reads
    waiting = offered()

    # When the workflow escalates a step that failed beyond its retries
    escalate(waiting.case_id, "step_failed")

    # Then the case has failed, flagged for ops with the reason, and nobody can act on the offer
    case = _case(stack, waiting.case_id)
    assert case["status"] == "failed"
    assert case["escalated"] is True and case["alerts"] == ["step_failed"]
    assert "review_failed" in [e["event"] for e in case["timeline"]]
    assignment = stack.item("ASSIGNMENTS_TABLE", {"assignment_id": waiting.assignment_id})
    assert assignment["status"] == "timed_out" and assignment["released"] is True
    found = fresh_roster.get(waiting.radiologist_id)
    assert found is not None and found.open_reads == 0


def test_a_retried_failure_escalation_tells_ops_once_and_frees_the_slot_once(
    stack: Stack, fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    waiting = offered()
    escalate(waiting.case_id, "step_failed")
    escalate(waiting.case_id, "step_failed")  # the task retried after a lost answer

    case = _case(stack, waiting.case_id)
    assert case["alerts"] == ["step_failed"]
    assert [e["event"] for e in case["timeline"]].count("escalated:step_failed") == 1
    found = fresh_roster.get(waiting.radiologist_id)
    assert found is not None and found.open_reads == 0


def test_other_escalations_leave_the_case_in_review(stack: Stack, offered: Callable[..., Offer]) -> None:
    waiting = offered()
    escalate(waiting.case_id, "nobody_available")

    case = _case(stack, waiting.case_id)
    assert case["status"] == "in_review" and case["alerts"] == ["nobody_available"]
    assignment = stack.item("ASSIGNMENTS_TABLE", {"assignment_id": waiting.assignment_id})
    assert assignment["status"] == "offered"


# --- ops restart a failed case ---------------------------------------------------------------------

QUESTIONS = ["Is the finding in my liver serious?"]


def _executions(stack: Stack) -> list[str]:
    sfn = stack.session.client("stepfunctions")
    arn = stack.environment["STATE_MACHINE_ARN"]
    return [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]


def test_ops_restart_a_failed_case_as_its_next_run_with_the_same_deadline(
    stack: Stack, offered: Callable[..., Offer]
) -> None:
    # Given a case that failed (a step failed beyond its retries)
    waiting = offered()
    escalate(waiting.case_id, "step_failed")
    before = _case(stack, waiting.case_id)

    # When ops restart it once the cause is fixed, and the call is repeated after a lost answer
    first = restart(waiting.case_id)
    again = restart(waiting.case_id)

    # Then it is back in review as run 1, started once under a new execution name, with the
    # deadline the patient was given; the failure alert is cleared so that a second one is heard
    assert first.status == 200, first.text
    assert first.json == {"case_id": waiting.case_id, "status": "in_review", "run": 1}
    assert again.status == 200 and again.json["run"] == 1
    case = _case(stack, waiting.case_id)
    assert case["status"] == "in_review" and case["run"] == 1
    assert case["deadline"] == before["deadline"]
    assert "step_failed" not in case["alerts"]
    assert case["timeline"][-1]["event"] == "review_restarted"
    assert case["timeline"][-1]["actor"] == OPS_CLAIMS["sub"]
    assert _executions(stack).count(f"{waiting.case_id}-run1") == 1


def test_only_a_failed_case_can_be_restarted(offered: Callable[..., Offer]) -> None:
    waiting = offered()
    response = restart(waiting.case_id)
    assert response.status == 409 and response.json["error"] == "case_not_ready"
    assert "Only a failed case" in response.json["message"]


@pytest.mark.parametrize(
    ("claims", "status"), [(radiologist_claims("rad-body-1"), 403), ({}, 401)], ids=["radiologist", "nobody"]
)
def test_only_ops_may_restart_a_case(
    offered: Callable[..., Offer], claims: dict[str, str], status: int
) -> None:
    waiting = offered()
    escalate(waiting.case_id, "step_failed")
    assert restart(waiting.case_id, claims).status == status


def test_a_reading_the_failed_run_got_is_carried_over_into_the_restarted_run(
    stack: Stack, fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case whose radiologist reported, after which the report step failed for good
    waiting = offered(questions=QUESTIONS)
    rid = waiting.radiologist_id
    assert accept(waiting.assignment_id, rid).status == 200
    assert send_report(waiting.assignment_id, report_body(QUESTIONS), rid).status == 200
    escalate(waiting.case_id, "step_failed")
    assert restart(waiting.case_id).status == 200

    # When the new run assigns the case (and the task is retried after a lost answer)
    carried = assign(waiting.case_id, run=1)
    retried = assign(waiting.case_id, run=1)

    # Then the same radiologist's reading is reused under the new run's own assignment, flagged
    # so that the workflow skips the offer and the read; nobody's load changes
    assert carried == retried
    assert carried["carried"] is True and carried["radiologist_id"] == rid
    assert carried["assignment_id"] != waiting.assignment_id
    copy = stack.item("ASSIGNMENTS_TABLE", {"assignment_id": carried["assignment_id"]})
    assert copy["status"] == "reported" and copy["submission"]["impression"]
    assert copy["carried_from"] == waiting.assignment_id and "carried over" in copy["reason"]
    found = fresh_roster.get(rid)
    assert found is not None and found.open_reads == 0
    events = [e["event"] for e in _case(stack, waiting.case_id)["timeline"]]
    assert events.count("reading_carried_over") == 1


def test_a_restarted_run_without_a_reading_offers_the_case_again(
    stack: Stack, offered: Callable[..., Offer]
) -> None:
    # Given a case that failed while its offer was open (the offer ended with the failure)
    waiting = offered()
    escalate(waiting.case_id, "step_failed")
    assert restart(waiting.case_id).status == 200
    # When the new run assigns it
    fresh = assign(waiting.case_id, run=1)
    # Then it is a new offer, under the new run's own assignment id, to the same radiologist: the
    # offer ended because the case failed, which is no lapse of theirs
    assert fresh["carried"] is False and fresh["assignment_id"] != waiting.assignment_id
    assert fresh["radiologist_id"] == waiting.radiologist_id
    assert stack.item("ASSIGNMENTS_TABLE", {"assignment_id": fresh["assignment_id"]})["status"] == "offered"
