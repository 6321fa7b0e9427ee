"""Opening a case, declaring its files, submitting it for review, and showing it."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from contextlib import suppress
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from secondopinion import auth, clients, studies
from secondopinion.clock import now
from secondopinion.errors import (
    CaseNotFound,
    CaseNotReady,
    FileNotFound,
    IdempotencyKeyReused,
    InvalidRequest,
)
from secondopinion.models import (
    STEP_FAILED,
    CaseCreated,
    CaseRecord,
    CaseRequest,
    CaseStatus,
    CaseView,
    CompleteRequest,
    ContentKind,
    FileKind,
    FileRecord,
    FilesDeclared,
    FilesRequest,
    FileStatus,
    MultipartPlan,
    PartsIssued,
    PartsRequest,
    PartUrl,
    RestartResult,
    SubmitRequest,
    Tier,
    TimelineEntry,
    UploadInstruction,
    Verdict,
    WorkflowInput,
    WorkflowTimeouts,
)
from secondopinion.store import CaseStore, FileStore

from .erasure import erase_after
from .settings import IntakeSettings

CONTENT_TYPES = {FileKind.DICOM: "application/dicom"}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{22,128}")
"""A client-made random key (a UUID, 22+ base64url characters): long enough not to be guessed."""


def create_case(
    request: CaseRequest, *, cases: CaseStore, files: FileStore, idempotency_key: str | None = None
) -> tuple[CaseCreated, bool]:
    """Open a case; the access token is returned here once and stored only as a hash. True when
    the case is new.

    With an Idempotency-Key (the browser makes one per form it sends), a repeat of the same request,
    say after its answer was lost, gets the same case back instead of opening another: while no file
    has been declared, it is given a new access token (the first one was never seen, and only its
    hash is kept); afterwards the key is spent. The case id is derived from the key, so the repeat
    finds the case with one conditional write and nothing else is stored about the key.
    """
    if not request.consent:
        raise InvalidRequest("Please agree to the processing of your health data, or we cannot review it.")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InvalidRequest(
            "Idempotency-Key: use 22 to 128 letters, digits, '-' or '_', random for each request "
            "(e.g. a UUID)."
        )
    token = auth.new_access_token()
    salt = secrets.token_hex(16)
    case = CaseRecord(
        case_id=_case_id(idempotency_key),
        token_hash=auth.hash_token(token),
        status=CaseStatus.AWAITING_UPLOAD,
        created_at=now(),
        identity_salt=salt,
        request_hash=_request_hash(request, salt) if idempotency_key else None,
        timeline=[TimelineEntry(at=now(), event="case_created", actor="patient")],
        **request.model_dump(exclude={"consent"}),
    )
    try:
        cases.create(case)
    except ClientError as error:
        if idempotency_key is None or error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return _repeated(case.case_id, request, cases=cases, files=files), False
    return CaseCreated(case_id=case.case_id, access_token=token, status=case.status), True


def _case_id(idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"case:{idempotency_key}".encode()).hexdigest()[:32]


def _request_hash(request: CaseRequest, salt: str) -> str:
    body = request.model_dump_json(exclude={"consent"}).encode()
    return hmac.new(salt.encode(), body, hashlib.sha256).hexdigest()


def _repeated(case_id: str, request: CaseRequest, *, cases: CaseStore, files: FileStore) -> CaseCreated:
    spent = IdempotencyKeyReused(
        "This Idempotency-Key was already used for another request, or for a case that has files "
        "now. Open that case with the access code you were given, or send a new request with a new key."
    )
    try:
        existing = cases.get(case_id)
    except CaseNotFound:  # erased since
        raise spent from None
    same = existing.request_hash is not None and hmac.compare_digest(
        existing.request_hash, _request_hash(request, existing.identity_salt)
    )
    if not same or existing.status != CaseStatus.AWAITING_UPLOAD or files.for_case(case_id):
        raise spent
    token = auth.new_access_token()
    if not cases.replace_token(case_id, existing.token_hash, auth.hash_token(token)):
        raise spent  # another repeat got there first; its answer holds the token
    cases.update(case_id, TimelineEntry(at=now(), event="case_request_repeated", actor="patient"))
    return CaseCreated(case_id=case_id, access_token=token, status=existing.status)


def declare_files(
    case: CaseRecord,
    request: FilesRequest,
    settings: IntakeSettings,
    *,
    files: FileStore,
    s3: Any = None,
) -> FilesDeclared:
    """Record the files the patient is about to upload and say how to send each: a presigned POST
    whose policy pins key, size, type and encryption, or a multipart upload for a large file."""
    _require_open(case)
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
        # The key is ours: the patient's file name is data, never part of a path.
        record = FileRecord(
            case_id=case.case_id,
            file_id=uuid.uuid4().hex,
            name=declared.name,
            size=declared.size,
            kind=declared.kind,
            key="",
        )
        record.key = f"cases/{case.case_id}/files/{record.file_id}"
        content_type = CONTENT_TYPES.get(declared.kind, DEFAULT_CONTENT_TYPE)
        if declared.size > settings.multipart_threshold_bytes:
            started = s3.create_multipart_upload(
                Bucket=settings.uploads_bucket,
                Key=record.key,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=settings.kms_key_id,
            )
            record.upload_id = started["UploadId"]
            part_size = _part_size(declared.size, settings.min_part_bytes)
            instruction = UploadInstruction(
                file_id=record.file_id,
                name=declared.name,
                method="multipart",
                expires_at=expires_at,
                multipart=MultipartPlan(
                    upload_id=record.upload_id, part_size=part_size, part_count=-(-declared.size // part_size)
                ),
            )
        else:
            post = s3.generate_presigned_post(
                Bucket=settings.uploads_bucket,
                Key=record.key,
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
            instruction = UploadInstruction(
                file_id=record.file_id,
                name=declared.name,
                method="post",
                url=post["url"],
                fields=post["fields"],
                expires_at=expires_at,
            )
        records.append(record)
        uploads.append(instruction)
    files.put_many(records)
    return FilesDeclared(uploads=uploads)


MAX_PARTS = 10_000
MIB = 1024**2


def _part_size(size: int, minimum: int) -> int:
    """Whole MiB, at least `minimum`, small enough that the file fits in S3's 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    return max(minimum, -(-needed // MIB) * MIB)


