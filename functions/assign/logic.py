"""Choosing the radiologist, holding the task token, and the radiologist's actions on a read."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from secondopinion import clients, crypto, measures, readability, studies
from secondopinion.clock import now
from secondopinion.errors import (
    AssignmentClosed,
    AssignmentNotFound,
    HardToRead,
    InvalidRequest,
    NoRadiologistAvailable,
    ReportNotReady,
)
from secondopinion.models import (
    LIVE_ASSIGNMENT,
    STEP_FAILED,
    AcceptOutcome,
    ActionResult,
    AssignmentRecord,
    AssignmentStatus,
    AssignmentTask,
    AssignmentView,
    AssignRequest,
    AssignResult,
    CaseRecord,
    CaseStatus,
    CompareRequest,
    CompareResult,
    ContentKind,
    CosignRequest,
    EscalateRequest,
    FileRecord,
    OfferRequest,
    OpsAssignment,
    OpsCase,
    OpsCaseDetail,
    Radiologist,
    ReadabilityCheck,
    ReadabilityRequest,
    ReadabilityResult,
    ReassignRequest,
    ReleaseRequest,
    ReleaseResult,
    ReportSubmission,
    ReviewOutcome,
    StudyFile,
    Subspecialty,
    TimelineEntry,
    Translation,
    TranslationTask,
    WorklistItem,
)
from secondopinion.sla import AT_RISK_FRACTION, SlaStatus, sla_status
from secondopinion.store import Stores

from .roster import RosterEntry, change_for
from .routing import route
from .settings import AssignSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

DECLINED_ERROR = "Review.Declined"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(
        "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c)).split()
    )


def conflicts(radiologist: Radiologist, institutions: set[str], original_radiologist: str) -> bool:
    """The radiologist, or their institution, made the original reading (conflict of interest)."""
    mine = _plain(radiologist.institution)
    for other in filter(None, map(_plain, institutions)):
        # whole words: "Kantonsspital Baden" matches "Kantonsspital Baden AG", "X" matches no "Xray"
        if mine and (f" {mine} " in f" {other} " or f" {other} " in f" {mine} "):
            return True
    theirs = _plain(original_radiologist)
    surname = _plain(radiologist.name).split()[-1:] if radiologist.name else []
    return bool(theirs and surname and surname[0] in theirs.split())


@dataclass(frozen=True)
class Lapse:
    """A radiologist who let a task on the case time out: how often, and when last offered."""

    times: int
    last_offered_at: datetime


@dataclass(frozen=True)
class PassedOver:
    """Who had a task on the case before, and whether they may have it again."""

    excluded: set[str]
    """Declined it, were taken off it by ops, or hold or did another part of the case: never again."""
    lapses: Mapping[str, Lapse]
    """Only ever let it time out: offered again once nobody fresh is left, fewest lapses first."""


ENDED_BY_FAILURE = "ended: a step of the review failed"
"""Why a read ended when its case failed: not the radiologist's doing, so no lapse of theirs."""


def passed_over(assignments: Iterable[AssignmentRecord]) -> PassedOver:
    """Sort the case's earlier assignments of one task into those who said no (or are busy with
    the case) and those who only let an offer or a read run out. Re-offering to the latter keeps a
    case whose every eligible radiologist once let it lapse from waiting in the queue for ever."""
    excluded: set[str] = set()
    lapses: dict[str, Lapse] = {}
    for assignment in assignments:
        rid = assignment.radiologist_id
        if assignment.decline_reason == ENDED_BY_FAILURE:
            continue  # the case failed under them: they may have it again, first in line
        if assignment.status != AssignmentStatus.TIMED_OUT:
            excluded.add(rid)
            continue
        earlier = lapses.get(rid)
        lapses[rid] = Lapse(
            times=(earlier.times if earlier else 0) + 1,
            last_offered_at=max(assignment.offered_at, earlier.last_offered_at)
            if earlier
            else assignment.offered_at,
        )
    return PassedOver(excluded, {rid: lapse for rid, lapse in lapses.items() if rid not in excluded})


def freshness(radiologist: Radiologist, lapses: Mapping[str, Lapse]) -> tuple[int, datetime]:
    """Sort key: never offered the task first, then the fewest and oldest lapses."""
    lapse = lapses.get(radiologist.radiologist_id)
    return (lapse.times, lapse.last_offered_at) if lapse else (0, datetime.min.replace(tzinfo=UTC))


def rank(
    candidates: list[Radiologist],
    subspecialty: Subspecialty,
    language: str,
    excluded: set[str],
    *,
    lapses: Mapping[str, Lapse] | None = None,
    region: str = "CH",
    at: datetime | None = None,
    institutions: set[str] | None = None,
    original_radiologist: str = "",
) -> list[Radiologist]:
    """Eligible radiologists, best first: not offered the case before (then the fewest and oldest
    lapses), then speaks the patient's language, then least loaded.

    Eligible: of the subspecialty, available that day, with capacity, licensed where the patient
    lives, not excluded (declined, taken off by ops, or busy with another read of the case), and
    neither the original reader nor of their institution.
    """
    at = at or now()
    lapses = lapses or {}
    eligible = [
        r
        for r in candidates
        if subspecialty in r.subspecialties
        and may_take(r, at, region, excluded, institutions or set(), original_radiologist)
    ]
    return sorted(
        eligible,
        key=lambda r: (freshness(r, lapses), language not in r.languages, load(r), r.radiologist_id),
    )


