"""The report page's flow against moto: a GET reads the delivery's state and spends nothing, a POST
mints a short-lived link with the access token or a one-time code, ops revoke, every mint is audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.ses.models import ses_backends
from secondopinion.clock import now

from functions.deliver import logic as deliver_logic
from local import cloud

from .support import (
    OPS_CLAIMS,
    REGION,
    ApiResponse,
    Offer,
    RecordingStepFunctions,
    Stack,
    accept,
    call_api,
    invoke,
    radiologist_claims,
    report_body,
    send_report,
)

# Health data the patient and the radiologist wrote, each with a marker no e-mail may contain.
PATIENT = "zqxflowpatient"
SYMPTOMS = "ZQXFLOWSYMPTOM: pain in the right flank"
QUESTION = "ZQXFLOWQUESTION: is the lesion in my liver cancer?"
HISTORY = "ZQXFLOWHISTORY: hepatitis B in 2019"
FINDINGS = "ZQXFLOWFINDING: a 12 mm simple cyst in liver segment VI."
SUMMARY = "ZQXFLOWSUMMARY: the spot on your liver is a harmless cyst."
MARKERS = ("zqxflow", "liver", "cyst", "hepatitis", "flank")


@dataclass(frozen=True)
class Delivered:
    case_id: str
    token: str
    email: str


def _reported(offered: Callable[..., Offer]) -> Offer:
    waiting = offered(
        email=f"{PATIENT}@example.org", symptoms=SYMPTOMS, questions=[QUESTION], clinical_history=HISTORY
    )
    accept(waiting.assignment_id)
    submitted = send_report(
        waiting.assignment_id, report_body([QUESTION], findings=FINDINGS, summary=SUMMARY)
    )
    assert submitted.status == 200, submitted.text
    return waiting


def _deliver(case: Offer) -> None:
    """The workflow's Report task, then its Deliver task with the Report task's result."""
    report = {"case_id": case.case_id, "reading": {"assignment_id": case.assignment_id}}
    invoke("deliver", invoke("report", report))


@pytest.fixture
def delivered(offered: Callable[..., Offer], step_functions: RecordingStepFunctions) -> Delivered:
    case = _reported(offered)
    _deliver(case)
    return Delivered(case.case_id, case.token, f"{PATIENT}@example.org")


def _sent() -> list[Any]:
    return list(ses_backends[cloud.ACCOUNT][REGION].sent_messages)


def _page(case_id: str, token: str | None) -> ApiResponse:
    return call_api(
        "deliver", "GET", "/cases/{case_id}/report", path_parameters={"case_id": case_id}, token=token
    )


def _link(case_id: str, token: str | None = None, body: dict[str, Any] | None = None) -> ApiResponse:
    return call_api(
        "deliver",
        "POST",
        "/cases/{case_id}/report/link",
        path_parameters={"case_id": case_id},
        token=token,
        body=body,
    )


def _ask_code(case_id: str) -> ApiResponse:
    return call_api("deliver", "POST", "/cases/{case_id}/report/code", path_parameters={"case_id": case_id})


def _code_from_mail(email: str, before: int) -> str:
    (message,) = [m for m in _sent()[before:] if m.destinations == {"ToAddresses": [email]}]
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, "the code e-mail holds no 6-digit code"
    return found.group(1)


def _revoke(case_id: str, claims: dict[str, str] | None = OPS_CLAIMS) -> ApiResponse:
    return call_api(
        "deliver",
        "POST",
        "/ops/cases/{case_id}/delivery/revoke",
        path_parameters={"case_id": case_id},
        claims=claims,
    )


def _downloads(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    item = stack.item("CASES_TABLE", {"case_id": case_id})
    return [e for e in item["timeline"] if e["event"] == "report_downloaded"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- the page: GET ---------------------------------------------------------------------------------


def test_the_report_page_shows_the_delivery_and_mints_nothing_however_often_it_is_fetched(
    stack: Stack, delivered: Delivered
) -> None:
    # Given a delivered case

    # When its report page is fetched five times, as mail scanners and the patient would
    pages = [_page(delivered.case_id, delivered.token) for _ in range(5)]

    # Then each shows the report ready until the delivery ends, with no URL, and nothing is spent
    for page in pages:
        assert page.status == 200, page.text
        assert page.json["ready"] is page.json["available"] is True
        assert page.json["revoked"] is page.json["expired"] is False
        assert page.json["formats"] == ["pdf", "html"]
        assert "download_url" not in page.json and "amazonaws" not in page.text.lower()
    ends = now() + timedelta(days=30)
    assert abs((datetime.fromisoformat(pages[0].json["expires_at"]) - ends).total_seconds()) < 120
    assert _downloads(stack, delivered.case_id) == []
    assert stack.item("CASES_TABLE", {"case_id": delivered.case_id}).get("download_count", 0) == 0


def test_the_report_page_before_delivery_says_it_is_not_ready(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a case whose reading is submitted but not yet delivered
    case = _reported(offered)

    # When the patient opens the report page
    page = _page(case.case_id, case.token)

    # Then it is not ready, and no link can be asked for
    assert page.status == 200, page.text
    assert page.json["ready"] is page.json["available"] is False
    assert page.json["expires_at"] is None and page.json["formats"] == []
    assert _link(case.case_id, case.token).json["error"] == "report_not_ready"


def test_the_report_page_needs_the_cases_token(delivered: Delivered, new_case: Callable[..., Any]) -> None:
    # Given a delivered case and another case's token
    _, other_token = new_case()

    # When the page is fetched without a token, and with the other case's
    # Then the first is 401, the second 404 like an unknown case
    assert _page(delivered.case_id, None).status == 401
    assert _page(delivered.case_id, other_token).json["error"] == "case_not_found"


# --- minting: POST with the access token -----------------------------------------------------------


def test_a_post_with_the_token_mints_a_presigned_get_of_the_html_report_on_request(
    stack: Stack, delivered: Delivered
) -> None:
    # Given a delivered case

    # When the patient's page asks for the HTML version
    response = _link(delivered.case_id, delivered.token, {"format": "html"})

    # Then the link is a presigned GET of the HTML report in the reports bucket, for minutes
    assert response.status == 200, response.text
    url = urlsplit(response.json["download_url"])
    assert int(parse_qs(url.query)["X-Amz-Expires"][0]) <= 300
    assert stack.environment["REPORTS_BUCKET"] in url.netloc + url.path
    assert url.path.endswith(f"/cases/{delivered.case_id}/report.html")


def test_a_post_with_another_cases_token_is_refused_as_not_found(
    delivered: Delivered, new_case: Callable[..., Any]
) -> None:
    # Given another patient's case and token
    _, other_token = new_case()

    # When that token is used for the delivered case's link
    response = _link(delivered.case_id, other_token)

    # Then it is refused exactly like an unknown case
    assert response.status == 404
    assert response.json["error"] == "case_not_found"


def test_a_post_without_token_or_code_is_401(delivered: Delivered) -> None:
    response = _link(delivered.case_id)
    assert response.status == 401
    assert response.json["error"] == "unauthorized"


def test_every_mint_appends_an_audit_entry_that_holds_no_secret(stack: Stack, delivered: Delivered) -> None:
    # Given a delivered case

    # When the patient mints a link twice, once with the token and once with a one-time code
    before = len(_sent())
    assert _link(delivered.case_id, delivered.token).status == 200
    assert _ask_code(delivered.case_id).status == 202
    code = _code_from_mail(delivered.email, before)
    assert _link(delivered.case_id, body={"code": code}).status == 200

    # Then each download is on the timeline, by the patient, and counted; neither secret is stored
    downloads = _downloads(stack, delivered.case_id)
    assert [(e["event"], e["actor"]) for e in downloads] == [("report_downloaded", "patient")] * 2
    item = stack.item("CASES_TABLE", {"case_id": delivered.case_id})
    assert item["download_count"] == 2
    stored = json.dumps(item, default=str)
    assert delivered.token not in stored and code not in stored


# --- one-time codes --------------------------------------------------------------------------------


def test_a_one_time_code_mints_a_link_once(delivered: Delivered) -> None:
    # Given a code e-mailed to the patient
    before = len(_sent())
    asked = _ask_code(delivered.case_id)
    assert asked.status == 202, asked.text
    code = _code_from_mail(delivered.email, before)

    # When the page posts it twice
    first = _link(delivered.case_id, body={"code": code})
    second = _link(delivered.case_id, body={"code": code})

    # Then the first mints the PDF link and the second is refused
    assert first.status == 200, first.text
    assert urlsplit(first.json["download_url"]).path.endswith(f"/cases/{delivered.case_id}/report.pdf")
    assert second.status == 403
    assert second.json["error"] == "invalid_code"


def test_five_wrong_codes_burn_the_code(delivered: Delivered) -> None:
    # Given a code e-mailed to the patient
    before = len(_sent())
    _ask_code(delivered.case_id)
    code = _code_from_mail(delivered.email, before)

    # When five wrong codes are tried
    wrong = [_link(delivered.case_id, body={"code": _wrong(code)}) for _ in range(5)]

    # Then each is refused, and the right code no longer works either
    assert [r.status for r in wrong] == [403] * 5
    assert _link(delivered.case_id, body={"code": code}).json["error"] == "invalid_code"


def test_a_code_is_refused_after_ten_minutes(delivered: Delivered, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a code e-mailed eleven minutes ago
    before = len(_sent())
    _ask_code(delivered.case_id)
    code = _code_from_mail(delivered.email, before)
    later = now() + timedelta(minutes=11)
    monkeypatch.setattr(deliver_logic, "now", lambda: later)

    # When it is used
    response = _link(delivered.case_id, body={"code": code})

    # Then it is refused
    assert response.status == 403
    assert response.json["error"] == "invalid_code"


def test_a_code_opens_only_its_own_case(
    stack: Stack, delivered: Delivered, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a code for one delivered case, and a second delivered case
    other = _reported(offered)
    _deliver(other)
    before = len(_sent())
    _ask_code(delivered.case_id)
    code = _code_from_mail(delivered.email, before)

    # When the code is posted for the other case, and for an id nobody has
    responses = [_link(case_id, body={"code": code}) for case_id in (other.case_id, "0" * 32)]

    # Then both are refused alike, and the unknown id does not come into being
    assert [(r.status, r.json["error"]) for r in responses] == [(403, "invalid_code")] * 2
    assert stack.item("CASES_TABLE", {"case_id": "0" * 32}) == {}


def test_the_code_route_answers_the_same_for_any_case_and_sends_only_for_a_delivered_one(
    delivered: Delivered, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a delivered case, a case still in review and an id nobody has
    in_review = offered()
    before = len(_sent())

    # When a code is asked for each
    answers = [_ask_code(c) for c in (delivered.case_id, in_review.case_id, "0" * 32)]

    # Then all three get the same 202, and only the delivered case's address gets an e-mail
    assert {a.status for a in answers} == {202}
    assert answers[0].json == answers[1].json == answers[2].json
    assert [m.destinations for m in _sent()[before:]] == [{"ToAddresses": [delivered.email]}]


def test_a_second_code_within_a_minute_is_not_sent(delivered: Delivered) -> None:
    # Given a code just sent
    before = len(_sent())
    _ask_code(delivered.case_id)

    # When another is asked for at once
    again = _ask_code(delivered.case_id)

    # Then the answer is the same, but the patient's inbox gets only the first
    assert again.status == 202
    assert len(_sent()) == before + 1


def test_the_code_email_holds_no_health_data_and_no_link_secret(stack: Stack, delivered: Delivered) -> None:
    # Given a delivered case
    before = len(_sent())

    # When the patient asks for a code
    _ask_code(delivered.case_id)

    # Then the e-mail holds the code and nothing about the case's content, token or files
    (message,) = _sent()[before:]
    assert message.source == stack.environment["SENDER_EMAIL"]
    text = f"{message.subject}\n{message.body}".lower()
    assert [m for m in MARKERS if m in text] == []
    assert delivered.token.lower() not in text and delivered.case_id not in text
    assert "amazonaws" not in text and "x-amz" not in text and "report.pdf" not in text


# --- the delivery e-mail ---------------------------------------------------------------------------


def test_the_delivery_email_links_to_the_report_page_says_how_long_and_holds_no_secret(
    stack: Stack, offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a reported case
    case = _reported(offered)
    before = len(_sent())

    # When it is delivered
    _deliver(case)

    # Then its one e-mail links to the report page, says how long the report stays, and holds no
    # health data, no token and no code
    (message,) = _sent()[before:]
    assert f"{stack.environment['PORTAL_URL']}/report.html#{case.case_id}\n" in message.body
    assert "30 days" in message.body and "10 years" in message.body
    text = f"{message.subject}\n{message.body}".lower()
    assert [m for m in MARKERS if m in text] == []
    assert case.token.lower() not in text
    assert re.search(r"\b\d{6}\b", message.body) is None
    assert "amazonaws" not in text and "x-amz" not in text


# --- expiry and revocation -------------------------------------------------------------------------


def test_after_the_delivery_period_the_page_says_expired_and_nothing_is_minted_or_sent(
    delivered: Delivered, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a case delivered 31 days ago (the delivery period is 30 days)
    later = now() + timedelta(days=31)
    monkeypatch.setattr(deliver_logic, "now", lambda: later)
    before = len(_sent())

    # When the patient opens the page, asks for a link and for a code
    page = _page(delivered.case_id, delivered.token)
    link = _link(delivered.case_id, delivered.token)
    code = _ask_code(delivered.case_id)

    # Then the page says it expired, the link is refused saying so, and no code goes out
    assert page.json["expired"] is True and page.json["available"] is False
    assert link.status == 410
    assert link.json == {
        "error": "delivery_expired",
        "message": "This report's delivery period has ended. Please contact us for a copy.",
    }
    assert code.status == 202 and len(_sent()) == before


def test_a_revoked_delivery_mints_no_link(stack: Stack, delivered: Delivered) -> None:
    # Given a delivered case, and a code sent before ops revoke the delivery
    before = len(_sent())
    _ask_code(delivered.case_id)
    code = _code_from_mail(delivered.email, before)

    # When ops revoke it
    revoked = _revoke(delivered.case_id)

    # Then neither the token nor the code mints a link, the page says so, and the audit names ops
    assert revoked.status == 200, revoked.text
    assert revoked.json["case_id"] == delivered.case_id
    refused = _link(delivered.case_id, delivered.token)
    assert refused.status == 410 and refused.json["error"] == "delivery_revoked"
    assert _link(delivered.case_id, body={"code": code}).status == 403
    assert _page(delivered.case_id, delivered.token).json["revoked"] is True
    timeline = stack.item("CASES_TABLE", {"case_id": delivered.case_id})["timeline"]
    assert [e["actor"] for e in timeline if e["event"] == "delivery_revoked"] == [OPS_CLAIMS["sub"]]
    assert _downloads(stack, delivered.case_id) == []


def test_revoking_twice_keeps_the_first_revocation(delivered: Delivered) -> None:
    first = _revoke(delivered.case_id)
    second = _revoke(delivered.case_id)
    assert second.status == 200 and second.json == first.json


def test_only_ops_may_revoke(delivered: Delivered) -> None:
    # Given a delivered case / When a radiologist or nobody revokes / Then they are refused
    assert _revoke(delivered.case_id, radiologist_claims()).status == 403
    assert _revoke(delivered.case_id, None).status == 401
    assert _link(delivered.case_id, delivered.token).status == 200
