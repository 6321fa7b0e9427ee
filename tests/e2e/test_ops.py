"""Ops through the local gateway: the audit trail, reassignment, the roster."""

from __future__ import annotations

from cli.client import Api
from local import tokens
from local.system import LocalSystem

from .conftest import assignments, offer_for, open_case


def _ops(system: LocalSystem) -> str:
    return tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))


def test_ops_reassign_takes_the_case_from_its_radiologist_and_offers_it_to_another(
    system: LocalSystem, api: Api
) -> None:
    # Given a case offered to a first radiologist
    case_id, token = open_case(api)
    first, _ = offer_for(api, system, case_id, token, nth=1)
    # When ops reassign it
    detail = api.call("POST", f"/ops/cases/{case_id}/reassign", _ops(system), json={"reason": "on leave"})
    # Then the first assignment ended as declined by ops, and another radiologist is offered it
    assert detail["assignments"][0]["status"] == "declined"
    assert detail["assignments"][0]["decline_reason"] == "reassigned by ops: on leave"
    second, _ = offer_for(api, system, case_id, token, nth=2)
    assert second != first


def test_the_audit_trail_says_every_state_change_who_and_when(system: LocalSystem, api: Api) -> None:
    case_id, token = open_case(api)
    offer_for(api, system, case_id, token)
    detail = api.call("GET", f"/ops/cases/{case_id}", _ops(system))
    events = [(e["event"], e["actor"]) for e in detail["timeline"]]
    assert events[:3] == [
        ("case_created", "patient"),
        ("submitted", "patient"),
        ("assigned", assignments(system, api, case_id)[0]),
    ]
    assert all(e["at"] for e in detail["timeline"])
    assert detail["assignments"][0]["reason"]  # why this radiologist was chosen
    assert "email" not in detail and "symptoms" not in detail


def test_reassigning_a_case_nobody_holds_says_so(system: LocalSystem, api: Api) -> None:
    created = api.call(
        "POST",
        "/cases",
        json={"tier": "standard", "language": "de", "email": "a@example.org", "consent": True},
    )
    refused = api.call(
        "POST",
        f"/ops/cases/{created['case_id']}/reassign",
        _ops(system),
        json={"reason": "test"},
        expect=(409,),
    )
    assert refused["error"] == "assignment_closed"


def test_ops_add_a_radiologist_and_update_them_without_touching_their_load(
    system: LocalSystem, api: Api
) -> None:
    entry = {
        "radiologist_id": "rad-new-1",
        "name": "Dr. Nora Weber",
        "email": "nora@example.org",
        "subspecialties": ["musculoskeletal"],
        "languages": ["de", "en"],
        "institution": "Praxis Demo",
        "licences": ["CH-ZH"],
        "capacity": 3,
    }
    created = api.call("PUT", "/ops/radiologists/rad-new-1", _ops(system), json=entry)
    assert created["open_reads"] == 0 and created["licences"] == ["CH-ZH"]
    updated = api.call("PUT", "/ops/radiologists/rad-new-1", _ops(system), json={**entry, "capacity": 4})
    assert updated["capacity"] == 4
    listed = {r["radiologist_id"] for r in api.call("GET", "/ops/radiologists", _ops(system))}
    assert "rad-new-1" in listed and "rad-neuro-1" in listed
    bad = api.call(
        "PUT", "/ops/radiologists/rad-new-1", _ops(system), json={**entry, "languages": ["es"]}, expect=(422,)
    )
    assert "languages" in bad["message"]