def may_take(
    radiologist: Radiologist,
    at: datetime,
    region: str,
    excluded: set[str],
    institutions: set[str],
    original_radiologist: str,
) -> bool:
    """Has room, is available that day, is licensed where the patient lives, is not excluded from
    the case, and neither made the original reading nor works where it was made."""
    return (
        radiologist.open_reads < radiologist.capacity
        and radiologist.is_available(at)
        and radiologist.licensed_for(region)
        and radiologist.radiologist_id not in excluded
        and not conflicts(radiologist, institutions, original_radiologist)
    )


def load(radiologist: Radiologist) -> float:
    return radiologist.open_reads / max(radiologist.capacity, 1)


def institutions_of(case: CaseRecord, records: list[FileRecord]) -> set[str]:
    """Where the case's studies and its original reading were made (conflicts of interest)."""
    institutions = {f.facts.institution for f in records if f.facts.institution}
    if case.original_institution:
        institutions.add(case.original_institution)
    return institutions


def _choice(radiologist: Radiologist, lapses: Mapping[str, Lapse]) -> str:
    lapse = lapses.get(radiologist.radiologist_id)
    if lapse is None:
        return "least loaded eligible"
    return f"offered again: every eligible radiologist has had it; this one let it lapse {lapse.times}x"


def assignment_id_for(case_id: str, attempt: int, reader: int = 1, run: int = 0) -> str:
    """One assignment per case, run, reader and attempt, so a retried Assign finds the one it made."""
    key = f"{case_id}:{attempt}" if reader == 1 else f"{case_id}:{reader}:{attempt}"
    return hashlib.sha256((key if run == 0 else f"{key}:run{run}").encode()).hexdigest()[:32]


FINISHED_READING = (AssignmentStatus.REPORTED, AssignmentStatus.CONSENSUS, AssignmentStatus.COSIGN)


def carry_over(
    request: AssignRequest, assignment_id: str, earlier: list[AssignmentRecord], stores: Stores
) -> AssignResult | None:
    """A restarted run (a failed case ops started again) keeps a reading the failed run got: the
    new run's assignment is a copy of it, already reported, and the workflow skips the offer and
    the read (`carried`). None when this reader has no finished reading among the case's
    `earlier` assignments."""
    if request.run == 0:
        return None
    finished = [
        a
        for a in earlier
        if a.task == AssignmentTask.READ
        and a.reader == request.reader
        and a.status in FINISHED_READING
        and a.submission is not None
    ]
    if not finished:
        return None
    reading = max(finished, key=lambda a: a.reported_at or a.offered_at)
    carry_into_run(
        reading, assignment_id, request.attempt, "reading", stores, status=AssignmentStatus.REPORTED
    )
    return AssignResult(assignment_id=assignment_id, radiologist_id=reading.radiologist_id, carried=True)


def carry_into_run(
    done: AssignmentRecord, assignment_id: str, attempt: int, what: str, stores: Stores, **changes: Any
) -> AssignmentRecord:
    """Copy work an earlier, failed run finished (a reading, a signed-off translation) into the
    restarted run's own assignment, once: no token, its slot long given back, the original named
    (`carried_from`) and the carry-over on the case's timeline. The copy as stored."""
    copy = done.model_copy(
        update={
            "assignment_id": assignment_id,
            "attempt": attempt,
            "reason": f"{what} carried over from an earlier run of the review; {done.reason}",
            "task_token_ciphertext": None,
            "token_phase": None,
            "released": True,
            "carried_from": done.assignment_id,
            **changes,
        }
    )
    if not stores.assignments.create_once(copy):
        return stores.assignments.get(assignment_id)  # a retry of the task made it already
    stores.cases.update(
        done.case_id, TimelineEntry(at=now(), event=f"{what}_carried_over", actor=done.radiologist_id)
    )
    return copy


