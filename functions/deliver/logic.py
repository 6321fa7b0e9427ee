"""Telling the patient the report is ready, and handing it out through short-lived links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from secondopinion import clients
from secondopinion.clock import now
from secondopinion.errors import CaseNotFound, ReportNotReady
from secondopinion.models import (
    CaseRecord,
    CaseStatus,
    DeliverResult,
    ReportLink,
    ReportResult,
    TimelineEntry,
)
from secondopinion.store import CaseStore

from .settings import DeliverSettings

SUBJECT = "Your second opinion is ready"
BODY = (
    "Hello,\n\n"
    "the independent reading you requested is ready. Open your case page to read and download it:\n\n"
    "{link}\n\n"
    "You will need the access token you received when you opened the case. For your privacy this "
    "message contains no medical information.\n"
)


def deliver(
    result: ReportResult, settings: DeliverSettings, *, cases: CaseStore, ses: Any = None
) -> DeliverResult:
    """Mark the case delivered, then e-mail the patient a link to their case page (no health data).

    Each part is done once: a retry after a crash finishes what is missing (at worst the e-mail
    goes out twice, never not at all).
    """
    case = cases.get(result.case_id)
    if case.status != CaseStatus.DELIVERED:
        delivered = now()
        cases.transition(
            case.case_id,
            [CaseStatus.REPORTING, CaseStatus.IN_REVIEW],
            CaseStatus.DELIVERED,
            TimelineEntry(at=delivered, event="delivered"),
            delivered_at=delivered.isoformat(),
        )
        case = cases.get(result.case_id)
    if case.status != CaseStatus.DELIVERED or case.delivered_at is None:
        raise ReportNotReady(f"The case is {case.status.value}; it cannot be delivered.")
    if case.notified_at is None:
        link = f"{settings.portal_url.rstrip('/')}/cases/{case.case_id}"
        (ses or clients.client("sesv2")).send_email(
            FromEmailAddress=settings.sender_email,
            Destination={"ToAddresses": [case.email]},
            Content={
                "Simple": {"Subject": {"Data": SUBJECT}, "Body": {"Text": {"Data": BODY.format(link=link)}}}
            },
        )
        cases.update(
            case.case_id, TimelineEntry(at=now(), event="patient_notified"), notified_at=now().isoformat()
        )
    return DeliverResult(case_id=case.case_id, delivered_at=case.delivered_at)


def report_link(case: CaseRecord, settings: DeliverSettings, *, s3: Any = None) -> ReportLink:
    """A presigned GET for the PDF, valid for minutes, while the delivery has not expired."""
    if case.status != CaseStatus.DELIVERED or not case.report_key or not case.delivered_at:
        raise ReportNotReady("Your report is not ready yet. We will e-mail you when it is.")
    if now() > case.delivered_at + timedelta(days=settings.delivery_days):
        raise CaseNotFound("This report's delivery period has ended. Please contact us.")
    expires = now() + timedelta(seconds=settings.download_link_seconds)
    url = (s3 or clients.client("s3")).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.reports_bucket,
            "Key": case.report_key,
            "ResponseContentDisposition": 'attachment; filename="second-opinion.pdf"',
        },
        ExpiresIn=settings.download_link_seconds,
    )
    return ReportLink(download_url=url, expires_at=expires)