def _require_open(case: CaseRecord) -> None:
    if case.status not in (CaseStatus.AWAITING_UPLOAD, CaseStatus.RETURNED):
        raise CaseNotReady("This case has been submitted; its files can no longer change.")


def _multipart_file(case: CaseRecord, file_id: str, files: FileStore) -> FileRecord:
    _require_open(case)
    record = files.get(case.case_id, file_id)
    if record is None:
        raise FileNotFound()
    if record.upload_id is None:
        raise InvalidRequest("This file has no open multipart upload; declare it again to upload it.")
    return record


def part_urls(
    case: CaseRecord,
    file_id: str,
    request: PartsRequest,
    settings: IntakeSettings,
    *,
    files: FileStore,
    s3: Any = None,
) -> PartsIssued:
    """Presigned PUT URLs for some parts of a multipart upload, minted when the browser needs them."""
    record = _multipart_file(case, file_id, files)
    part_count = -(-record.size // _part_size(record.size, settings.min_part_bytes))
    beyond = [n for n in request.part_numbers if n > part_count]
    if beyond:
        raise InvalidRequest(f"This file has {part_count} parts; part {beyond[0]} does not exist.")
    s3 = s3 or clients.client("s3")
    return PartsIssued(
        parts=[
            PartUrl(
                part_number=n,
                url=s3.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": settings.uploads_bucket,
                        "Key": record.key,
                        "UploadId": record.upload_id,
                        "PartNumber": n,
                    },
                    ExpiresIn=settings.upload_expiry_seconds,
                ),
            )
            for n in sorted(set(request.part_numbers))
        ],
        expires_at=now() + timedelta(seconds=settings.upload_expiry_seconds),
    )