def assign(request: AssignRequest, *, stores: Stores, metrics: Metrics | None = None) -> AssignResult:
    """Offer the case to the best available radiologist who has not had it yet; a reader's first
    offer records the time from the complete upload (TimeToAssignment)."""
    assignment_id = assignment_id_for(request.case_id, request.attempt, request.reader, request.run)
    existing = stores.assignments.find(assignment_id)
    if existing is not None:  # the workflow retried this step after it had done its work
        return AssignResult(
            assignment_id=existing.assignment_id,
            radiologist_id=existing.radiologist_id,
            carried=existing.carried_from is not None,
        )
    earlier = stores.assignments.for_case(request.case_id)
    carried = carry_over(request, assignment_id, earlier, stores) if request.attempt == 0 else None
    if carried is not None:
        return carried
    case = stores.cases.get(request.case_id)
    records = stores.files.for_case(case.case_id)
    images = [f.facts for f in records if f.content == ContentKind.IMAGE]
    subspecialty, why = route(images)
    before = passed_over(earlier)
    candidates = rank(
        stores.roster.all(),
        subspecialty,
        case.language,
        before.excluded,
        lapses=before.lapses,
        region=case.region,
        institutions=institutions_of(case, records),
        original_radiologist=case.original_radiologist,
    )
    for radiologist in candidates:
        if not stores.assignments.claim(case.case_id, radiologist.radiologist_id, request.reader):
            continue  # the case's other reader took this radiologist a moment ago
        if not stores.roster.adjust_load(radiologist.radiologist_id, +1):
            continue  # filled up since we read the roster
        offered = now()
        language_note = (
            "speaks the patient's language"
            if case.language in radiologist.languages
            else "no eligible radiologist speaks the patient's language; a reading in another "
            "language is translated and signed off before the report"
        )
        assignment = AssignmentRecord(
            assignment_id=assignment_id,
            case_id=case.case_id,
            radiologist_id=radiologist.radiologist_id,
            attempt=request.attempt,
            reader=request.reader,
            status=AssignmentStatus.OFFERED,
            subspecialty=subspecialty,
            reason=f"{why}; {language_note}; {_choice(radiologist, before.lapses)} "
            f"({radiologist.open_reads}/{radiologist.capacity} open reads)",
            offered_at=offered,
            due_at=offered + timedelta(seconds=request.timeouts.offer_seconds),
            read_limit_seconds=request.timeouts.review_seconds,
            heartbeat_seconds=request.timeouts.heartbeat_seconds,
            report_margin_seconds=request.timeouts.report_margin_seconds,
        )
        if not stores.assignments.create_once(assignment):
            stores.roster.adjust_load(radiologist.radiologist_id, -1)
            winner = stores.assignments.get(assignment_id)
            return AssignResult(assignment_id=winner.assignment_id, radiologist_id=winner.radiologist_id)
        stores.cases.update(
            case.case_id,
            TimelineEntry(at=offered, event="assigned", actor=radiologist.radiologist_id),
            subspecialty=subspecialty.value,
        )
        if request.attempt == 0:
            measures.seconds(metrics, "TimeToAssignment", case.submitted_at, offered)
        return AssignResult(assignment_id=assignment.assignment_id, radiologist_id=radiologist.radiologist_id)
    raise NoRadiologistAvailable(
        f"No available {subspecialty.value} radiologist with capacity for this case."
    )


def hold_token(request: OfferRequest, settings: AssignSettings, *, stores: Stores, kms: Any = None) -> None:
    """Keep the task token server-side, encrypted and bound to its assignment and phase."""
    ciphertext = crypto.encrypt(
        settings.kms_key_id, request.task_token, {"assignment_id": request.assignment_id}, kms=kms
    )
    stores.assignments.set_token(request.assignment_id, ciphertext, request.phase)
    if request.phase in CONSENSUS_PHASES:  # both readings are in: the two readers now see both
        status = AssignmentStatus.CONSENSUS if request.phase == "consensus" else AssignmentStatus.COSIGN
        stores.assignments.move(request.assignment_id, [AssignmentStatus.REPORTED], status)


CONSENSUS_PHASES = ("consensus", "cosign")
OPEN_ASSIGNMENT = (*LIVE_ASSIGNMENT, AssignmentStatus.TRANSLATION)
"""What a radiologist (or ops) may still give back: an offer, a read, a translation to sign off."""


def concordant(first: ReportSubmission, second: ReportSubmission) -> bool:
    """Two readings agree when they grade the original reading alike (RADPEER) and agree on
    whether there is a critical finding; anything else needs a consensus."""
    return first.radpeer == second.radpeer and first.critical_finding == second.critical_finding


def compare(request: CompareRequest, *, stores: Stores) -> CompareResult:
    """Compare the two blinded readings of a consensus case."""
    first, second = (stores.assignments.get(read.assignment_id) for read in request.reads)
    if first.submission is None or second.submission is None:
        raise ReportNotReady("Both readings must be in before they are compared.")
    agree = concordant(first.submission, second.submission)
    stores.cases.update(
        request.case_id,
        TimelineEntry(at=now(), event="consensus_concordant" if agree else "consensus_discordant"),
    )
    return CompareResult(
        concordant=agree, primary_assignment_id=first.assignment_id, second_assignment_id=second.assignment_id
    )


def release(request: ReleaseRequest, *, stores: Stores) -> ReleaseResult:
    """A read ended without a report (declined or timed out): free the slot once, count the attempt."""
    assignment = stores.assignments.get(request.assignment_id)
    timed_out = stores.assignments.move(assignment.assignment_id, OPEN_ASSIGNMENT, AssignmentStatus.TIMED_OUT)
    if stores.assignments.release_once(assignment.assignment_id):
        stores.roster.adjust_load(assignment.radiologist_id, -1)
        step = "translation" if assignment.task == AssignmentTask.TRANSLATION else "review"
        event = f"{step}_timed_out" if timed_out else f"{step}_declined"
        stores.cases.update(
            request.case_id, TimelineEntry(at=now(), event=event, actor=assignment.radiologist_id)
        )
    return ReleaseResult(attempt=request.attempt + 1)


