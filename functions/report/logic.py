"""Turning the radiologist's structured reading into the patient's report (PDF and HTML)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

from secondopinion import clients, measures, studies
from secondopinion.clock import now
from secondopinion.errors import ReportNotReady
from secondopinion.models import (
    AssignmentStatus,
    CaseRecord,
    Reading,
    ReportRequest,
    ReportResult,
    ReportSubmission,
    TimelineEntry,
)
from secondopinion.store import AssignmentStore, CaseStore, FileStore, RosterStore

from .document import PriorChange, PriorComparison, TranslationNote, build_document
from .render import render_html, render_pdf
from .settings import ReportSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


def verification_code() -> str:
    """A short code printed on the report, so a reader can confirm it with the service."""
    return "-".join(secrets.token_hex(2).upper() for _ in range(3))


def _priors(case: CaseRecord, submission: ReportSubmission, files: FileStore) -> list[PriorComparison]:
    """The radiologist's comparisons, with each earlier study's date and description."""
    by_uid = {s.study_instance_uid: s for s in studies.group(files.for_case(case.case_id)) if not s.current}
    priors = []
    for comparison in submission.comparisons:
        study = by_uid.get(comparison.study_instance_uid)
        if study is None or not study.study_date:
            continue
        when = date(int(study.study_date[:4]), int(study.study_date[4:6]), int(study.study_date[6:8]))
        description = study.description or ", ".join(study.modalities) or "-"
        priors.append(
            PriorComparison(
                study_date=when,
                description=description,
                change=PriorChange(comparison.change.value),
                note=comparison.note,
            )
        )
    return priors


def _signed_off_translation(
    case: CaseRecord, reading: Reading, assignment_id: str, assignments: AssignmentStore, roster: RosterStore
) -> tuple[ReportSubmission, TranslationNote]:
    """The reading in the patient's language as a radiologist signed it off, and who that was."""
    signed = assignments.get(assignment_id)
    translation = signed.translation
    if (
        signed.case_id != case.case_id
        or signed.status != AssignmentStatus.SIGNED_OFF
        or signed.submission is None
        or translation is None
        or (translation.reading_assignment_id, translation.agreed) != (reading.assignment_id, reading.agreed)
    ):
        raise ReportNotReady("The translation of the reading has not been signed off.")
    signer = roster.get(signed.radiologist_id)
    if signer is None:
        raise ReportNotReady("The radiologist who signed off the translation is not on the roster.")
    note = TranslationNote(
        source=translation.source_language, signed_off_by=signer, machine=translation.draft is not None
    )
    return signed.submission, note


def generate(
    request: ReportRequest,
    settings: ReportSettings,
    *,
    cases: CaseStore,
    assignments: AssignmentStore,
    roster: RosterStore,
    files: FileStore,
    s3: Any = None,
    metrics: Metrics | None = None,
) -> ReportResult:
    """Render and store the report; a retry after a crash re-renders under the same keys.
    TimeToReport: from the complete upload to the stored report."""
    case = cases.get(request.case_id)
    reading = request.reading
    assignment = assignments.get(reading.assignment_id)
    submission = assignment.agreed_submission if reading.agreed else assignment.submission
    if assignment.status != AssignmentStatus.REPORTED or submission is None:
        raise ReportNotReady("The radiologist's reading has not been submitted.")
    translation = None
    if request.translation_assignment_id:
        submission, translation = _signed_off_translation(
            case, reading, request.translation_assignment_id, assignments, roster
        )
    elif (submission.language or case.language) != case.language:
        raise ReportNotReady(
            "The reading is not in the patient's language: its translation must be signed off first."
        )
    radiologist = roster.get(assignment.radiologist_id)
    second = None
    if reading.second_assignment_id:
        second = roster.get(assignments.get(reading.second_assignment_id).radiologist_id)
        if second is None:
            raise ReportNotReady("The second reader is not on the roster.")
    if radiologist is None:
        raise ReportNotReady("The reporting radiologist is not on the roster.")
    code = case.verification_code or verification_code()
    document = build_document(
        case,
        submission,
        radiologist,
        now(),
        code,
        priors=_priors(case, submission, files) if case.longitudinal else None,
        consensus_with=second,
        translation=translation,
    )
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
    generated = now()
    cases.update(
        case.case_id,
        TimelineEntry(at=generated, event="report_generated"),
        report_key=pdf_key,
        verification_code=code,
    )
    measures.seconds(metrics, "TimeToReport", case.submitted_at, generated)
    return ReportResult(case_id=case.case_id, report_key=pdf_key, html_key=html_key)