def complete_upload(
    case: CaseRecord,
    file_id: str,
    request: CompleteRequest,
    settings: IntakeSettings,
    *,
    files: FileStore,
    s3: Any = None,
) -> FileStatus:
    """Join the uploaded parts into the object; validation then judges it like any upload."""
    record = _multipart_file(case, file_id, files)
    s3 = s3 or clients.client("s3")
    try:
        s3.complete_multipart_upload(
            Bucket=settings.uploads_bucket,
            Key=record.key,
            UploadId=record.upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": p.part_number, "ETag": p.etag}
                    for p in sorted(request.parts, key=lambda p: p.part_number)
                ]
            },
        )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "NoSuchUpload"):
            raise InvalidRequest(
                f"The upload could not be completed ({code}): send every part again, then complete."
            ) from None
        raise
    files.update(case.case_id, file_id, upload_id=None)
    return _status(record.model_copy(update={"upload_id": None}))


def abort_upload(
    case: CaseRecord, file_id: str, settings: IntakeSettings, *, files: FileStore, s3: Any = None
) -> None:
    """Give up a multipart upload: S3 drops its parts and the file is no longer declared."""
    record = _multipart_file(case, file_id, files)
    with suppress((s3 or clients.client("s3")).exceptions.NoSuchUpload):
        (s3 or clients.client("s3")).abort_multipart_upload(
            Bucket=settings.uploads_bucket, Key=record.key, UploadId=record.upload_id
        )
    files.delete(case.case_id, file_id)


def remove_file(
    case: CaseRecord, file_id: str, settings: IntakeSettings, *, files: FileStore, s3: Any = None
) -> None:
    """Take a file out of the case before it is submitted (e.g. another person's scan)."""
    _require_open(case)
    record = files.get(case.case_id, file_id)
    if record is None:
        raise FileNotFound()
    s3 = s3 or clients.client("s3")
    if record.upload_id:
        with suppress(s3.exceptions.NoSuchUpload):
            s3.abort_multipart_upload(
                Bucket=settings.uploads_bucket, Key=record.key, UploadId=record.upload_id
            )
    s3.delete_object(Bucket=settings.uploads_bucket, Key=record.key)
    files.delete(case.case_id, file_id)


def _problems(records: list[FileRecord]) -> list[str]:
    problems = [f"{f.name}: {f.message}" for f in records if f.verdict == Verdict.REJECTED and f.message]
    if not any(f.content == ContentKind.IMAGE for f in records):
        problems.append(
            "No diagnostic images were found among your files. Please upload the original DICOM files "
            "of your scan (ask the imaging centre for a DICOM export on CD, USB or through their portal)."
        )
    return problems


def workflow_input(case: CaseRecord, settings: IntakeSettings) -> WorkflowInput:
    """Every duration the workflow waits, from the case's tier (scaled for local runs)."""
    fast = case.tier == Tier.EXPEDITED
    return WorkflowInput(
        case_id=case.case_id,
        run=case.run,
        max_attempts=settings.max_attempts,
        consensus=case.consensus,
        timeouts=WorkflowTimeouts(
            offer_seconds=settings.scaled_seconds(
                settings.acceptance_hours_expedited if fast else settings.acceptance_hours_standard
            ),
            review_seconds=settings.scaled_seconds(
                settings.review_hours_expedited if fast else settings.review_hours_standard
            ),
            heartbeat_seconds=settings.scaled_seconds(
                settings.heartbeat_hours_expedited if fast else settings.heartbeat_hours_standard
            ),
            queue_seconds=settings.scaled_seconds(settings.queue_retry_hours),
            report_margin_seconds=settings.scaled_seconds(settings.report_margin_hours),
        ),
    )