def _stop_failed_case(case_id: str, stores: Stores) -> None:
    """The review stops: the case moves to FAILED, and every read still live on it ends (as timed
    out), giving its radiologist's slot back, so that nobody acts on a workflow that is gone."""
    stores.cases.transition(
        case_id,
        [CaseStatus.IN_REVIEW, CaseStatus.REPORTING],
        CaseStatus.FAILED,
        TimelineEntry(at=now(), event="review_failed"),
    )
    for assignment in stores.assignments.for_case(case_id):
        stores.assignments.move(
            assignment.assignment_id,
            OPEN_ASSIGNMENT,
            AssignmentStatus.TIMED_OUT,
            decline_reason=ENDED_BY_FAILURE,
        )
        if stores.assignments.release_once(assignment.assignment_id):
            stores.roster.adjust_load(assignment.radiologist_id, -1)


def escalate(request: EscalateRequest, settings: AssignSettings, *, stores: Stores, sns: Any = None) -> bool:
    """Tell ops (ids only, no health data) once per case and reason, and flag the case; the
    workflow keeps moving, unless a step failed (then the case stops in FAILED). True when ops
    were told now."""
    if request.reason == STEP_FAILED:
        _stop_failed_case(request.case_id, stores)
    if not stores.cases.add_alert(request.case_id, request.reason):
        return False
    stores.cases.update(
        request.case_id, TimelineEntry(at=now(), event=f"escalated:{request.reason}"), escalated=True
    )
    (sns or clients.client("sns")).publish(
        TopicArn=settings.ops_topic_arn,
        Subject="Second opinion case escalated",
        Message=json.dumps({"case_id": request.case_id, "reason": request.reason}),
    )
    return True


WATCHED = (CaseStatus.IN_REVIEW, CaseStatus.REPORTING)
"""The statuses a case runs against its deadline in."""


@dataclass
class Watched:
    """What one round of the deadline watch found."""

    at_risk: int = 0
    """Cases ops were told now are at risk (each case once)."""
    breached: int = 0
    """Cases ops were told now have missed their deadline (each case once)."""
    open: dict[tuple[CaseStatus, SlaStatus], int] = field(
        default_factory=lambda: {
            (status, sla): 0
            for status in WATCHED
            for sla in (SlaStatus.ON_TRACK, SlaStatus.AT_RISK, SlaStatus.BREACHED)
        }
    )
    """Every case in review or reporting, by status and SLA status (zeros included)."""


def watch_deadlines(settings: AssignSettings, *, stores: Stores, sns: Any = None) -> Watched:
    """Run on a schedule: escalate cases at risk of missing their deadline, record breaches, and
    count where every running case stands."""
    at = now()
    watched = Watched()
    for status in WATCHED:
        for case in stores.cases.by_status(status):
            state = sla_status(
                case.submitted_at, case.deadline, at, at_risk_fraction=settings.sla_at_risk_fraction
            )
            if (status, state) in watched.open:
                watched.open[status, state] += 1
            if state == SlaStatus.AT_RISK:
                watched.at_risk += escalate(
                    EscalateRequest(case_id=case.case_id, reason="sla_at_risk"),
                    settings,
                    stores=stores,
                    sns=sns,
                )
            elif state == SlaStatus.BREACHED:
                watched.breached += escalate(
                    EscalateRequest(case_id=case.case_id, reason="sla_breached"),
                    settings,
                    stores=stores,
                    sns=sns,
                )
    return watched


# --- the radiologist's side ------------------------------------------------------------------------


def own(assignment_id: str, radiologist_id: str, stores: Stores) -> AssignmentRecord:
    assignment = stores.assignments.get(assignment_id)
    if assignment.radiologist_id != radiologist_id:
        raise AssignmentNotFound()  # do not reveal that someone else holds it
    return assignment


def token_of(assignment: AssignmentRecord, kms: Any) -> str:
    if not assignment.task_token_ciphertext:
        raise AssignmentClosed("This assignment is not ready yet; try again in a moment.")
    return crypto.decrypt(
        assignment.task_token_ciphertext, {"assignment_id": assignment.assignment_id}, kms=kms
    )


def worklist(
    radiologist_id: str, *, stores: Stores, at_risk_fraction: float = AT_RISK_FRACTION
) -> list[WorklistItem]:
    at = now()
    items = []
    for a in stores.assignments.for_radiologist(radiologist_id):
        if not actionable(a):
            continue  # shown once the workflow waits on it, so every action works
        case = stores.cases.get(a.case_id)
        items.append(
            WorklistItem(
                assignment_id=a.assignment_id,
                case_id=a.case_id,
                status=a.status,
                subspecialty=a.subspecialty,
                tier=case.tier,
                due_at=a.due_at,
                case_deadline=case.deadline,
                sla=sla_status(case.submitted_at, case.deadline, at, at_risk_fraction=at_risk_fraction).value,
            )
        )
    return sorted(items, key=lambda i: i.due_at)


