"""A reading written in another language than the patient's is translated before the report:
a radiologist who reads both languages writes the translation, or checks and corrects the
machine's draft, and signs it off. Only the signed-off text reaches the patient."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from secondopinion import clients
from secondopinion.clock import now
from secondopinion.errors import AssignmentClosed, InvalidRequest, NoRadiologistAvailable
from secondopinion.models import (
    ActionResult,
    AssignmentRecord,
    AssignmentStatus,
    AssignmentTask,
    CaseRecord,
    ComparisonNote,
    Language,
    QuestionAnswer,
    Radiologist,
    ReportSubmission,
    Subspecialty,
    TimelineEntry,
    TranslatedTexts,
    Translation,
    TranslationRequest,
    TranslationResult,
    TranslationSignoff,
)
from secondopinion.store import Stores

from .logic import (
    Lapse,
    actionable,
    carry_into_run,
    freshness,
    institutions_of,
    load,
    may_take,
    own,
    passed_over,
    reading_of,
    resume,
    score_readability,
    submission_of,
    token_of,
)
from .translator import TranslationTooSlow, Translator


def translation_assignment_id(case_id: str, attempt: int, run: int = 0) -> str:
    """One translation assignment per case, run and attempt, so a retried task finds the one it made."""
    key = f"{case_id}:translation:{attempt}"
    return hashlib.sha256((key if run == 0 else f"{key}:run{run}").encode()).hexdigest()[:32]


def rank_translators(
    candidates: list[Radiologist],
    source: Language,
    target: Language,
    *,
    subspecialty: Subspecialty,
    readers: set[str],
    excluded: set[str],
    lapses: Mapping[str, Lapse] | None = None,
    region: str,
    institutions: set[str],
    original_radiologist: str,
    at: datetime | None = None,
) -> list[Radiologist]:
    """Radiologists who read both languages (by the roster) and may take the case, best first:
    not offered the translation before (then the fewest and oldest lapses), then one who read the
    case (they know what it says), then one of its subspecialty, then the least loaded."""
    at = at or now()
    lapses = lapses or {}
    eligible = [
        r
        for r in candidates
        if source in r.languages
        and target in r.languages
        and may_take(r, at, region, excluded, institutions, original_radiologist)
    ]
    return sorted(
        eligible,
        key=lambda r: (
            freshness(r, lapses),
            r.radiologist_id not in readers,
            subspecialty not in r.subspecialties,
            load(r),
            r.radiologist_id,
        ),
    )


def texts_of(submission: ReportSubmission) -> list[str]:
    """What a translation covers, in a fixed order; the patient's questions are their own words."""
    return [
        submission.findings,
        submission.impression,
        submission.summary,
        *(qa.answer for qa in submission.answers),
        submission.radpeer_reasoning,
        *submission.recommendations,
        *(comparison.note for comparison in submission.comparisons),
    ]


def texts_from(submission: ReportSubmission, translated: list[str]) -> TranslatedTexts:
    """The translated texts (in texts_of's order) put back in their places."""
    if len(translated) != len(texts_of(submission)):
        raise ValueError("the translator answered a different number of texts than it was given")
    parts = iter(translated)
    findings, impression, summary = next(parts), next(parts), next(parts)
    answers = [QuestionAnswer(question=qa.question, answer=next(parts)) for qa in submission.answers]
    reasoning = next(parts)
    recommendations = [next(parts) for _ in submission.recommendations]
    notes = [
        ComparisonNote(study_instance_uid=c.study_instance_uid, note=next(parts))
        for c in submission.comparisons
    ]
    return TranslatedTexts(
        findings=findings,
        impression=impression,
        summary=summary,
        answers=answers,
        radpeer_reasoning=reasoning,
        recommendations=recommendations,
        comparison_notes=notes,
    )


