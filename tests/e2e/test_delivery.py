"""The report page through the local stack: its GET shows the delivery, its POST mints the download
(with the access token or an e-mailed one-time code), and an ops revoke stops it."""

from __future__ import annotations

import re

import requests

from cli.client import Api, wait_for
from local import tokens
from local.system import LocalSystem

from .conftest import accept, offer_for, open_case, report_body

QUESTIONS = ["Is it serious?"]


def _delivered_case(api: Api, system: LocalSystem) -> tuple[str, str]:
    case_id, token = open_case(api, questions=QUESTIONS)
    radiologist, assignment_id = offer_for(api, system, case_id, token)
    staff = accept(api, system, radiologist, case_id, assignment_id)
    api.call("POST", f"/assignments/{assignment_id}/report", staff, json=report_body(QUESTIONS))
    wait_for(
        lambda: any(
            e["event"] == "patient_notified" for e in api.call("GET", f"/cases/{case_id}", token)["timeline"]
        ),
        "delivery",
        60,
    )
    return case_id, token


def test_the_report_page_shows_mints_on_post_and_stops_after_a_revoke(system: LocalSystem, api: Api) -> None:
    # Given a delivered case
    case_id, token = _delivered_case(api, system)

    # When the patient's page reads the delivery, then posts for the link
    page = api.call("GET", f"/cases/{case_id}/report", token)
    link = api.call("POST", f"/cases/{case_id}/report/link", token)

    # Then the page shows the report ready without any URL, and the minted URL downloads the PDF
    assert page["ready"] is True and page["available"] is True and "download_url" not in page
    pdf = requests.get(link["download_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # And a one-time code e-mailed to the patient mints a link once
    sent = len(system.sent_emails())
    assert api.call("POST", f"/cases/{case_id}/report/code", expect=(202,))
    (mail,) = system.sent_emails()[sent:]
    found = re.search(r"\b(\d{6})\b", mail["body"])
    assert found
    api.call("POST", f"/cases/{case_id}/report/link", json={"code": found.group(1)})
    api.call("POST", f"/cases/{case_id}/report/link", json={"code": found.group(1)}, expect=(403,))

    # When ops revoke the delivery
    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    api.call("POST", f"/ops/cases/{case_id}/delivery/revoke", ops)

    # Then the next POST is refused, and the page says why
    refused = api.call("POST", f"/cases/{case_id}/report/link", token, expect=(410,))
    assert refused["error"] == "delivery_revoked"
    assert api.call("GET", f"/cases/{case_id}/report", token)["revoked"] is True