def view(
    assignment_id: str, radiologist_id: str, settings: AssignSettings, *, stores: Stores, s3: Any = None
) -> AssignmentView:
    assignment = own(assignment_id, radiologist_id, stores)
    if assignment.status not in (*OPEN_ASSIGNMENT, AssignmentStatus.CONSENSUS, AssignmentStatus.COSIGN):
        raise AssignmentClosed("This assignment is no longer yours to read.")
    case = stores.cases.get(assignment.case_id)
    files = [f for f in stores.files.for_case(case.case_id) if f.content is not None]
    s3 = s3 or clients.client("s3")
    links = [
        StudyFile(
            file_id=f.file_id,
            name=f.name,
            content=f.content,
            study_instance_uid=f.facts.study_instance_uid,
            series_instance_uid=f.facts.series_instance_uid,
            url=s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": settings.uploads_bucket, "Key": f.key},
                ExpiresIn=settings.image_link_seconds,
            ),
        )
        for f in files
    ]
    return AssignmentView(
        assignment_id=assignment.assignment_id,
        case_id=case.case_id,
        status=assignment.status,
        due_at=assignment.due_at,
        heartbeat_seconds=assignment.heartbeat_seconds,
        tier=case.tier,
        language=case.language,
        longitudinal=case.longitudinal,
        symptoms=case.symptoms,
        questions=case.questions,
        clinical_history=case.clinical_history,
        studies=studies.group(files),
        files=links,
        readings=_readings(assignment, stores),
        translation=_translation_task(assignment, stores),
    )


def submission_of(reading: AssignmentRecord, agreed: bool) -> ReportSubmission:
    """The reading an assignment holds: its reader's, or the agreed one of a consensus."""
    submission = reading.agreed_submission if agreed else reading.submission
    if submission is None:
        raise ReportNotReady("The reading has not been submitted.")
    return submission


def reading_of(translation: Translation, stores: Stores) -> ReportSubmission:
    """The reading a translation is made from."""
    return submission_of(stores.assignments.get(translation.reading_assignment_id), translation.agreed)


def _translation_task(assignment: AssignmentRecord, stores: Stores) -> TranslationTask | None:
    translation = assignment.translation
    if translation is None:
        return None
    return TranslationTask(
        source_language=translation.source_language,
        target_language=translation.target_language,
        translator=translation.translator,
        original=reading_of(translation, stores),
        draft=translation.draft,
    )


def _readings(assignment: AssignmentRecord, stores: Stores) -> list[ReportSubmission]:
    """In the consensus step, both readings (own first); before it, none: the reads are blinded."""
    if assignment.status not in (AssignmentStatus.CONSENSUS, AssignmentStatus.COSIGN):
        return []
    others = [
        a
        for a in stores.assignments.for_case(assignment.case_id)
        if a.status in (AssignmentStatus.CONSENSUS, AssignmentStatus.COSIGN, AssignmentStatus.REPORTED)
        and a.assignment_id != assignment.assignment_id
        and a.submission is not None
    ]
    mine = [assignment.submission] if assignment.submission else []
    agreed = [assignment.agreed_submission] if assignment.agreed_submission else []
    partner_agreed = [a.agreed_submission for a in others if a.agreed_submission]
    return [*mine, *[a.submission for a in others if a.submission], *agreed, *partner_agreed]


def actionable(a: AssignmentRecord) -> bool:
    """The workflow waits on this assignment's current phase, so the radiologist can act on it."""
    expected = {
        AssignmentStatus.OFFERED: "offer",
        AssignmentStatus.ACCEPTED: "read",
        AssignmentStatus.CONSENSUS: "consensus",
        AssignmentStatus.COSIGN: "cosign",
        AssignmentStatus.TRANSLATION: "translation",
    }.get(a.status)
    return expected is not None and a.token_phase == expected and a.task_token_ciphertext is not None


def _read_seconds(assignment: AssignmentRecord, case: CaseRecord) -> int:
    """The read's time: the workflow's longest read, but never past the case's deadline less the
    margin kept for the report and its delivery."""
    limit = assignment.read_limit_seconds
    if case.deadline is not None:
        left = int((case.deadline - now()).total_seconds()) - assignment.report_margin_seconds
        limit = min(limit, left)
    return max(1, limit)


def accept(
    assignment_id: str,
    radiologist_id: str,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
    metrics: Metrics | None = None,
) -> ActionResult:
    """Take the offer: the read starts, due by the case's SLA (TimeToAccept: since the offer)."""
    assignment = own(assignment_id, radiologist_id, stores)
    sfn = sfn or clients.client("stepfunctions")
    if assignment.status == AssignmentStatus.ACCEPTED:
        if assignment.token_phase == "offer":  # noqa: S105 - accepted, but the workflow may not know yet
            _resume_offer(sfn, token_of(assignment, kms), assignment)
        return ActionResult(assignment_id=assignment_id, status=assignment.status)
    if assignment.status != AssignmentStatus.OFFERED:
        raise AssignmentClosed("This offer is no longer open.")
    if not actionable(assignment):
        raise AssignmentClosed("This offer is not ready yet; try again in a moment.")
    token = token_of(assignment, kms)
    case = stores.cases.get(assignment.case_id)
    read_seconds = _read_seconds(assignment, case)
    accepted = now()
    if not stores.assignments.move(
        assignment_id,
        [AssignmentStatus.OFFERED],
        AssignmentStatus.ACCEPTED,
        accepted_at=accepted.isoformat(),
        due_at=(accepted + timedelta(seconds=read_seconds)).isoformat(),
    ):
        raise AssignmentClosed("This offer is no longer open.")
    _resume_offer(sfn, token, assignment.model_copy(update={"read_limit_seconds": read_seconds}))
    stores.cases.update(
        assignment.case_id, TimelineEntry(at=accepted, event="accepted", actor=radiologist_id)
    )
    if stores.assignments.get(assignment_id).status != AssignmentStatus.ACCEPTED:
        raise AssignmentClosed("The offer lapsed before it was accepted.")
    measures.seconds(metrics, "TimeToAccept", assignment.offered_at, accepted)
    return ActionResult(assignment_id=assignment_id, status=AssignmentStatus.ACCEPTED)