def assign_translation(
    request: TranslationRequest, *, stores: Stores, translator: Translator
) -> TranslationResult:
    """Nothing to do for a reading in the patient's language; otherwise draft the translation
    (when a machine translator is configured) and ask a radiologist who reads both languages to
    sign it off."""
    case = stores.cases.get(request.case_id)
    reading = stores.assignments.get(request.reading.assignment_id)
    submission = submission_of(reading, request.reading.agreed)
    source = submission.language or case.language
    if source == case.language:
        return TranslationResult(needed=False, attempt=request.attempt)
    assignment_id = translation_assignment_id(case.case_id, request.attempt, request.run)
    existing = stores.assignments.find(assignment_id)
    if existing is not None:  # the workflow retried this step after it had done its work
        return _result(existing)
    earlier = [a for a in stores.assignments.for_case(case.case_id) if a.task == AssignmentTask.TRANSLATION]
    if request.run > 0 and request.attempt == 0:
        carried = _carry_over(reading, request.reading.agreed, earlier, assignment_id, stores)
        if carried is not None:
            return carried
    before = passed_over(earlier)
    readers = {reading.radiologist_id}
    if request.reading.second_assignment_id:
        readers.add(stores.assignments.get(request.reading.second_assignment_id).radiologist_id)
    candidates = rank_translators(
        stores.roster.all(),
        source,
        case.language,
        subspecialty=reading.subspecialty,
        readers=readers,
        excluded=before.excluded,
        lapses=before.lapses,
        region=case.region,
        institutions=institutions_of(case, stores.files.for_case(case.case_id)),
        original_radiologist=case.original_radiologist,
    )
    if not candidates:
        raise NoRadiologistAvailable(
            f"No available radiologist reads both {source.value} and {case.language.value} for this case."
        )
    draft = _draft(submission, source, case, translator, earlier, stores)
    for radiologist in candidates:
        if not stores.roster.adjust_load(radiologist.radiologist_id, +1):
            continue  # filled up since we read the roster
        offered = now()
        why = "read the case" if radiologist.radiologist_id in readers else "least loaded eligible"
        assignment = AssignmentRecord(
            assignment_id=assignment_id,
            case_id=case.case_id,
            radiologist_id=radiologist.radiologist_id,
            attempt=request.attempt,
            status=AssignmentStatus.TRANSLATION,
            task=AssignmentTask.TRANSLATION,
            subspecialty=reading.subspecialty,
            reason=f"translation {source.value} -> {case.language.value}: reads both; {why} "
            f"({radiologist.open_reads}/{radiologist.capacity} open reads)",
            offered_at=offered,
            due_at=offered + timedelta(seconds=request.timeouts.review_seconds),
            read_limit_seconds=request.timeouts.review_seconds,
            translation=Translation(
                source_language=source,
                target_language=case.language,
                reading_assignment_id=reading.assignment_id,
                agreed=request.reading.agreed,
                translator=translator.name,
                draft=draft,
            ),
        )
        if not stores.assignments.create_once(assignment):
            stores.roster.adjust_load(radiologist.radiologist_id, -1)
            return _result(stores.assignments.get(assignment_id))
        stores.cases.update(
            case.case_id,
            TimelineEntry(at=offered, event="translation_assigned", actor=radiologist.radiologist_id),
        )
        return _result(assignment)
    raise NoRadiologistAvailable(
        f"No radiologist who reads both {source.value} and {case.language.value} has room for this case."
    )


def _carry_over(
    reading: AssignmentRecord,
    agreed: bool,
    earlier: list[AssignmentRecord],
    assignment_id: str,
    stores: Stores,
) -> TranslationResult | None:
    """A restarted run whose reading was carried over keeps the translation the failed run had
    signed off for it: a copy, bound to the new run's reading, and nothing to wait for."""
    if reading.carried_from is None:
        return None
    signed = [
        (a, a.translation)
        for a in earlier
        if a.status == AssignmentStatus.SIGNED_OFF
        and a.translation is not None
        and a.translation.reading_assignment_id == reading.carried_from
        and a.translation.agreed == agreed
    ]
    if not signed:
        return None
    original, translation = signed[-1]
    bound = translation.model_copy(update={"reading_assignment_id": reading.assignment_id})
    return _result(carry_into_run(original, assignment_id, 0, "translation", stores, translation=bound))


def _result(assignment: AssignmentRecord) -> TranslationResult:
    """What the workflow goes on with: a translation to wait for, or one carried over, signed off."""
    return TranslationResult(
        needed=assignment.carried_from is None,
        attempt=assignment.attempt,
        assignment_id=assignment.assignment_id,
        radiologist_id=assignment.radiologist_id,
    )


def _draft(
    submission: ReportSubmission,
    source: Language,
    case: CaseRecord,
    translator: Translator,
    earlier: list[AssignmentRecord],
    stores: Stores,
) -> TranslatedTexts | None:
    """The machine's draft: the one an earlier attempt made, or a new one. A machine that fails,
    is too slow, or writes texts too long for the report leaves the translation to the radiologist."""
    for assignment in reversed(earlier):
        if assignment.translation is not None and assignment.translation.draft is not None:
            return assignment.translation.draft
    try:
        translated = translator.translate(texts_of(submission), source, case.language)
        return None if translated is None else texts_from(submission, translated)
    except (BotoCoreError, ClientError, TranslationTooSlow, ValidationError, ValueError):
        stores.cases.update(case.case_id, TimelineEntry(at=now(), event="machine_translation_failed"))
        return None


