"""Cases through every state of the real synthesized state machine, with compressed time."""

from __future__ import annotations

import json
from typing import Any

import requests

from cli.client import Api, wait_for
from local.reconcile import execution_arn
from local.system import LocalSystem

from .conftest import accept, assignments, events, offer_for, open_case, report_body, staff_token

QUESTIONS = ["Is it serious?"]


def _entered(system: LocalSystem, case_id: str) -> list[str]:
    sfn = system.session.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution_arn(system, case_id), maxResults=1000)["events"]
    # The states a case went through, without the routing Choice and Pass states.
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in events
        if "stateEnteredEventDetails" in e and e["type"] not in ("ChoiceStateEntered", "PassStateEntered")
    ]


def _status(system: LocalSystem, case_id: str) -> str:
    sfn = system.session.client("stepfunctions")
    return str(sfn.describe_execution(executionArn=execution_arn(system, case_id))["status"])


def _patient_timeline(api: Api, case_id: str, token: str) -> list[str]:
    return [e["event"] for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]]


def _read_and_report(api: Api, system: LocalSystem, case_id: str, token: str, nth: int = 1) -> str:
    radiologist, assignment_id = offer_for(api, system, case_id, token, nth=nth)
    staff = accept(api, system, radiologist, case_id, assignment_id)
    done = api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS))
    assert done["status"] == "reported"
    return radiologist


def _delivered(api: Api, system: LocalSystem, case_id: str, token: str) -> None:
    wait_for(lambda: "patient_notified" in events(system, api, case_id), "delivery", 60)
    wait_for(lambda: _status(system, case_id) == "SUCCEEDED", "the execution to succeed", 30)


def test_a_case_goes_from_request_to_a_downloaded_report(system: LocalSystem, api: Api) -> None:
    # Given a submitted case with a real CT image
    case_id, token = open_case(api, questions=QUESTIONS)
    # When the assigned radiologist accepts the offer, reads and reports
    _read_and_report(api, system, case_id, token)
    # Then the workflow went through every step, the case is delivered, and the PDF downloads
    _delivered(api, system, case_id, token)
    assert _entered(system, case_id) == [
        "Assign",
        "WaitForAcceptance",
        "WaitForReport",
        "AssignTranslation",
        "Report",
        "Deliver",
        "Delivered",
    ]
    link = api.call("POST", f"/cases/{case_id}/report/link", token)
    pdf = requests.get(link["download_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert _patient_timeline(api, case_id, token) == [
        "case_created",
        "submitted",
        "assigned",
        "accepted",
        "reported",
        "report_generated",
        "delivered",
        "patient_notified",
        "report_downloaded",
    ]


def test_the_patient_gets_one_email_without_health_data(system: LocalSystem, api: Api) -> None:
    # Given a delivered case
    case_id, token = open_case(api, questions=QUESTIONS)
    _read_and_report(api, system, case_id, token)
    _delivered(api, system, case_id, token)
    # When we look at the mail that went out for it
    mails = [m for m in system.sent_emails() if case_id in m["body"]]
    # Then there is exactly one, linking to the case page, with no findings or questions in it
    assert len(mails) == 1
    text = json.dumps(mails[0]).lower()
    for secret in ("serious", "normal", "pain", "findings"):
        assert secret not in text


def test_an_offer_nobody_accepts_in_time_goes_to_another_radiologist(system: LocalSystem, api: Api) -> None:
    # Given an expedited case (a 1 s acceptance window at this time scale) whose first offer lapses
    case_id, token = open_case(api, tier="expedited", questions=QUESTIONS)
    first, _ = offer_for(api, system, case_id, token, nth=1)
    # When the window passes, the timeout catcher releases it and the case is offered again
    second = _read_and_report(api, system, case_id, token, nth=2)
    # Then another radiologist read it, and the case was delivered
    assert second != first
    _delivered(api, system, case_id, token)
    entered = _entered(system, case_id)
    assert entered[:3] == ["Assign", "WaitForAcceptance", "ReleaseReview"]
    assert entered.count("Assign") == 2 and entered[-1] == "Delivered"
    assert "review_timed_out" in events(system, api, case_id)


def test_a_read_without_heartbeats_is_taken_back_and_reassigned(system: LocalSystem, api: Api) -> None:
    # Given an expedited case accepted by a radiologist who then goes silent (2 s heartbeat)
    case_id, token = open_case(api, tier="expedited", questions=QUESTIONS)
    first, assignment_id = offer_for(api, system, case_id, token, nth=1)
    staff = accept(api, system, first, case_id, assignment_id)
    # When the heartbeat timeout passes, the read is released and offered to someone else
    second, _ = offer_for(api, system, case_id, token, nth=2)
    # Then the silent radiologist can no longer report on it
    assert second != first
    late = api.call(
        "POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS), expect=(409,)
    )
    assert late["error"] == "assignment_closed"
    assert "WaitForReport" in _entered(system, case_id)


def test_heartbeats_keep_a_long_read_alive(system: LocalSystem, api: Api) -> None:
    # Given an expedited read (2 s heartbeat timeout)
    case_id, token = open_case(api, tier="expedited", questions=QUESTIONS)
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, radiologist, case_id, assignment_id)
    # When the workstation beats every half second for 3 s
    import time

    for _ in range(6):
        time.sleep(0.5)
        api.call("POST", f"/assignments/{assignment_id}/heartbeat", staff)
    # Then the read is still the same radiologist's, and the report goes through
    assert assignments(system, api, case_id) == [radiologist]
    api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS))
    _delivered(api, system, case_id, token)