def _resume_offer(sfn: Any, token: str, assignment: AssignmentRecord) -> None:
    outcome = AcceptOutcome(
        assignment_id=assignment.assignment_id, read_seconds=assignment.read_limit_seconds
    )
    # The offer may have lapsed meanwhile (then the workflow has moved on and says so).
    with suppress(*sfn_errors(sfn)):
        sfn.send_task_success(taskToken=token, output=outcome.model_dump_json())


def heartbeat(
    assignment_id: str, radiologist_id: str, *, stores: Stores, sfn: Any = None, kms: Any = None
) -> ActionResult:
    """The radiologist is still reading: keeps the read from counting as abandoned."""
    assignment = own(assignment_id, radiologist_id, stores)
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise AssignmentClosed("Only an accepted read has a heartbeat.")
    if not actionable(assignment):
        raise AssignmentClosed("This read is not ready yet; try again in a moment.")
    (sfn or clients.client("stepfunctions")).send_task_heartbeat(taskToken=token_of(assignment, kms))
    return ActionResult(assignment_id=assignment_id, status=assignment.status)


def decline(
    assignment_id: str, radiologist_id: str, reason: str, *, stores: Stores, sfn: Any = None, kms: Any = None
) -> ActionResult:
    """Give the case back, offered, accepted or to translate; it goes to the next radiologist."""
    assignment = own(assignment_id, radiologist_id, stores)
    if assignment.status not in OPEN_ASSIGNMENT:
        raise AssignmentClosed("This assignment has already ended.")
    if not actionable(assignment):
        raise AssignmentClosed("This assignment is not ready yet; try again in a moment.")
    token = token_of(assignment, kms)
    if not stores.assignments.move(
        assignment_id, OPEN_ASSIGNMENT, AssignmentStatus.DECLINED, decline_reason=reason
    ):
        raise AssignmentClosed("This assignment has already ended.")
    # The reason stays in the table: Step Functions failure causes are not a place for it.
    sfn = sfn or clients.client("stepfunctions")
    with suppress(*sfn_errors(sfn)):
        sfn.send_task_failure(taskToken=token, error=DECLINED_ERROR)
    return ActionResult(assignment_id=assignment_id, status=AssignmentStatus.DECLINED)


def sfn_errors(sfn: Any) -> tuple[type[Exception], ...]:
    """What Step Functions answers for a task that is over already."""
    return (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken)


def submit_report(
    assignment_id: str,
    radiologist_id: str,
    submission: ReportSubmission,
    settings: AssignSettings,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
) -> ActionResult:
    """Store the reading and resume the workflow.

    Safe to repeat: an identical resubmission resumes the workflow again (in case the first
    SendTaskSuccess failed after the reading was stored); a different one is refused.
    """
    assignment = own(assignment_id, radiologist_id, stores)
    sfn = sfn or clients.client("stepfunctions")
    case = stores.cases.get(assignment.case_id)
    submission = in_written_language(submission, case, stores.roster.get(radiologist_id))
    if assignment.status == AssignmentStatus.REPORTED:
        if assignment.submission != submission:
            raise AssignmentClosed("A different report was already submitted; ask ops to amend it.")
        resume(sfn, token_of(assignment, kms), assignment)
        return ActionResult(assignment_id=assignment_id, status=assignment.status)
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise AssignmentClosed("Accept the assignment before submitting, or it is no longer yours.")
    if not actionable(assignment):
        raise AssignmentClosed("This read is not ready yet; try again in a moment.")
    missing = [q for q in case.questions if q not in {a.question for a in submission.answers}]
    if missing:
        raise InvalidRequest(f"Answer every question of the patient: {len(missing)} unanswered.")
    _check_comparisons(case, submission, stores)
    scores = score_readability(case, submission)
    token = token_of(assignment, kms)
    # The case moves first, so the workflow never reaches delivery with the case still in review.
    stores.cases.transition(
        case.case_id,
        CaseStatus.IN_REVIEW,
        CaseStatus.REPORTING,
        TimelineEntry(at=now(), event="reported", actor=radiologist_id),
    )
    if not stores.assignments.move(
        assignment_id,
        [AssignmentStatus.ACCEPTED],
        AssignmentStatus.REPORTED,
        submission=submission.model_dump(mode="json"),
        readability=[r.model_dump(mode="json") for r in scores],
        reported_at=now().isoformat(),
    ):
        raise AssignmentClosed("This assignment ended before the report arrived.")
    if stores.assignments.release_once(assignment_id):
        stores.roster.adjust_load(radiologist_id, -1)
    resume(sfn, token, assignment)
    if submission.critical_finding:  # ops hear of it at once, before the report is out
        escalate(EscalateRequest(case_id=case.case_id, reason="critical_finding"), settings, stores=stores)
    return ActionResult(assignment_id=assignment_id, status=AssignmentStatus.REPORTED)


