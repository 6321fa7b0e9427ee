"""A reading written in another language than the patient's, through the real state machine:
the case waits for a bilingual radiologist's sign-off, and the delivered report is the signed-off
translation and says so."""

from __future__ import annotations

import io
from typing import Any

import requests
from pypdf import PdfReader

from cli.client import Api, wait_for
from local.reconcile import execution_arn
from local.roster import DEMO_ROSTER
from local.system import LocalSystem

from .conftest import accept, events, offer_for, open_case, ops_detail, report_body, staff_token

QUESTION = "Ist es gefährlich?"
NAMES = {r.radiologist_id: r.name for r in DEMO_ROSTER}
GERMAN = {
    "findings": "Keine akuten Veränderungen.",
    "impression": "Normale Untersuchung.",
    "summary": "Ihre Aufnahme sieht normal aus. Das ist eine gute Nachricht.",
    "answers": [{"question": QUESTION, "answer": "Nein, es ist nicht gefährlich."}],
    "radpeer_reasoning": "Gleiche Beurteilung wie im ersten Bericht.",
    "recommendations": ["Besprechen Sie das Ergebnis mit Ihrer Ärztin oder Ihrem Arzt."],
}


def _execution_history(system: LocalSystem, case_id: str) -> list[str]:
    history = system.session.client("stepfunctions").get_execution_history(
        executionArn=execution_arn(system, case_id), maxResults=1000
    )
    return [
        e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e
    ]


def _translation(system: LocalSystem, api: Api, case_id: str) -> tuple[str, str] | None:
    """(radiologist, assignment id) of the case's translation, once it is on their worklist."""
    found = [a for a in ops_detail(system, api, case_id)["assignments"] if a["task"] == "translation"]
    if not found:
        return None
    radiologist, assignment_id = found[-1]["radiologist_id"], found[-1]["assignment_id"]
    items = api.call("GET", "/worklist", staff_token(system, radiologist))
    waiting = any(i["assignment_id"] == assignment_id and i["status"] == "translation" for i in items)
    return (radiologist, assignment_id) if waiting else None


def _pdf_text(api: Api, case_id: str, token: str) -> str:
    link = api.call("POST", f"/cases/{case_id}/report/link", token)["download_url"]
    pdf = requests.get(link, timeout=30).content
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_an_english_reading_for_a_german_patient_is_delivered_as_the_signed_off_german_translation(
    system: LocalSystem, api: Api
) -> None:
    # Given a German patient's case, read and reported in English
    case_id, token = open_case(api, questions=[QUESTION], language="de")
    reader, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, reader, case_id, assignment_id)
    english = report_body([QUESTION], language="en")
    assert (
        api.call("POST", f"/assignments/{assignment_id}/report", staff, json=english)["status"] == "reported"
    )

    # When the workflow goes on, it waits for a radiologist who reads both to sign off a translation
    translator, translation_id = wait_for(lambda: _translation(system, api, case_id), "the translation", 30)
    assert "report_generated" not in events(system, api, case_id)
    signer = staff_token(system, translator)
    task: dict[str, Any] = api.call("GET", f"/assignments/{translation_id}", signer)["translation"]
    assert (task["source_language"], task["target_language"], task["draft"]) == ("en", "de", None)
    assert task["original"]["summary"] == english["summary"]

    # And that radiologist signs off the German text through the API
    signed = api.call("POST", f"/assignments/{translation_id}/translation", signer, json=GERMAN)
    assert signed["status"] == "signed_off"

    # Then the case is delivered, and the report is the German text, saying it was translated and by whom
    wait_for(lambda: "patient_notified" in events(system, api, case_id), "delivery", 60)
    text = _pdf_text(api, case_id, token)
    assert GERMAN["summary"] in text and GERMAN["answers"][0]["answer"] in text
    assert english["summary"] not in text
    assert "auf Englisch geschrieben" in text and NAMES[translator] in text
    entered = _execution_history(system, case_id)
    assert entered.index("WaitForReport") < entered.index("WaitForTranslation") < entered.index("Report")
    timeline = events(system, api, case_id)
    assert timeline.index("translation_assigned") < timeline.index("translation_signed_off")
    assert timeline.index("translation_signed_off") < timeline.index("report_generated")


def test_a_sign_off_not_made_in_time_is_escalated_and_offered_to_the_next_radiologist(
    system: LocalSystem, api: Api
) -> None:
    # Given a German patient's case reported in English, and a translation waiting for sign-off
    case_id, token = open_case(api, questions=[QUESTION], language="de")
    reader, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, reader, case_id, assignment_id)
    api.call(
        "POST", f"/assignments/{assignment_id}/report", staff, json=report_body([QUESTION], language="en")
    )
    first, first_id = wait_for(lambda: _translation(system, api, case_id), "the translation", 30)

    # When its radiologist lets the read window pass without signing off
    def next_one() -> tuple[str, str] | None:
        found = _translation(system, api, case_id)
        return found if found and found[1] != first_id else None

    second, second_id = wait_for(next_one, "the translation to move on", 90)

    # Then ops were told, another radiologist who reads both has it, and their sign-off is delivered
    timeline = events(system, api, case_id)
    assert "escalated:translation_overdue" in timeline and "translation_timed_out" in timeline
    assert second != first
    api.call("POST", f"/assignments/{second_id}/translation", staff_token(system, second), json=GERMAN)
    wait_for(lambda: "patient_notified" in events(system, api, case_id), "delivery", 60)
    assert NAMES[second] in _pdf_text(api, case_id, token)
