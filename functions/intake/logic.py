"""Opening a case, declaring its files, submitting it for review, and showing it."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import timedelta
from typing import Any

from secondopinion import auth, clients
from secondopinion.clock import now
from secondopinion.errors import CaseNotReady, InvalidRequest
from secondopinion.models import (
    CaseCreated,
    CaseRecord,
    CaseRequest,
    CaseStatus,
    CaseView,
    ContentKind,
    FileKind,
    FileRecord,
    FilesDeclared,
    FilesRequest,
    FileStatus,
    OpsCase,
    Tier,
    TimelineEntry,
    UploadInstruction,
    Verdict,
    WorkflowInput,
    WorkflowTimeouts,
)
from secondopinion.sla import sla_status
from secondopinion.store import CaseStore, FileStore

from .settings import IntakeSettings

CONTENT_TYPES = {FileKind.DICOM: "application/dicom"}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def create_case(request: CaseRequest, *, cases: CaseStore) -> CaseCreated:
    """Open a case; the access token is returned here once and stored only as a hash."""
    if not request.consent:
        raise InvalidRequest("Please agree to the processing of your health data, or we cannot review it.")
    token = auth.new_access_token()
    case = CaseRecord(
        case_id=uuid.uuid4().hex,
        token_hash=auth.hash_token(token),
        status=CaseStatus.AWAITING_UPLOAD,
        created_at=now(),
        timeline=[TimelineEntry(at=now(), event="case_created", actor="patient")],
        **request.model_dump(exclude={"consent"}),
    )
    cases.create(case)
    return CaseCreated(case_id=case.case_id, access_token=token, status=case.status)


def declare_files(
    case: CaseRecord,
    request: FilesRequest,
    settings: IntakeSettings,
    *,
    files: FileStore,
    s3: Any = None,
) -> FilesDeclared:
    """Record the files the patient is about to upload and mint one presigned POST per file."""
    if case.status not in (CaseStatus.AWAITING_UPLOAD, CaseStatus.RETURNED):
        raise CaseNotReady("This case has been submitted; files can no longer be added.")
    existing = files.for_case(case.case_id)
    if len(existing) + len(request.files) > settings.max_files_per_case:
        raise InvalidRequest(f"A case can hold at most {settings.max_files_per_case} files.")
    if sum(f.size for f in existing) + sum(f.size for f in request.files) > settings.max_case_bytes:
        raise InvalidRequest(f"A case can hold at most {settings.max_case_bytes // 1024**3} GB of files.")
    too_big = [f.name for f in request.files if f.size > settings.max_file_bytes]
    if too_big:
        raise InvalidRequest(f"{len(too_big)} file(s) exceed {settings.max_file_bytes // 1024**3} GB each.")

    s3 = s3 or clients.client("s3")
    records, uploads = [], []
    expires_at = now() + timedelta(seconds=settings.upload_expiry_seconds)
    for declared in request.files:
        file_id = uuid.uuid4().hex
        key = f"cases/{case.case_id}/files/{file_id}"
        content_type = CONTENT_TYPES.get(declared.kind, DEFAULT_CONTENT_TYPE)
        post = s3.generate_presigned_post(
            Bucket=settings.uploads_bucket,
            Key=key,
            Fields={
                "Content-Type": content_type,
                "x-amz-server-side-encryption": "aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id": settings.kms_key_id,
            },
            Conditions=[
                {"Content-Type": content_type},
                {"x-amz-server-side-encryption": "aws:kms"},
                {"x-amz-server-side-encryption-aws-kms-key-id": settings.kms_key_id},
                ["content-length-range", declared.size, declared.size],
            ],
            ExpiresIn=settings.upload_expiry_seconds,
        )
        records.append(
            FileRecord(
                case_id=case.case_id,
                file_id=file_id,
                name=declared.name,
                size=declared.size,
                kind=declared.kind,
                key=key,
            )
        )
        uploads.append(
            UploadInstruction(
                file_id=file_id,
                name=declared.name,
                url=post["url"],
                fields=post["fields"],
                expires_at=expires_at,
            )
        )
    files.put_many(records)
    return FilesDeclared(uploads=uploads)


def _problems(records: list[FileRecord]) -> list[str]:
    problems = [f"{f.name}: {f.message}" for f in records if f.verdict == Verdict.REJECTED and f.message]
    if not any(f.content == ContentKind.IMAGE for f in records):
        problems.append(
            "No diagnostic images were found among your files. Please upload the original DICOM files "
            "of your scan (ask the imaging centre for a DICOM export on CD, USB or through their portal)."
        )
    return problems


def workflow_input(case: CaseRecord, settings: IntakeSettings) -> WorkflowInput:
    review_hours = (
        settings.review_hours_expedited if case.tier == Tier.EXPEDITED else settings.review_hours_standard
    )
    review = settings.scaled_seconds(review_hours)
    return WorkflowInput(
        case_id=case.case_id,
        max_attempts=settings.max_attempts,
        timeouts=WorkflowTimeouts(
            review_seconds=review,
            heartbeat_seconds=review,
            queue_seconds=settings.scaled_seconds(settings.queue_retry_hours),
        ),
    )


def submit_case(
    case: CaseRecord, settings: IntakeSettings, *, cases: CaseStore, files: FileStore, sfn: Any = None
) -> CaseView:
    """Start the review once every declared file is judged and a diagnostic study is present.

    Idempotent: a repeated submit of a case in review (re)starts the same execution, named by the
    case id, so a crash between the status change and StartExecution heals on the next call.
    """
    records = files.for_case(case.case_id)
    if case.status in (CaseStatus.AWAITING_UPLOAD, CaseStatus.RETURNED):
        if not records:
            raise CaseNotReady("Upload your files first.")
        pending = [f for f in records if f.verdict == Verdict.PENDING]
        if pending:
            raise CaseNotReady(
                f"{len(pending)} of {len(records)} files have not arrived or are still being checked. "
                "Finish the upload, wait a moment and submit again."
            )
        problems = _problems(records)
        if not any(f.content == ContentKind.IMAGE for f in records):
            cases.update(
                case.case_id,
                TimelineEntry(at=now(), event="returned_to_patient"),
                status=CaseStatus.RETURNED.value,
                problems=problems,
            )
            return view(cases.get(case.case_id), files=files)
        submitted = now()
        hours = settings.sla_hours_expedited if case.tier == Tier.EXPEDITED else settings.sla_hours_standard
        deadline = submitted + timedelta(seconds=settings.scaled_seconds(hours))
        cases.transition(
            case.case_id,
            case.status,
            CaseStatus.IN_REVIEW,
            TimelineEntry(at=submitted, event="submitted", actor="patient"),
            submitted_at=submitted.isoformat(),
            deadline=deadline.isoformat(),
            problems=problems,
        )
        case = cases.get(case.case_id)
    if case.status == CaseStatus.IN_REVIEW:
        _start_review(case, settings, sfn or clients.client("stepfunctions"))
    return view(case, files=files)


def _start_review(case: CaseRecord, settings: IntakeSettings, sfn: Any) -> None:
    # Named by the case id: a second start is refused, so the workflow runs once per case.
    with suppress(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(
            stateMachineArn=settings.state_machine_arn,
            name=case.case_id,
            input=workflow_input(case, settings).model_dump_json(),
        )


def view(case: CaseRecord, *, files: FileStore) -> CaseView:
    return CaseView(
        case_id=case.case_id,
        status=case.status,
        tier=case.tier,
        language=case.language,
        deadline=case.deadline,
        files=[
            FileStatus(
                file_id=f.file_id,
                name=f.name,
                kind=f.kind,
                verdict=f.verdict,
                content=f.content,
                reason=f.reason,
                message=f.message,
            )
            for f in files.for_case(case.case_id)
        ],
        timeline=case.timeline,
        problems=case.problems,
    )


def ops_cases(status: CaseStatus | None, *, cases: CaseStore) -> list[OpsCase]:
    """Cases for ops, most urgent deadline first."""
    statuses = [status] if status else list(CaseStatus)
    at = now()
    rows = [
        OpsCase(
            case_id=c.case_id,
            status=c.status,
            tier=c.tier,
            deadline=c.deadline,
            sla=sla_status(
                c.submitted_at,
                c.deadline,
                at,
                finished=next((e.at for e in c.timeline if e.event == "delivered"), None),
            ).value,
            escalated=c.escalated,
        )
        for s in statuses
        for c in cases.by_status(s)
    ]
    far = at + timedelta(days=3650)
    return sorted(rows, key=lambda r: (r.deadline or far, r.case_id))