def in_written_language(
    submission: ReportSubmission, case: CaseRecord, radiologist: Radiologist | None
) -> ReportSubmission:
    """The reading with the language it is written in: the one given, or else the patient's.
    Either must be one the radiologist's roster entry lists, so that a reading is never taken to
    be in a language its radiologist does not write."""
    languages = radiologist.languages if radiologist is not None else []
    listed = ", ".join(language.value for language in languages) or "none"
    language = submission.language
    if language is None:
        if case.language not in languages:
            raise InvalidRequest(
                f"The patient reads {case.language.value}, which your roster entry does not list "
                f"({listed}): say which language you wrote in, as language."
            )
        language = case.language
    elif language not in languages:
        raise InvalidRequest(
            f"Your roster entry does not list {language.value} ({listed}): write in one of those "
            "languages, or ask ops to add it."
        )
    return submission.model_copy(update={"language": language})


def _check_comparisons(case: CaseRecord, submission: ReportSubmission, stores: Stores) -> None:
    """A longitudinal reading compares the current study with every earlier one."""
    if not case.longitudinal:
        return
    priors = [s for s in studies.group(stores.files.for_case(case.case_id)) if not s.current]
    given = {c.study_instance_uid for c in submission.comparisons}
    missing = [p for p in priors if p.study_instance_uid not in given]
    unknown = given - {p.study_instance_uid for p in priors}
    if missing or unknown:
        dates = ", ".join(p.study_date or "undated" for p in missing)
        raise InvalidRequest(
            f"Compare the current study with each earlier one: {len(missing)} missing ({dates})"
            + (f"; {len(unknown)} comparison(s) name no earlier study of this case" if unknown else "")
        )


FORMULA_NAMES = {
    "flesch_kincaid_grade": "the Flesch-Kincaid grade",
    "amstad": "Amstad's reading ease",
    "gulpease": "the Gulpease index",
    "kandel_moles": "the Kandel-Moles index",
}


def check_readability(request: ReadabilityRequest) -> ReadabilityCheck:
    """Score a draft the way a submission will be scored, so the form can show it while typing."""
    scored = readability.score(request.text, request.language.value)
    return ReadabilityCheck(
        formula=scored.formula.value,
        value=scored.value,
        target=scored.target,
        higher_is_better=scored.higher_is_better,
        passes=scored.passes,
        hardest_sentences=[s.text for s in scored.hardest_sentences],
    )


def score_readability(case: CaseRecord, submission: ReportSubmission) -> list[ReadabilityResult]:
    """Score the texts the patient reads in plain words, in the language they are written in;
    refuse hard ones unless confirmed."""
    language = submission.language or case.language
    texts = {"summary": submission.summary, "answers": " ".join(a.answer for a in submission.answers)}
    results, hard = [], []
    for section, text in texts.items():
        scored = readability.score(text, language.value)
        results.append(
            ReadabilityResult(
                section=section,
                formula=scored.formula.value,
                value=scored.value,
                target=scored.target,
                passes=scored.passes,
            )
        )
        if not scored.passes:
            hard.append((section, scored))
    if hard and not submission.confirm_readability:
        parts = []
        for section, scored in hard:
            worst = "; ".join(f'"{s.text}"' for s in scored.hardest_sentences[:3])
            relation = "at least" if scored.higher_is_better else "at most"
            parts.append(
                f"The {section} scores {scored.value} on {FORMULA_NAMES[scored.formula.value]} ({relation} "
                f"{scored.target:g} wanted). Hardest sentences: {worst}"
            )
        raise HardToRead(" ".join(parts) + ". Simplify them, or submit again with confirm_readability.")
    return results


def _finish_consensus_step(
    assignment: AssignmentRecord,
    status: AssignmentStatus,
    event: str,
    stores: Stores,
    sfn: Any,
    kms: Any,
    **fields: Any,
) -> ActionResult:
    """Close the consensus step the workflow waits on (`status`), record it, resume the workflow."""
    token = token_of(assignment, kms)
    if not stores.assignments.move(assignment.assignment_id, [status], AssignmentStatus.REPORTED, **fields):
        raise AssignmentClosed("This consensus step ended meanwhile.")
    stores.cases.update(
        assignment.case_id, TimelineEntry(at=now(), event=event, actor=assignment.radiologist_id)
    )
    resume(sfn or clients.client("stepfunctions"), token, assignment)
    return ActionResult(assignment_id=assignment.assignment_id, status=AssignmentStatus.REPORTED)


def _consensus_step(
    assignment_id: str, radiologist_id: str, status: AssignmentStatus, stores: Stores, refusal: str
) -> AssignmentRecord:
    assignment = own(assignment_id, radiologist_id, stores)
    if assignment.status != status or not actionable(assignment):
        raise AssignmentClosed(refusal)
    return assignment