def translated_reading(
    original: ReportSubmission, signoff: TranslationSignoff, case: CaseRecord
) -> ReportSubmission:
    """The reading in the patient's language: the signed-off texts in the original's places, the
    grades as the radiologist gave them. Refuses a translation that leaves something out."""
    missing = [q for q in case.questions if q not in {a.question for a in signoff.answers}]
    if missing:
        raise InvalidRequest(
            f"Answer every question of the patient, as they asked it: {len(missing)} unanswered."
        )
    if len(signoff.recommendations) != len(original.recommendations):
        raise InvalidRequest(
            f"The reading has {len(original.recommendations)} recommendation(s): translate each of "
            f"them, in their order ({len(signoff.recommendations)} given)."
        )
    notes = {n.study_instance_uid: n.note for n in signoff.comparison_notes}
    compared = {c.study_instance_uid for c in original.comparisons}
    if set(notes) != compared:
        raise InvalidRequest(
            f"The reading compares {len(compared)} earlier stud(ies): give one comparison note for "
            "each, with its study_instance_uid, and no other."
        )
    return original.model_copy(
        update={
            "findings": signoff.findings,
            "impression": signoff.impression,
            "summary": signoff.summary,
            "answers": signoff.answers,
            "radpeer_reasoning": signoff.radpeer_reasoning,
            "recommendations": signoff.recommendations,
            "comparisons": [
                c.model_copy(update={"note": notes[c.study_instance_uid]}) for c in original.comparisons
            ],
            "confirm_readability": signoff.confirm_readability,
            "language": case.language,
        }
    )


def sign_off(
    assignment_id: str,
    radiologist_id: str,
    signoff: TranslationSignoff,
    *,
    stores: Stores,
    sfn: Any = None,
    kms: Any = None,
) -> ActionResult:
    """Store the translation as signed off and resume the workflow, which renders the report.

    The plain-language texts are scored in the patient's language, as a reading is. Safe to
    repeat: the same sign-off again resumes the workflow again; a different one is refused.
    """
    assignment = own(assignment_id, radiologist_id, stores)
    translation = assignment.translation
    if assignment.task != AssignmentTask.TRANSLATION or translation is None:
        raise AssignmentClosed("This assignment has no translation to sign off.")
    case = stores.cases.get(assignment.case_id)
    translated = translated_reading(reading_of(translation, stores), signoff, case)
    sfn = sfn or clients.client("stepfunctions")
    if assignment.status == AssignmentStatus.SIGNED_OFF:
        if assignment.submission != translated:
            raise AssignmentClosed("A different translation was already signed off; ask ops to amend it.")
        resume(sfn, token_of(assignment, kms), assignment)
        return ActionResult(assignment_id=assignment_id, status=assignment.status)
    if assignment.status != AssignmentStatus.TRANSLATION or not actionable(assignment):
        raise AssignmentClosed("There is no translation to sign off on this assignment now.")
    scores = score_readability(case, translated)
    token = token_of(assignment, kms)
    texts = TranslatedTexts.model_validate(signoff.model_dump(exclude={"confirm_readability"}))
    signed = translation.model_copy(
        update={
            "signed_off_at": now(),
            "corrected": None if translation.draft is None else texts != translation.draft,
        }
    )
    if not stores.assignments.move(
        assignment_id,
        [AssignmentStatus.TRANSLATION],
        AssignmentStatus.SIGNED_OFF,
        submission=translated.model_dump(mode="json"),
        readability=[r.model_dump(mode="json") for r in scores],
        reported_at=now().isoformat(),
        translation=signed.model_dump(mode="json"),
    ):
        raise AssignmentClosed("This translation ended before it was signed off.")
    if stores.assignments.release_once(assignment_id):
        stores.roster.adjust_load(radiologist_id, -1)
    stores.cases.update(
        case.case_id, TimelineEntry(at=now(), event="translation_signed_off", actor=radiologist_id)
    )
    resume(sfn, token, assignment)
    return ActionResult(assignment_id=assignment_id, status=AssignmentStatus.SIGNED_OFF)
