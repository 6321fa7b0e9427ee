"""One case at a time through every state of the real synthesized state machine."""

from __future__ import annotations

import json

import requests

from cli.client import Api, wait_for
from local.system import LocalSystem

from .conftest import assignments, offer_for, open_case, report_body, staff_token


def _history(system: LocalSystem, case_id: str) -> list[dict]:
    sfn = system.session.client("stepfunctions")
    arn = system.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{case_id}"
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def _entered(events: list[dict]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def _status(system: LocalSystem, case_id: str) -> str:
    sfn = system.session.client("stepfunctions")
    arn = system.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{case_id}"
    return sfn.describe_execution(executionArn=arn)["status"]


def test_a_case_goes_from_request_to_a_downloaded_report(system: LocalSystem, api: Api) -> None:
    # Given a submitted case with a real CT image
    case_id, token = open_case(api, questions=["Is it serious?"])
    # When the assigned radiologist accepts and reports
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = staff_token(system, radiologist)
    assert api.call("POST", f"/assignments/{assignment_id}/accept", staff)["status"] == "accepted"
    assert (
        api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(["Is it serious?"]))[
            "status"
        ]
        == "reported"
    )
    # Then the case is delivered, the workflow succeeded through every step, and the PDF downloads
    wait_for(lambda: api.call("GET", f"/cases/{case_id}", token)["status"] == "delivered", "delivery", 60)
    wait_for(lambda: _status(system, case_id) == "SUCCEEDED", "the execution to succeed", 30)
    entered = _entered(_history(system, case_id))
    assert entered == ["Assign", "WaitForRadiologist", "Report", "Deliver", "Delivered"]
    link = api.call("GET", f"/cases/{case_id}/report", token)
    pdf = requests.get(link["download_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    timeline = [e["event"] for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]]
    assert timeline == [
        "case_created",
        "submitted",
        "assigned",
        "accepted",
        "reported",
        "report_generated",
        "delivered",
        "patient_notified",
    ]


def test_the_patient_gets_one_email_without_health_data(system: LocalSystem, api: Api) -> None:
    # Given a delivered case
    case_id, token = open_case(api, questions=["Is it serious?"])
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = staff_token(system, radiologist)
    api.call("POST", f"/assignments/{assignment_id}/accept", staff)
    api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(["Is it serious?"]))
    wait_for(lambda: api.call("GET", f"/cases/{case_id}", token)["status"] == "delivered", "delivery", 60)
    # When we look at the mail that went out for it
    mails = [m for m in system.sent_emails() if case_id in m["body"]]
    # Then there is exactly one, linking to the case page, with no findings or questions in it
    assert len(mails) == 1
    text = json.dumps(mails[0]).lower()
    for secret in ("serious", "normal", "pain", "findings"):
        assert secret not in text


def test_a_missed_review_deadline_reassigns_to_another_radiologist(system: LocalSystem, api: Api) -> None:
    # Given an expedited case (a 2 s read window at this time scale) whose first reader never answers
    case_id, token = open_case(api, tier="expedited", questions=["Is it serious?"])
    first, _ = offer_for(api, system, case_id, token, nth=1)
    # When the window passes, the state machine's timeout catcher releases and reassigns
    second, assignment_id = offer_for(api, system, case_id, token, nth=2)
    # Then a different radiologist has it, and can finish the case
    assert second != first
    staff = staff_token(system, second)
    api.call("POST", f"/assignments/{assignment_id}/accept", staff)
    api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(["Is it serious?"]))
    wait_for(lambda: _status(system, case_id) == "SUCCEEDED", "the execution to succeed", 60)
    entered = _entered(_history(system, case_id))
    assert entered[:4] == ["Assign", "WaitForRadiologist", "ReleaseReview", "CountAttempt"]
    assert entered.count("Assign") == 2 and entered[-1] == "Delivered"
    timeline = [e["event"] for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]]
    assert "review_timed_out" in timeline


def test_a_declined_case_goes_to_the_next_radiologist(system: LocalSystem, api: Api) -> None:
    # Given a case offered to a first radiologist
    case_id, token = open_case(api, questions=["Is it serious?"])
    first, assignment_id = offer_for(api, system, case_id, token, nth=1)
    # When they decline with a reason
    result = api.call(
        "POST",
        f"/assignments/{assignment_id}/decline",
        staff_token(system, first),
        json={"reason": "Conflict of interest"},
    )
    # Then the assignment is declined and the case is offered to someone else
    assert result["status"] == "declined"
    second, _ = offer_for(api, system, case_id, token, nth=2)
    assert second != first
    assert assignments(api, case_id, token) == [first, second]
    # And the first radiologist can no longer act on it
    again = api.call(
        "POST", f"/assignments/{assignment_id}/accept", staff_token(system, first), expect=(409,)
    )
    assert again["error"] == "assignment_closed"