def submit_case(
    case: CaseRecord,
    request: SubmitRequest,
    settings: IntakeSettings,
    *,
    cases: CaseStore,
    files: FileStore,
    sfn: Any = None,
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
        people = studies.people(records)
        if people > 1 and not request.confirm_different_people:
            raise CaseNotReady(
                f"Your files name {people} different people. If they are all yours (a changed name, "
                "another hospital's patient number), confirm it and submit again; otherwise remove "
                "the other person's files."
            )
        problems = _problems(records)
        if not any(f.content == ContentKind.IMAGE for f in records):
            cases.update(
                case.case_id,
                TimelineEntry(at=now(), event="returned_to_patient"),
                status=CaseStatus.RETURNED.value,
                problems=problems,
            )
            return view(cases.get(case.case_id), settings, files=files)
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
    return view(case, settings, files=files)


def _start_review(case: CaseRecord, settings: IntakeSettings, sfn: Any) -> None:
    # Named by the case id and run: a second start is refused, so each run starts once.
    with suppress(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(
            stateMachineArn=settings.state_machine_arn,
            name=case.execution_name,
            input=workflow_input(case, settings).model_dump_json(),
        )


def restart_review(
    case: CaseRecord, ops_user: str, settings: IntakeSettings, *, cases: CaseStore, sfn: Any = None
) -> RestartResult:
    """Start a failed case's review again, as its next run, once ops have fixed the cause. The SLA
    deadline stays the one the patient was given; a reading the failed run got is kept (assign
    carries it over), everything after it runs again. Repeating the call (say after a lost
    answer) starts nothing more: the run's execution is named, so it starts once."""
    if case.status == CaseStatus.FAILED:
        if not cases.transition(
            case.case_id,
            CaseStatus.FAILED,
            CaseStatus.IN_REVIEW,
            TimelineEntry(at=now(), event="review_restarted", actor=ops_user),
            run=case.run + 1,
            alerts=[a for a in case.alerts if a != STEP_FAILED],
        ):
            raise CaseNotReady("The case changed while it was being restarted; look at it again.")
        case = cases.get(case.case_id)
    elif case.status != CaseStatus.IN_REVIEW or case.run == 0:
        raise CaseNotReady(
            f"Only a failed case can be restarted; this one is {case.status.value.replace('_', ' ')}."
        )
    _start_review(case, settings, sfn or clients.client("stepfunctions"))
    return RestartResult(case_id=case.case_id, status=case.status, run=case.run)


def _status(f: FileRecord) -> FileStatus:
    return FileStatus(
        file_id=f.file_id,
        name=f.name,
        kind=f.kind,
        verdict=f.verdict,
        content=f.content,
        reason=f.reason,
        message=f.message,
    )


PATIENT_EVENTS = frozenset(
    {
        "case_created",
        "submitted",
        "returned_to_patient",
        "assigned",
        "accepted",
        "reported",
        "consensus_cosigned",
        "report_generated",
        "delivered",
        "patient_notified",
        "report_downloaded",
        "delivery_revoked",
    }
)
"""The milestones a patient sees; reassignments, escalations and who the staff are stay with ops."""


def patient_timeline(timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    return [
        e.model_copy(update={"actor": e.actor if e.actor in ("patient", "system") else "radiologist"})
        for e in timeline
        if e.event in PATIENT_EVENTS
    ]


def view(case: CaseRecord, settings: IntakeSettings, *, files: FileStore) -> CaseView:
    records = files.for_case(case.case_id)
    return CaseView(
        case_id=case.case_id,
        status=case.status,
        tier=case.tier,
        language=case.language,
        deadline=case.deadline,
        files=[_status(f) for f in records],
        studies=studies.group(records),
        people=studies.people(records),
        timeline=patient_timeline(case.timeline),
        problems=case.problems,
        erase_after=erase_after(case, settings),
    )