def submit_agreed(
    assignment_id: str,
    radiologist_id: str,
    submission: ReportSubmission,
    settings: AssignSettings,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
) -> ActionResult:
    """The primary reader's agreed reading after a discordance; the second reader co-signs next."""
    assignment = _consensus_step(
        assignment_id,
        radiologist_id,
        AssignmentStatus.CONSENSUS,
        stores,
        "There is no consensus reading to write on this assignment now.",
    )
    case = stores.cases.get(assignment.case_id)
    submission = in_written_language(submission, case, stores.roster.get(radiologist_id))
    scores = score_readability(case, submission)
    return _finish_consensus_step(
        assignment,
        AssignmentStatus.CONSENSUS,
        "consensus_written",
        stores,
        sfn,
        kms,
        agreed_submission=submission.model_dump(mode="json"),
        readability=[r.model_dump(mode="json") for r in scores],
    )


def cosign(
    assignment_id: str,
    radiologist_id: str,
    request: CosignRequest,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
) -> ActionResult:
    """The second reader signs the agreed reading, which the report then carries for both."""
    assignment = _consensus_step(
        assignment_id,
        radiologist_id,
        AssignmentStatus.COSIGN,
        stores,
        "There is nothing to co-sign on this assignment now.",
    )
    return _finish_consensus_step(
        assignment,
        AssignmentStatus.COSIGN,
        "consensus_cosigned",
        stores,
        sfn,
        kms,
        cosigned_at=now().isoformat(),
        cosign_comment=request.comment,
    )


def resume(sfn: Any, token: str, assignment: AssignmentRecord) -> None:
    outcome = ReviewOutcome(assignment_id=assignment.assignment_id, radiologist_id=assignment.radiologist_id)
    # The workflow may have moved on already: it resumed with this reading, or it timed out.
    with suppress(*sfn_errors(sfn)):
        sfn.send_task_success(taskToken=token, output=outcome.model_dump_json())


# --- ops ---------------------------------------------------------------------------------------------


def _finished(case: CaseRecord) -> datetime | None:
    return case.delivered_at


def _ops_row(case: CaseRecord, at: datetime, at_risk_fraction: float) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "status": case.status,
        "tier": case.tier,
        "deadline": case.deadline,
        "sla": sla_status(
            case.submitted_at, case.deadline, at, finished=_finished(case), at_risk_fraction=at_risk_fraction
        ).value,
        "escalated": case.escalated,
        "alerts": case.alerts,
    }


def ops_cases(
    status: CaseStatus | None, *, stores: Stores, at_risk_fraction: float = AT_RISK_FRACTION
) -> list[OpsCase]:
    """Cases for ops, most urgent deadline first."""
    at = now()
    rows = [
        OpsCase(**_ops_row(c, at, at_risk_fraction))
        for s in ([status] if status else list(CaseStatus))
        for c in stores.cases.by_status(s)
    ]
    far = at + timedelta(days=3650)
    return sorted(rows, key=lambda r: (r.deadline or far, r.case_id))


def ops_case(case_id: str, *, stores: Stores, at_risk_fraction: float = AT_RISK_FRACTION) -> OpsCaseDetail:
    """One case's state and audit trail: every state change, who, when."""
    case = stores.cases.get(case_id)
    return OpsCaseDetail(
        **_ops_row(case, now(), at_risk_fraction),
        subspecialty=case.subspecialty,
        submitted_at=case.submitted_at,
        timeline=case.timeline,
        assignments=[
            OpsAssignment(**a.model_dump(include=set(OpsAssignment.model_fields)))
            for a in stores.assignments.for_case(case_id)
        ],
    )


def reassign(
    case_id: str,
    request: ReassignRequest,
    staff: str,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
    at_risk_fraction: float = AT_RISK_FRACTION,
) -> OpsCaseDetail:
    """Take the case from its current radiologist; the workflow offers it to the next one."""
    live = [a for a in stores.assignments.for_case(case_id) if a.status in OPEN_ASSIGNMENT]
    if not live:
        raise AssignmentClosed(
            "Nobody holds this case now: it is waiting for a radiologist or not in review."
        )
    assignment = stores.assignments.get(live[-1].assignment_id)  # consistent read of the one to end
    token = token_of(assignment, kms)
    if not stores.assignments.move(
        assignment.assignment_id,
        OPEN_ASSIGNMENT,
        AssignmentStatus.DECLINED,
        decline_reason=f"reassigned by ops: {request.reason}",
    ):
        raise AssignmentClosed("The assignment ended meanwhile.")
    stores.cases.update(case_id, TimelineEntry(at=now(), event="reassigned_by_ops", actor=staff))
    sfn = sfn or clients.client("stepfunctions")
    with suppress(*sfn_errors(sfn)):
        sfn.send_task_failure(taskToken=token, error=DECLINED_ERROR)
    return ops_case(case_id, stores=stores, at_risk_fraction=at_risk_fraction)


def radiologists(*, stores: Stores) -> list[Radiologist]:
    return sorted(stores.roster.all(), key=lambda r: r.radiologist_id)


def put_radiologist(radiologist_id: str, entry: RosterEntry, *, stores: Stores) -> Radiologist:
    """Create or update one radiologist; their open reads are never touched."""
    if entry.radiologist_id != radiologist_id:
        raise InvalidRequest("The radiologist_id in the body must be the one in the path.")
    change = change_for(entry, stores.roster.get(radiologist_id))
    if change.radiologist is not None:
        stores.roster.save_profile(change.radiologist)
    saved = stores.roster.get(radiologist_id)
    assert saved is not None
    return saved
