"""Assign against moto: the workflow's tasks as Step Functions sends them, the radiologist's routes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from secondopinion import crypto
from secondopinion.errors import NoRadiologistAvailable
from secondopinion.models import Subspecialty
from secondopinion.store import RosterStore

from .support import (
    OPS_CLAIMS,
    READ_TOKEN,
    TASK_TOKEN,
    Offer,
    RecordingStepFunctions,
    Stack,
    accept,
    assign,
    call_api,
    decline,
    offer,
    radiologist_call,
    radiologist_claims,
    release,
    report_body,
    send_report,
)

QUESTIONS = ["Is the finding in my liver serious?", "Do I need another scan?"]
BODY_IMAGING = {"rad-body-1", "rad-body-2", "rad-chest-1"}
"""The demo roster's radiologists who read body imaging."""


def _assignment(stack: Stack, assignment_id: str) -> dict[str, Any]:
    return stack.item("ASSIGNMENTS_TABLE", {"assignment_id": assignment_id})


def _open_reads(roster: RosterStore, radiologist_id: str) -> int:
    found = roster.get(radiologist_id)
    assert found is not None
    return found.open_reads


def _worklist(radiologist_id: str) -> list[str]:
    response = call_api("assign", "GET", "/worklist", claims=radiologist_claims(radiologist_id))
    assert response.status == 200, response.text
    return [item["assignment_id"] for item in response.json]


# --- the workflow's tasks --------------------------------------------------------------------------


