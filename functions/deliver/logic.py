"""Telling the patient the report is ready, and handing it out through short-lived links.

The e-mail links to the report page, never to the file: mail scanners fetch every GET link, so
reading the page's status mints nothing, and a download URL is minted only by a POST from the
page, with the case access token or a one-time code that was e-mailed to the case's address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from secondopinion import clients
from secondopinion.clock import now
from secondopinion.errors import (
    CaseNotFound,
    DeliveryExpired,
    DeliveryRevoked,
    DomainError,
    InvalidCode,
    ReportNotReady,
)
from secondopinion.models import (
    ZURICH,
    CaseRecord,
    CaseStatus,
    CodeRequested,
    DeliverResult,
    DeliveryStatus,
    ReportFormat,
    ReportLink,
    ReportResult,
    Revocation,
    TimelineEntry,
)
from secondopinion.store import CaseStore

from .settings import DeliverSettings

SUBJECT = "Your second opinion is ready"
BODY = (
    "Hello,\n\n"
    "the independent reading you requested is ready. Open your report page to read and download it:\n\n"
    "{link}\n\n"
    "On that page, use the access token you received when you opened the case, or ask for a "
    "one-time code to be sent to this address.\n\n"
    "The report can be downloaded until {until} ({days} days). We keep the report for {report_period} "
    "and the files you uploaded for {upload_period}, then delete them; you can ask us to erase your "
    "data sooner.\n\n"
    "For your privacy this message contains no medical information.\n"
)
CODE_SUBJECT = "Your one-time code"
CODE_BODY = (
    "Hello,\n\n"
    "your one-time code for your report page is:\n\n"
    "{code}\n\n"
    "It works once, for {minutes} minutes. If you did not ask for it, you can ignore this message.\n\n"
    "For your privacy this message contains no medical information.\n"
)
CODE_REQUESTED = (
    "If this case has a delivered report, a one-time code is on its way to the case's e-mail address."
)


def report_page(case_id: str) -> str:
    """The report page's path on the portal; the case id travels in the fragment, never sent."""
    return f"/report.html#{case_id}"


