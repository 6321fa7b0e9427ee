"""A longitudinal case through the real state machine: priors travel with the assignment, the
reading compares each one, and the report says how things changed."""

from __future__ import annotations

import io

import requests
from pypdf import PdfReader

from cli.client import Api, wait_for
from local.system import LocalSystem

from .conftest import accept, offer_for, open_case, report_body, staff_token

QUESTIONS = ["Has it changed?"]


def test_a_longitudinal_reading_compares_the_earlier_study_and_the_report_says_so(
    system: LocalSystem, api: Api
) -> None:
    # Given a longitudinal case with an earlier and a current study
    case_id, token = open_case(
        api, questions=QUESTIONS, longitudinal=True, files=("CT_small.dcm", "MR_small.dcm")
    )
    # When the radiologist opens it: the earlier study travels with the assignment
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, radiologist, case_id, assignment_id)
    studies = api.call("GET", f"/assignments/{assignment_id}", staff)["studies"]
    prior = next(s for s in studies if not s["current"])
    # Then a reading without the comparison is refused, and one with it is delivered
    missing = api.call(
        "POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS), expect=(400,)
    )
    assert "missing" in missing["message"]
    comparison = {
        "study_instance_uid": prior["study_instance_uid"],
        "change": "stable",
        "note": "The small spot looks the same as before.",
    }
    api.call(
        "POST",
        f"/assignments/{assignment_id}/report",
        staff_token(system, radiologist),
        json=report_body(QUESTIONS, comparisons=[comparison]),
    )
    wait_for(
        lambda: (
            "patient_notified"
            in [e["event"] for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]]
        ),
        "delivery",
        60,
    )
    link = api.call("POST", f"/cases/{case_id}/report/link", token)["download_url"]
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(requests.get(link, timeout=30).content)).pages
    )
    assert "The small spot looks the same as before." in " ".join(text.split())
