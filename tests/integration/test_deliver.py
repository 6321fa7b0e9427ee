"""Report and deliver against moto: the stored report, the e-mail, and the patient's download link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.ses.models import ses_backends
from secondopinion.clock import now

from functions.deliver import logic as deliver_logic
from local import cloud

from .support import (
    REGION,
    Offer,
    RecordingStepFunctions,
    Stack,
    accept,
    call_api,
    invoke,
    report_body,
    send_report,
)

# Health data the patient and the radiologist wrote, each with a marker no e-mail text contains.
PATIENT = "zqxpatient"
SYMPTOMS = "ZQXSYMPTOM: pain in the right flank"
QUESTION = "ZQXQUESTION: is the lesion in my liver cancer?"
FINDINGS = "ZQXFINDING: a 12 mm simple cyst in liver segment VI."
SUMMARY = "ZQXSUMMARY: the spot on your liver is a harmless cyst."
MARKERS = ("zqxpatient", "zqxsymptom", "zqxquestion", "zqxfinding", "zqxsummary", "liver", "cyst")


@dataclass(frozen=True)
class Reported:
    """A case whose radiologist has submitted the reading; the workflow's Report task is next."""

    case_id: str
    token: str
    assignment_id: str
    email: str


@pytest.fixture
def reported(offered: Callable[..., Offer], step_functions: RecordingStepFunctions) -> Reported:
    email = f"{PATIENT}@example.org"
    waiting = offered(email=email, symptoms=SYMPTOMS, questions=[QUESTION])
    accept(waiting.assignment_id)
    submitted = send_report(
        waiting.assignment_id, report_body([QUESTION], findings=FINDINGS, summary=SUMMARY)
    )
    assert submitted.status == 200, submitted.text
    return Reported(waiting.case_id, waiting.token, waiting.assignment_id, email)


def _generate(case: Reported) -> dict[str, Any]:
    """The workflow's Report task."""
    return dict(invoke("report", {"case_id": case.case_id, "reading": {"assignment_id": case.assignment_id}}))


def _deliver(case: Reported) -> dict[str, Any]:
    """The workflow's Report task, then its Deliver task with the Report task's result."""
    return dict(invoke("deliver", _generate(case)))


def _sent() -> list[Any]:
    return list(ses_backends[cloud.ACCOUNT][REGION].sent_messages)


def _report_link(case: Reported) -> Any:
    """The report page's POST that mints a download link (its GET mints nothing)."""
    return call_api(
        "deliver",
        "POST",
        "/cases/{case_id}/report/link",
        path_parameters={"case_id": case.case_id},
        token=case.token,
    )


def test_the_report_task_stores_pdf_and_html_encrypted_with_the_data_key(
    stack: Stack, reported: Reported
) -> None:
    # Given a submitted reading

    # When the workflow's Report task runs
    result = _generate(reported)

    # Then the PDF and the HTML are in the reports bucket, each SSE-KMS with the stack's key
    assert result == {
        "case_id": reported.case_id,
        "report_key": f"cases/{reported.case_id}/report.pdf",
        "html_key": f"cases/{reported.case_id}/report.html",
    }
    s3, bucket = stack.client("s3"), stack.environment["REPORTS_BUCKET"]
    for key, content_type in ((result["report_key"], "application/pdf"), (result["html_key"], "text/html")):
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == stack.environment["KMS_KEY_ID"]
        assert head["ContentType"].startswith(content_type)
    assert s3.get_object(Bucket=bucket, Key=result["report_key"])["Body"].read().startswith(b"%PDF-")


def test_delivery_sends_one_email_that_links_to_the_case_page_and_holds_no_health_data(
    stack: Stack, reported: Reported
) -> None:
    # Given a stored report
    before = len(_sent())

    # When the workflow's Deliver task runs
    _deliver(reported)

    # Then one e-mail went to the patient, linking to the portal's case page and to nothing else
    sent = _sent()[before:]
    assert len(sent) == 1
    (message,) = sent
    assert message.source == stack.environment["SENDER_EMAIL"]
    assert message.destinations == {"ToAddresses": [reported.email]}
    link = f"{stack.environment['PORTAL_URL']}/report.html#{reported.case_id}"
    assert link in message.body
    text = f"{message.subject}\n{message.body}".lower()
    assert [m for m in MARKERS if m in text] == []
    assert "amazonaws" not in text and "x-amz" not in text and "report.pdf" not in text
    assert reported.token.lower() not in text


def test_a_repeated_delivery_sends_no_second_email(reported: Reported) -> None:
    # Given a delivered case
    first = _deliver(reported)
    before = len(_sent())

    # When Step Functions retries the Deliver task
    again = dict(invoke("deliver", _generate(reported)))

    # Then the patient gets no second e-mail, and the delivery time stands
    assert len(_sent()) == before
    assert again == first


def test_the_report_link_is_a_presigned_get_valid_for_at_most_five_minutes(
    stack: Stack, reported: Reported
) -> None:
    # Given a delivered case
    _deliver(reported)

    # When the patient asks for the report with their access token
    response = _report_link(reported)

    # Then they get a short-lived presigned GET of the PDF
    assert response.status == 200, response.text
    url = urlsplit(response.json["download_url"])
    query = parse_qs(url.query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert stack.environment["REPORTS_BUCKET"] in url.netloc + url.path
    assert url.path.endswith(f"/cases/{reported.case_id}/report.pdf")


def test_the_report_link_before_delivery_is_409(reported: Reported) -> None:
    # Given a case whose report is being written but not yet delivered
    _generate(reported)

    # When the patient asks for the report
    response = _report_link(reported)

    # Then they are told it is not ready
    assert response.status == 409
    assert response.json["error"] == "report_not_ready"


def test_the_report_link_after_the_delivery_period_is_gone(
    reported: Reported, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a case delivered 31 days ago (the delivery period is 30 days)
    _deliver(reported)
    later = now() + timedelta(days=31)
    monkeypatch.setattr(deliver_logic, "now", lambda: later)

    # When the patient asks for the report
    response = _report_link(reported)

    # Then it is gone, with whom to ask
    assert response.status == 410
    assert response.json == {
        "error": "delivery_expired",
        "message": "This report's delivery period has ended. Please contact us for a copy.",
    }


def test_a_workflow_that_outruns_the_report_route_still_delivers_the_case(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a workflow that runs Report and Deliver as soon as the reading resumes it
    waiting = offered(questions=[QUESTION])
    accept(waiting.assignment_id)
    case = Reported(waiting.case_id, waiting.token, waiting.assignment_id, "patient@example.org")
    before = len(_sent())

    def workflow_resumes() -> None:
        _deliver(case)

    step_functions.on_success = workflow_resumes

    # When the radiologist submits the reading
    assert send_report(waiting.assignment_id, report_body([QUESTION])).status == 200

    # Then the patient, who got the e-mail, can download the report
    assert len(_sent()) == before + 1
    assert _report_link(case).status == 200