def deliver(
    result: ReportResult, settings: DeliverSettings, *, cases: CaseStore, ses: Any = None
) -> DeliverResult:
    """Mark the case delivered, then e-mail the patient a link to their report page (no health data).

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
            report_key=result.report_key,
            html_key=result.html_key,
        )
        case = cases.get(result.case_id)
    if case.status != CaseStatus.DELIVERED or case.delivered_at is None:
        raise ReportNotReady(f"The case is {case.status.value}; it cannot be delivered.")
    if case.notified_at is None:
        until = (case.delivered_at + timedelta(days=settings.delivery_days)).astimezone(ZURICH)
        body = BODY.format(
            link=settings.portal_url.rstrip("/") + report_page(case.case_id),
            until=f"{until.day} {until:%B %Y}",
            days=settings.delivery_days,
            report_period=_period(settings.report_retention_days),
            upload_period=_period(settings.upload_retention_days),
        )
        _send(settings, case.email, SUBJECT, body, ses)
        cases.update(
            case.case_id, TimelineEntry(at=now(), event="patient_notified"), notified_at=now().isoformat()
        )
    return DeliverResult(case_id=case.case_id, delivered_at=case.delivered_at)


def _period(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return "1 year" if years == 1 else f"{years} years"
    return "1 day" if days == 1 else f"{days} days"


def _send(settings: DeliverSettings, to: str, subject: str, body: str, ses: Any) -> None:
    (ses or clients.client("sesv2")).send_email(
        FromEmailAddress=settings.sender_email,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}}},
    )


# --- the report page ------------------------------------------------------------------------------


def _formats(case: CaseRecord) -> dict[ReportFormat, str]:
    keys: dict[ReportFormat, str | None] = {"pdf": case.report_key, "html": case.html_key}
    return {f: key for f, key in keys.items() if key}


def _ends(case: CaseRecord, settings: DeliverSettings) -> datetime | None:
    if case.status != CaseStatus.DELIVERED or not case.report_key or case.delivered_at is None:
        return None
    return case.delivered_at + timedelta(days=settings.delivery_days)


def _refusal(case: CaseRecord, settings: DeliverSettings, at: datetime) -> DomainError | None:
    """Why no link can be minted for the case now, or None."""
    ends = _ends(case, settings)
    if ends is None:
        return ReportNotReady("Your report is not ready yet. We will e-mail you when it is.")
    if case.revoked_at is not None:
        return DeliveryRevoked()
    if at > ends:
        return DeliveryExpired()
    return None


def delivery_status(case: CaseRecord, settings: DeliverSettings) -> DeliveryStatus:
    """Whether the report is there and can be downloaded; reads only, mints nothing."""
    at = now()
    ends = _ends(case, settings)
    return DeliveryStatus(
        case_id=case.case_id,
        ready=ends is not None,
        available=_refusal(case, settings, at) is None,
        delivered_at=case.delivered_at if ends else None,
        expires_at=ends,
        expired=ends is not None and at > ends,
        revoked=case.revoked_at is not None,
        formats=list(_formats(case)) if ends else [],
    )


def mint_link(
    case: CaseRecord, fmt: ReportFormat, settings: DeliverSettings, *, cases: CaseStore, s3: Any = None
) -> ReportLink:
    """A presigned GET of the report, valid for minutes, while the delivery is open.

    The download is written to the case's timeline before the URL exists, so none goes unaudited.
    """
    at = now()
    refusal = _refusal(case, settings, at)
    if refusal is not None:
        raise refusal
    key = _formats(case).get(fmt)
    if key is None:
        raise ReportNotReady(f"This report has no {fmt.upper()} version; ask for the PDF.")
    if not cases.record_download(
        case.case_id, TimelineEntry(at=at, event="report_downloaded", actor="patient")
    ):
        raise DeliveryRevoked()
    url = (s3 or clients.client("s3")).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.reports_bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="second-opinion.{fmt}"',
        },
        ExpiresIn=settings.download_link_seconds,
    )
    return ReportLink(download_url=url, expires_at=at + timedelta(seconds=settings.download_link_seconds))


# --- one-time codes -------------------------------------------------------------------------------


def _code_hash(case_id: str, code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256(f'{salt}:{case_id}:{code}'.encode()).hexdigest()}"


def _code_matches(stored: str, case_id: str, code: str) -> bool:
    return hmac.compare_digest(_code_hash(case_id, code, stored.partition("$")[0]), stored)


def send_code(case_id: str, settings: DeliverSettings, *, cases: CaseStore, ses: Any = None) -> CodeRequested:
    """E-mail a 6-digit one-time code to the case's address, if the case has an open delivery.

    The answer is the same either way, so that case ids cannot be probed; only the code's salted
    hash is kept, and no second code goes out within `code_resend_seconds`.
    """
    answer = CodeRequested(message=CODE_REQUESTED, valid_seconds=settings.code_valid_seconds)
    try:
        case = cases.get(case_id)
    except CaseNotFound:
        return answer
    at = now()
    if _refusal(case, settings, at) is not None or case.code_failures >= settings.code_max_failures:
        return answer
    code = f"{secrets.randbelow(10**6):06d}"
    if cases.issue_code(
        case.case_id,
        _code_hash(case.case_id, code),
        (at + timedelta(seconds=settings.code_valid_seconds)).isoformat(),
        TimelineEntry(at=at, event="download_code_sent"),
        issued_before=(at - timedelta(seconds=settings.code_resend_seconds)).isoformat(),
    ):
        body = CODE_BODY.format(code=code, minutes=max(1, settings.code_valid_seconds // 60))
        _send(settings, case.email, CODE_SUBJECT, body, ses)
    return answer


def redeem_code(case_id: str, code: str, settings: DeliverSettings, *, cases: CaseStore) -> CaseRecord:
    """The case whose live one-time code `code` is; the code is spent. InvalidCode otherwise, the
    same for an unknown case, a wrong, used, expired or burnt code."""
    counted = cases.count_code_attempt(
        case_id,
        now().isoformat(),
        max_attempts=settings.code_max_attempts,
        max_failures=settings.code_max_failures,
    )
    if counted is None or counted.code_hash is None:
        raise InvalidCode()
    if _code_matches(counted.code_hash, case_id, code):
        if cases.settle_code(case_id, counted.code_hash, matched=True, burn=True):
            return counted
        raise InvalidCode()  # spent by a parallel request a moment ago
    cases.settle_code(
        case_id,
        counted.code_hash,
        matched=False,
        burn=counted.code_attempts >= settings.code_max_attempts,
    )
    raise InvalidCode()


# --- ops ------------------------------------------------------------------------------------------


def revoke(case_id: str, subject: str, *, cases: CaseStore) -> Revocation:
    """Withdraw a delivery: no link is minted for it any more. Repeating it changes nothing."""
    case = cases.get(case_id)
    if case.revoked_at is None:
        if case.status != CaseStatus.DELIVERED:
            raise ReportNotReady("This case has not been delivered; there is no download to withdraw.")
        at = now()
        if cases.revoke(case.case_id, TimelineEntry(at=at, event="delivery_revoked", actor=subject)):
            return Revocation(case_id=case.case_id, revoked_at=at)
        case = cases.get(case_id)
    return Revocation(case_id=case.case_id, revoked_at=case.revoked_at or now())
