"""Turning the radiologist's structured reading into the patient's report (PDF and HTML)."""

from __future__ import annotations

import secrets
from typing import Any

from secondopinion import clients
from secondopinion.clock import now
from secondopinion.errors import ReportNotReady
from secondopinion.models import AssignmentStatus, ReportRequest, ReportResult, TimelineEntry
from secondopinion.store import AssignmentStore, CaseStore, RosterStore

from .document import build_document
from .render import render_html, render_pdf
from .settings import ReportSettings


def verification_code() -> str:
    """A short code printed on the report, so a reader can confirm it with the service."""
    return "-".join(secrets.token_hex(2).upper() for _ in range(3))


def generate(
    request: ReportRequest,
    settings: ReportSettings,
    *,
    cases: CaseStore,
    assignments: AssignmentStore,
    roster: RosterStore,
    s3: Any = None,
) -> ReportResult:
    """Render and store the report; a retry after a crash re-renders under the same keys."""
    case = cases.get(request.case_id)
    assignment = assignments.get(request.assignment_id)
    if assignment.status != AssignmentStatus.REPORTED or assignment.submission is None:
        raise ReportNotReady("The radiologist's reading has not been submitted.")
    radiologist = roster.get(assignment.radiologist_id)
    if radiologist is None:
        raise ReportNotReady("The reporting radiologist is not on the roster.")
    code = case.verification_code or verification_code()
    document = build_document(case, assignment.submission, radiologist, now(), code)
    pdf_key = f"cases/{case.case_id}/report.pdf"
    html_key = f"cases/{case.case_id}/report.html"
    s3 = s3 or clients.client("s3")
    for key, body, content_type in (
        (pdf_key, render_pdf(document), "application/pdf"),
        (html_key, render_html(document).encode(), "text/html; charset=utf-8"),
    ):
        s3.put_object(
            Bucket=settings.reports_bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=settings.kms_key_id,
        )
    cases.update(
        case.case_id,
        TimelineEntry(at=now(), event="report_generated"),
        report_key=pdf_key,
        verification_code=code,
    )
    return ReportResult(case_id=case.case_id, report_key=pdf_key, html_key=html_key)
