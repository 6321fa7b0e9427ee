"""Erasure on request (nFADP): a case's files, report, readings and personal fields are deleted;
an anonymous record stays, so that the case's existence and its erasure can still be accounted for.

Backups age out on their own schedule (DynamoDB point-in-time recovery and the daily backup plan
keep 35 days); the S3 versions are deleted here, every one of them.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from secondopinion import clients
from secondopinion.clock import now
from secondopinion.errors import CaseNotReady
from secondopinion.models import (
    CaseRecord,
    CaseStatus,
    ErasedCase,
    ErasureResult,
    TimelineEntry,
    execution_arn,
)
from secondopinion.store import Stores, claim_key

from .settings import IntakeSettings

REVIEW_RUNNING = (CaseStatus.IN_REVIEW, CaseStatus.REPORTING)
ROLES = ("patient", "system")
"""Timeline actors kept as they are; any other (a radiologist, an ops user) becomes "staff"."""


def anonymous_record(case: CaseRecord, at: datetime, subject: str) -> ErasedCase:
    """What of the case may stay: its id, tier, dates and the names of its events."""
    timeline = [
        TimelineEntry(at=e.at, event=e.event, actor=e.actor if e.actor in ROLES else "staff")
        for e in case.timeline
    ]
    return ErasedCase(
        case_id=case.case_id,
        tier=case.tier,
        created_at=case.created_at,
        submitted_at=case.submitted_at,
        delivered_at=case.delivered_at,
        erased_at=at,
        erased_by=subject,
        timeline=[*timeline, TimelineEntry(at=at, event="erased", actor="staff")],
    )


def erase(
    case_id: str,
    subject: str,
    settings: IntakeSettings,
    *,
    stores: Stores,
    s3: Any = None,
    sfn: Any = None,
) -> ErasureResult:
    """Erase the case for ops user `subject`. Idempotent: a repeat (or a retry after a crash)
    sweeps again whatever is left and reports the first erasure's time.

    The case item is replaced first, so that its token opens nothing and no new upload can be
    signed while the rest is deleted.
    """
    record = stores.cases.find_erased(case_id)
    if record is None:
        case = stores.cases.get(case_id)
        if case.status in REVIEW_RUNNING:
            _stop_review(case, settings, sfn or clients.client("stepfunctions"))
        record = anonymous_record(case, now(), subject)
        if not stores.cases.replace_with_erased(record, case.status):
            raise CaseNotReady("The case changed while it was being erased; erase it again.")
    s3 = s3 or clients.client("s3")
    assignments = _erase_assignments(case_id, stores)
    files = stores.files.delete_case(case_id)
    prefix = f"cases/{case_id}/"
    objects = sum(
        _erase_objects(s3, bucket, prefix) for bucket in (settings.uploads_bucket, settings.reports_bucket)
    )
    return ErasureResult(
        case_id=case_id,
        erased_at=record.erased_at,
        objects_deleted=objects,
        files_deleted=files,
        assignments_deleted=assignments,
    )


def _stop_review(case: CaseRecord, settings: IntakeSettings, sfn: Any) -> None:
    """Stop the case's current execution (earlier runs have failed), so that no step works on it
    any more."""
    execution = execution_arn(settings.state_machine_arn, case.case_id, case.run)
    with suppress(sfn.exceptions.ExecutionDoesNotExist):
        sfn.stop_execution(
            executionArn=execution, error="Case.Erased", cause="The case was erased on request."
        )


def _erase_assignments(case_id: str, stores: Stores) -> int:
    """Delete the case's assignments (readings, task tokens), giving back any slot still held."""
    found = stores.assignments.for_case(case_id)
    for assignment in found:
        if stores.assignments.release_once(assignment.assignment_id):
            stores.roster.adjust_load(assignment.radiologist_id, -1)
        stores.assignments.delete(assignment.assignment_id)
        stores.assignments.delete(claim_key(case_id, assignment.radiologist_id))
    return len(found)


def _erase_objects(s3: Any, bucket: str, prefix: str) -> int:
    """Abort open multipart uploads and delete every version and delete marker under `prefix`."""
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            with suppress(s3.exceptions.NoSuchUpload):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        versions = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if not versions:
            continue
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})
        if answer.get("Errors"):
            raise RuntimeError(
                f"{len(answer['Errors'])} object versions could not be deleted "
                f"({answer['Errors'][0].get('Code')}); erase the case again"
            )
        deleted += len(versions)
    return deleted


ABANDONED = (CaseStatus.AWAITING_UPLOAD, CaseStatus.RETURNED)
RETENTION_SUBJECT = "retention:abandoned"
"""Who the anonymous record says erased a case the sweep found abandoned."""


def erase_after(case: CaseRecord, settings: IntakeSettings) -> datetime | None:
    """When an unsubmitted case is erased unless it is submitted: `abandoned_case_days` after its
    last event (opened, returned to the patient, request repeated). None once it is submitted."""
    if case.status not in ABANDONED:
        return None
    last = max((e.at for e in case.timeline), default=case.created_at)
    return last + timedelta(seconds=settings.scaled_seconds(settings.abandoned_case_days * 24))


def sweep_abandoned(settings: IntakeSettings, *, stores: Stores, at: datetime | None = None) -> int:
    """Erase every case left unsubmitted past its `erase_after`: a request nobody finished keeps
    no e-mail, symptoms or files. How many were erased."""
    at = at or now()
    erased = 0
    for status in ABANDONED:
        for case in stores.cases.by_status(status):
            due = erase_after(case, settings)
            if due is None or at < due:
                continue
            try:
                erase(case.case_id, RETENTION_SUBJECT, settings, stores=stores)
            except CaseNotReady:
                continue  # submitted (or changed) meanwhile: no longer abandoned
            erased += 1
    return erased
