"""A workflow step that failed beyond its retries: the case stops in FAILED, ops are told once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from secondopinion.store import RosterStore

from .support import Offer, Stack, invoke


def escalate(case_id: str, reason: str) -> None:
    """The workflow's EscalateFailure task (and its retries)."""
    invoke("assign", {"action": "escalate", "request": {"case_id": case_id, "reason": reason}})


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
