"""Who may act on an assignment, through the local gateway and the real workflow."""

from __future__ import annotations

from cli.client import Api
from local import tokens
from local.system import LocalSystem

from .conftest import accept, offer_for, open_case, report_body, staff_token

QUESTIONS = ["Is it serious?"]


def test_only_the_assigned_radiologist_with_a_valid_token_can_act(system: LocalSystem, api: Api) -> None:
    # Given a case offered to one radiologist
    case_id, token = open_case(api, questions=QUESTIONS)
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    other = next(r for r in ("rad-body-2", "rad-chest-1", "rad-body-1") if r != radiologist)
    key = tokens.signing_key(system.state_dir)
    route = f"/assignments/{assignment_id}"
    # Then another radiologist sees no such assignment, and nobody gets in without a valid token
    assert (
        api.call("GET", route, staff_token(system, other), expect=(404,))["error"] == "assignment_not_found"
    )
    assert api.call("POST", f"{route}/accept", staff_token(system, other), expect=(404,))
    forged = tokens.mint(tokens.radiologist_claims(radiologist), b"not-the-key" * 3)
    expired = tokens.mint(tokens.radiologist_claims(radiologist), key, seconds=-60)
    for bad in (forged, expired, token, "garbage"):
        assert api.call("GET", route, bad, expect=(401,))["error"] == "unauthorized"
    # And the assigned radiologist can
    assert api.call("GET", route, staff_token(system, radiologist))["case_id"] == case_id


def test_a_duplicate_report_is_answered_alike_and_a_reassigned_read_is_closed(
    system: LocalSystem, api: Api
) -> None:
    # Given a read, reported twice by a double click
    case_id, token = open_case(api, questions=QUESTIONS)
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, radiologist, case_id, assignment_id)
    body = report_body(QUESTIONS)
    first = api.call("POST", f"/assignments/{assignment_id}/report", staff, json=body)
    second = api.call("POST", f"/assignments/{assignment_id}/report", staff, json=body)
    # Then both answers are the same, and a different second reading is refused
    assert first == second == {"assignment_id": assignment_id, "status": "reported"}
    changed = api.call(
        "POST",
        f"/assignments/{assignment_id}/report",
        staff,
        json={**body, "impression": "Something else."},
        expect=(409,),
    )
    assert changed["error"] == "assignment_closed"
    # And once ops reassign a live case, its former reader can no longer act on it
    case2, token2 = open_case(api, questions=QUESTIONS)
    reader, held = offer_for(api, system, case2, token2)
    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    api.call("POST", f"/ops/cases/{case2}/reassign", ops, json={"reason": "test"})
    late = api.call("POST", f"/assignments/{held}/accept", staff_token(system, reader), expect=(409,))
    assert late["error"] == "assignment_closed"