def test_assign_offers_a_ct_abdomen_case_to_a_body_imaging_radiologist(
    stack: Stack, fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a submitted case whose accepted image is a CT slice
    case_id, _ = submitted_case()

    # When the workflow's Assign task runs
    result = assign(case_id, attempt=0, offer_seconds=600)

    # Then a body-imaging radiologist holds an offer due in the review time, one more read open
    assert result["radiologist_id"] in BODY_IMAGING
    item = _assignment(stack, result["assignment_id"])
    assert (item["case_id"], item["status"], item["subspecialty"]) == (case_id, "offered", "body_imaging")
    assert item["attempt"] == 0
    radiologist = fresh_roster.get(result["radiologist_id"])
    assert radiologist is not None and Subspecialty.BODY in radiologist.subspecialties
    assert radiologist.open_reads == 1


def test_offer_keeps_the_task_token_only_kms_encrypted(
    stack: Stack, fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given an assignment
    case_id, _ = submitted_case()
    assignment_id = assign(case_id)["assignment_id"]

    # When the workflow hands over its task token
    offer(assignment_id, TASK_TOKEN)

    # Then the item holds it only as KMS ciphertext, bound to this assignment
    item = _assignment(stack, assignment_id)
    assert TASK_TOKEN not in json.dumps(item, default=str)
    ciphertext = item["task_token_ciphertext"]
    assert crypto.decrypt(ciphertext, {"assignment_id": assignment_id}) == TASK_TOKEN


def test_the_worklist_shows_an_offer_only_to_its_radiologist(offered: Callable[..., Offer]) -> None:
    # Given an offer waiting for its radiologist
    waiting = offered()
    others = BODY_IMAGING - {waiting.radiologist_id}

    # When each body-imaging radiologist reads their worklist
    worklists = {r: _worklist(r) for r in BODY_IMAGING}

    # Then only the assigned one sees it
    assert waiting.assignment_id in worklists[waiting.radiologist_id]
    assert all(waiting.assignment_id not in worklists[r] for r in others)


def test_release_after_a_timeout_frees_the_radiologists_capacity(
    stack: Stack, fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given an offer that holds one of its radiologist's reads
    waiting = offered()
    assert _open_reads(fresh_roster, waiting.radiologist_id) == 1

    # When the review times out and the workflow's ReleaseReview task runs
    result = release(waiting.case_id, waiting.assignment_id, attempt=0, error="States.Timeout")

    # Then the read is free again, the assignment timed out, and the next attempt is counted
    assert result == {"attempt": 1}
    assert _open_reads(fresh_roster, waiting.radiologist_id) == 0
    assert _assignment(stack, waiting.assignment_id)["status"] == "timed_out"


def test_assign_again_never_picks_a_radiologist_who_already_had_the_case(
    fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case whose first radiologist let the review time out
    first = offered()
    release(first.case_id, first.assignment_id, attempt=0)

    # When the workflow assigns it again, and again after that one times out too
    second = assign(first.case_id, attempt=1)
    release(first.case_id, second["assignment_id"], attempt=1)
    third = assign(first.case_id, attempt=2)

    # Then every attempt went to a different body-imaging radiologist
    chosen = [first.radiologist_id, second["radiologist_id"], third["radiologist_id"]]
    assert len(set(chosen)) == 3
    assert set(chosen) <= BODY_IMAGING


def test_once_every_eligible_one_let_it_lapse_the_case_is_offered_again_oldest_lapse_first(
    stack: Stack, fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case every body-imaging radiologist was offered and let lapse, in turn
    first = offered()
    release(first.case_id, first.assignment_id, attempt=0)
    order = [first.radiologist_id]
    for attempt in (1, 2):
        again = assign(first.case_id, attempt=attempt)
        order.append(again["radiologist_id"])
        release(first.case_id, again["assignment_id"], attempt=attempt)
    assert set(order) == BODY_IMAGING

    # When the workflow assigns it once more, and that offer lapses too, and once more
    fourth = assign(first.case_id, attempt=3)
    release(first.case_id, fourth["assignment_id"], attempt=3)
    fifth = assign(first.case_id, attempt=4)

    # Then it goes back to those who let it lapse, the longest ago first, instead of waiting in
    # the queue for someone new; the offer says why, and each holds one open read at most
    assert [fourth["radiologist_id"], fifth["radiologist_id"]] == order[:2]
    assert "offered again" in _assignment(stack, fifth["assignment_id"])["reason"]
    assert _open_reads(fresh_roster, order[1]) == 1
    assert _open_reads(fresh_roster, order[0]) == 0


def test_a_radiologist_who_declined_is_never_offered_the_case_again(
    fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case whose first radiologist declined and whose other two let it lapse
    first = offered()
    assert decline(first.assignment_id, radiologist_id=first.radiologist_id).status == 200
    release(first.case_id, first.assignment_id, attempt=0, error="Review.Declined")
    later = []
    for attempt in (1, 2, 3, 4):
        again = assign(first.case_id, attempt=attempt)
        later.append(again["radiologist_id"])
        release(first.case_id, again["assignment_id"], attempt=attempt)

    # Then the case went round the two who let it lapse, never back to the one who declined
    assert first.radiologist_id not in later
    assert set(later) == BODY_IMAGING - {first.radiologist_id}
    assert later[:2] == later[2:]


def test_assign_raises_no_radiologist_available_when_every_eligible_one_declined(
    fresh_roster: RosterStore, offered: Callable[..., Offer]
) -> None:
    # Given a case every body-imaging radiologist was offered and declined
    current = offered()
    assignment_id, radiologist_id = current.assignment_id, current.radiologist_id
    for attempt in range(3):
        assert decline(assignment_id, radiologist_id=radiologist_id).status == 200
        release(current.case_id, assignment_id, attempt=attempt, error="Review.Declined")
        if attempt < 2:
            again = assign(current.case_id, attempt=attempt + 1)
            offer(again["assignment_id"], TASK_TOKEN)
            assignment_id, radiologist_id = again["assignment_id"], again["radiologist_id"]

    # When the workflow assigns it once more
    with pytest.raises(NoRadiologistAvailable) as raised:
        assign(current.case_id, attempt=3)

    # Then the error's name is the one the state machine catches to wait in the queue
    assert type(raised.value).__name__ == "NoRadiologistAvailable"


def test_assign_raises_no_radiologist_available_when_nobody_is_available(
    fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a roster on which nobody is available
    case_id, _ = submitted_case()
    for radiologist in fresh_roster.all():
        fresh_roster.put(radiologist.model_copy(update={"available": False}))

    # When the workflow's Assign task runs
    with pytest.raises(NoRadiologistAvailable) as raised:
        assign(case_id)

    # Then it raises the error the state machine catches by name, and nobody's load changed
    assert type(raised.value).__name__ == "NoRadiologistAvailable"
    assert all(r.open_reads == 0 for r in fresh_roster.all())


# --- who may act on an assignment ------------------------------------------------------------------

ROUTES = [
    ("GET", "/assignments/{assignment_id}", None),
    ("POST", "/assignments/{assignment_id}/accept", None),
    ("POST", "/assignments/{assignment_id}/decline", {"reason": "Conflict of interest"}),
    ("POST", "/assignments/{assignment_id}/report", report_body(QUESTIONS)),
]
CALLERS = {
    # caller: (how the request is authenticated, expected status)
    "another-radiologist": (lambda patient_token: {"claims": radiologist_claims("rad-body-2")}, 404),
    "no-claims": (lambda patient_token: {}, 401),
    "ops-only": (lambda patient_token: {"claims": OPS_CLAIMS}, 403),
    "patient-token": (lambda patient_token: {"token": patient_token}, 401),
}


@pytest.mark.parametrize(("method", "route", "body"), ROUTES, ids=["view", "accept", "decline", "report"])
@pytest.mark.parametrize("caller", list(CALLERS))
def test_only_the_assigned_radiologist_may_use_an_assignment_route(
    stack: Stack,
    offered: Callable[..., Offer],
    step_functions: RecordingStepFunctions,
    method: str,
    route: str,
    body: dict[str, Any] | None,
    caller: str,
) -> None:
    # Given an offer to rad-body-1 and a caller who is not rad-body-1
    waiting = offered(questions=QUESTIONS)
    assert waiting.radiologist_id == "rad-body-1"
    authentication, expected = CALLERS[caller]
    kwargs: dict[str, Any] = {"body": body, **authentication(waiting.token)}

    # When the caller uses the route
    response = call_api(
        "assign", method, route, path_parameters={"assignment_id": waiting.assignment_id}, **kwargs
    )

    # Then it is refused, and neither the assignment nor the workflow was touched
    assert response.status == expected, response.text
    assert set(response.json) == {"error", "message"}
    assert _assignment(stack, waiting.assignment_id)["status"] == "offered"
    assert step_functions.calls == []


# --- the radiologist's actions ---------------------------------------------------------------------


def test_the_assignment_view_shows_the_case_but_never_the_task_token(offered: Callable[..., Offer]) -> None:
    # Given an offer
    waiting = offered(questions=QUESTIONS)

    # When its radiologist opens it
    response = radiologist_call("GET", "/assignments/{assignment_id}", waiting.assignment_id)

    # Then it shows the questions and the CT study, with neither the token nor its ciphertext
    assert response.status == 200
    assert response.json["questions"] == QUESTIONS
    assert [s["modalities"] for s in response.json["studies"]] == [["CT"]]
    assert TASK_TOKEN not in response.text and "task_token" not in response.text
    # and the heartbeat window the workstation must beat within (the workflow input's)
    assert response.json["heartbeat_seconds"] == 900


def test_accept_resumes_the_offer_with_its_decrypted_token_and_the_reads_time(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an offer
    waiting = offered()

    # When its radiologist accepts it
    response = accept(waiting.assignment_id)

    # Then the offer's task succeeded with its own token and the read's time, none of it shown
    assert response.status == 200
    assert response.json == {"assignment_id": waiting.assignment_id, "status": "accepted"}
    ((method, sent),) = step_functions.calls
    assert method == "send_task_success" and sent["taskToken"] == TASK_TOKEN
    outcome = json.loads(sent["output"])
    assert outcome["assignment_id"] == waiting.assignment_id and 0 < outcome["read_seconds"] <= 3600
    assert TASK_TOKEN not in response.text


def test_decline_fails_the_task_as_review_declined_keeping_the_reason_in_the_table(
    stack: Stack, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an offer
    waiting = offered()

    # When its radiologist declines it with a reason
    response = decline(waiting.assignment_id, reason="I reported the original study")

    # Then the task fails with the error the workflow catches; the reason stays server-side
    assert response.status == 200
    assert response.json["status"] == "declined"
    assert step_functions.calls == [
        ("send_task_failure", {"taskToken": TASK_TOKEN, "error": "Review.Declined"})
    ]
    assert _assignment(stack, waiting.assignment_id)["decline_reason"] == "I reported the original study"
    assert TASK_TOKEN not in response.text


def test_a_report_resumes_the_workflow_with_the_outcome_and_frees_the_read(
    stack: Stack,
    fresh_roster: RosterStore,
    offered: Callable[..., Offer],
    step_functions: RecordingStepFunctions,
) -> None:
    # Given an accepted assignment
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    step_functions.calls.clear()  # the accept resumed the offer; what follows is the read

    # When its radiologist submits a reading that answers every question
    response = send_report(waiting.assignment_id, report_body(QUESTIONS))

    # Then the workflow resumes with the outcome, the case is being reported, and the read is free
    assert response.status == 200
    assert response.json == {"assignment_id": waiting.assignment_id, "status": "reported"}
    method, sent = step_functions.calls[-1]
    assert method == "send_task_success" and sent["taskToken"] == READ_TOKEN
    assert json.loads(sent["output"]) == {
        "assignment_id": waiting.assignment_id,
        "radiologist_id": waiting.radiologist_id,
    }
    assert TASK_TOKEN not in response.text
    assert stack.item("CASES_TABLE", {"case_id": waiting.case_id})["status"] == "reporting"
    assert _open_reads(fresh_roster, waiting.radiologist_id) == 0


def test_a_report_that_leaves_a_question_unanswered_is_400(
    stack: Stack, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an accepted assignment for a case with two questions
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    step_functions.calls.clear()  # the accept resumed the offer; what follows is the read

    # When the reading answers only the first
    response = send_report(waiting.assignment_id, report_body(QUESTIONS[:1]))

    # Then it is refused with how many are missing, and nothing moved on
    assert response.status == 400
    assert response.json == {
        "error": "invalid_request",
        "message": "Answer every question of the patient: 1 unanswered.",
    }
    assert _assignment(stack, waiting.assignment_id)["status"] == "accepted"
    assert "send_task_success" not in step_functions.methods()


def test_a_repeated_identical_report_is_answered_200_and_resumes_with_the_same_outcome(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a reading submitted once
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    step_functions.calls.clear()  # the accept resumed the offer; what follows is the read
    first = send_report(waiting.assignment_id, report_body(QUESTIONS))

    # When the browser sends the same submission again
    again = send_report(waiting.assignment_id, report_body(QUESTIONS))

    # Then the repeat succeeds like the first; resuming again (in case the first resume was lost)
    # carries the same token and outcome, which Step Functions refuses once the task is done
    assert first.status == again.status == 200
    assert again.json == first.json
    successes = [kwargs for method, kwargs in step_functions.calls if method == "send_task_success"]
    assert len(successes) == 2 and successes[0] == successes[1]


def test_a_report_after_declining_is_409(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an assignment its radiologist declined
    waiting = offered(questions=QUESTIONS)
    decline(waiting.assignment_id)

    # When a reading arrives for it
    response = send_report(waiting.assignment_id, report_body(QUESTIONS))

    # Then it is refused as closed, and the workflow hears nothing more
    assert response.status == 409
    assert response.json["error"] == "assignment_closed"
    assert step_functions.methods() == ["send_task_failure"]


# --- bugs ------------------------------------------------------------------------------------------


def test_a_retried_assign_of_the_same_attempt_returns_the_same_assignment(
    fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given an Assign task that did its work but whose result the workflow never received
    case_id, _ = submitted_case()
    first = assign(case_id, attempt=0)

    # When Step Functions retries the same task
    retried = assign(case_id, attempt=0)

    # Then the retry returns the same assignment and no other radiologist's read is taken
    assert retried == first
    assert sum(r.open_reads for r in fresh_roster.all()) == 1


def test_a_retried_release_frees_the_read_only_once(
    fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a body-imaging team that each have one other read open, and an offer that timed out
    for radiologist_id in BODY_IMAGING:
        radiologist = fresh_roster.get(radiologist_id)
        assert radiologist is not None
        fresh_roster.put(radiologist.model_copy(update={"open_reads": 1}))
    case_id, _ = submitted_case()
    assigned = assign(case_id)
    assert _open_reads(fresh_roster, assigned["radiologist_id"]) == 2
    release(case_id, assigned["assignment_id"], attempt=0)

    # When Step Functions retries the ReleaseReview task
    release(case_id, assigned["assignment_id"], attempt=0)

    # Then the radiologist's other read is still counted
    assert _open_reads(fresh_roster, assigned["radiologist_id"]) == 1


def test_a_report_retried_after_send_task_success_failed_resumes_the_workflow(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given an accepted assignment, and a first submission whose SendTaskSuccess call failed
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    step_functions.calls.clear()  # the accept resumed the offer; what follows is the read
    step_functions.fail_next.add("send_task_success")
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        send_report(waiting.assignment_id, report_body(QUESTIONS))

    # When the radiologist submits again
    again = send_report(waiting.assignment_id, report_body(QUESTIONS))

    # Then the answer is only a success once the workflow has the outcome
    assert again.status == 200
    assert step_functions.methods().count("send_task_success") == 1


def test_a_different_second_report_is_not_acknowledged_as_saved(
    stack: Stack, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a reading submitted once
    waiting = offered(questions=QUESTIONS)
    accept(waiting.assignment_id)
    step_functions.calls.clear()  # the accept resumed the offer; what follows is the read
    send_report(waiting.assignment_id, report_body(QUESTIONS))

    # When the radiologist sends a corrected reading
    corrected = send_report(waiting.assignment_id, report_body(QUESTIONS, impression="Haemangioma."))

    # Then it is either refused or stored, never acknowledged and dropped
    stored = _assignment(stack, waiting.assignment_id)["submission"]["impression"]
    assert corrected.status == 409 or stored == "Haemangioma."