def test_a_declined_case_goes_to_the_next_radiologist(system: LocalSystem, api: Api) -> None:
    # Given a case offered to a first radiologist
    case_id, token = open_case(api, questions=QUESTIONS)
    first, assignment_id = offer_for(api, system, case_id, token, nth=1)
    # When they decline with a reason
    result = api.call(
        "POST",
        f"/assignments/{assignment_id}/decline",
        staff_token(system, first),
        json={"reason": "Conflict of interest"},
    )
    # Then the assignment is declined, the case offered to someone else, and the first is locked out
    assert result["status"] == "declined"
    second, _ = offer_for(api, system, case_id, token, nth=2)
    assert second != first and assignments(system, api, case_id) == [first, second]
    again = api.call(
        "POST", f"/assignments/{assignment_id}/accept", staff_token(system, first), expect=(409,)
    )
    assert again["error"] == "assignment_closed"
    assert "review_declined" in events(system, api, case_id)


def test_repeated_misses_escalate_once_and_the_case_goes_round_those_who_let_it_lapse(
    system: LocalSystem, api: Api
) -> None:
    # Given an expedited body-imaging case whose offers all lapse: three readers, max_attempts 3
    case_id, _ = open_case(api, tier="expedited", questions=QUESTIONS)
    # When every eligible radiologist has had it and let it lapse
    offered = wait_for(
        lambda: a if len(a := assignments(system, api, case_id)) >= 4 else None, "a second round", 60
    )
    # Then ops were told of the exhausted attempts once, and the case went round again, starting
    # with the one who let it lapse longest ago, instead of waiting in the queue for someone new
    assert len(set(offered[:3])) == 3 and offered[3] == offered[0]
    timeline = events(system, api, case_id)
    assert timeline.count("escalated:attempts_exhausted") == 1
    assert "escalated:nobody_available" not in timeline
    assert _status(system, case_id) == "RUNNING"
    assert _ops_view(system, api, case_id)["escalated"] is True


def test_a_case_every_eligible_radiologist_declined_waits_in_the_queue_with_ops_told(
    system: LocalSystem, api: Api
) -> None:
    # Given a body-imaging case offered in turn to each of its three eligible radiologists
    case_id, token = open_case(api, questions=QUESTIONS)
    declined = []
    for nth in (1, 2, 3):
        radiologist, assignment_id = offer_for(api, system, case_id, token, nth=nth)
        # When each declines
        api.call(
            "POST",
            f"/assignments/{assignment_id}/decline",
            staff_token(system, radiologist),
            json={"reason": "Outside my expertise"},
        )
        declined.append(radiologist)
    # Then nobody is left: ops are told once, and the execution waits in the queue, not failing
    wait_for(lambda: "escalated:nobody_available" in events(system, api, case_id), "the queue", 60)
    assert len(set(declined)) == 3 and assignments(system, api, case_id) == declined
    assert events(system, api, case_id).count("escalated:nobody_available") == 1
    assert _status(system, case_id) == "RUNNING"
    assert "WaitInQueue" in _entered(system, case_id)


def _ops_view(system: LocalSystem, api: Api, case_id: str) -> dict[str, Any]:
    from local import tokens

    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    return next(c for c in api.call("GET", "/ops/cases", ops) if c["case_id"] == case_id)
