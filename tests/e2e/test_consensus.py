"""Consensus reads: two radiologists in parallel, blinded, then merged or agreed and co-signed."""

from __future__ import annotations

import io
from typing import Any

import requests
from pypdf import PdfReader

from cli.client import Api, wait_for
from local.roster import DEMO_ROSTER
from local.system import LocalSystem

from .conftest import accept, assignments, open_case, report_body, staff_token
from .conftest import events as audit_events

QUESTIONS = ["Is it serious?"]
NAMES = {r.radiologist_id: r.name for r in DEMO_ROSTER}


def _two_offers(api: Api, system: LocalSystem, case_id: str, token: str) -> list[tuple[str, str]]:
    """(radiologist, assignment id) of both readers, once each offer can be acted on."""
    readers = wait_for(lambda: len(a := assignments(system, api, case_id)) >= 2 and a[:2], "two readers", 60)

    def offer_of(radiologist: str) -> str | None:
        items = [
            i
            for i in api.call("GET", "/worklist", staff_token(system, radiologist))
            if i["case_id"] == case_id
        ]
        return items[0]["assignment_id"] if items else None

    return [(r, wait_for(lambda r=r: offer_of(r), f"{r}'s offer", 30)) for r in readers]


def _read(
    api: Api, system: LocalSystem, case_id: str, radiologist: str, assignment_id: str, **body: Any
) -> None:
    staff = accept(api, system, radiologist, case_id, assignment_id)
    done = api.call(
        "POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS, **body)
    )
    assert done["status"] == "reported"


def _pdf_text(api: Api, case_id: str, token: str) -> str:
    status = api.call("GET", f"/cases/{case_id}/report", token)
    link = (
        status.get("download_url") or api.call("POST", f"/cases/{case_id}/report/link", token)["download_url"]
    )
    pdf = requests.get(link, timeout=30).content
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _delivered(api: Api, case_id: str, token: str) -> None:
    wait_for(
        lambda: (
            "patient_notified"
            in [e["event"] for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]]
        ),
        "delivery",
        60,
    )


def test_two_concordant_readings_are_merged_into_one_report_naming_both(
    system: LocalSystem, api: Api
) -> None:
    # Given a consensus case: two different radiologists are offered it in parallel
    case_id, token = open_case(api, questions=QUESTIONS, consensus=True)
    (first, first_id), (second, second_id) = _two_offers(api, system, case_id, token)
    assert first != second
    # When both read it and agree (same RADPEER grade, no critical finding)
    _read(api, system, case_id, first, first_id)
    _read(api, system, case_id, second, second_id)
    # Then the case is delivered with one report that names both radiologists
    _delivered(api, case_id, token)
    text = _pdf_text(api, case_id, token)
    assert NAMES[first].split()[-1] in text and NAMES[second].split()[-1] in text
    events = audit_events(system, api, case_id)
    assert "consensus_concordant" in events


def test_discordant_readings_are_agreed_by_the_primary_and_cosigned_by_the_second(
    system: LocalSystem, api: Api
) -> None:
    # Given a consensus case read twice, blinded: neither sees the other's reading while reading
    case_id, token = open_case(api, questions=QUESTIONS, consensus=True)
    readers = _two_offers(api, system, case_id, token)
    for radiologist, assignment_id in readers:
        view = api.call("GET", f"/assignments/{assignment_id}", staff_token(system, radiologist))
        assert view["readings"] == []
    # When they disagree on the original reading's grade
    _read(api, system, case_id, *readers[0], radpeer="1")
    _read(api, system, case_id, *readers[1], radpeer="3b", radpeer_reasoning="A lesion was missed.")

    # Then one of them is asked for the agreed reading, seeing both readings
    def step(status: str) -> tuple[str, str] | None:
        for radiologist, assignment_id in readers:
            items = api.call("GET", "/worklist", staff_token(system, radiologist))
            if any(i["assignment_id"] == assignment_id and i["status"] == status for i in items):
                return radiologist, assignment_id
        return None

    primary, primary_id = wait_for(lambda: step("consensus"), "the consensus step", 30)
    view = api.call("GET", f"/assignments/{primary_id}", staff_token(system, primary))
    assert sorted(r["radpeer"] for r in view["readings"]) == ["1", "3b"]
    agreed = report_body(QUESTIONS, radpeer="2a", radpeer_reasoning="Agreed: a small, understandable miss.")
    api.call("POST", f"/assignments/{primary_id}/consensus", staff_token(system, primary), json=agreed)
    # And the other co-signs it, after which the agreed reading is delivered
    second, second_id = wait_for(lambda: step("cosign"), "the co-signing step", 30)
    assert second != primary
    api.call(
        "POST", f"/assignments/{second_id}/cosign", staff_token(system, second), json={"comment": "Agreed."}
    )
    _delivered(api, case_id, token)
    events = audit_events(system, api, case_id)
    assert (
        events.index("consensus_discordant")
        < events.index("consensus_written")
        < events.index("consensus_cosigned")
        < events.index("delivered")
    )
