"""The patient's report as a language-resolved document, independent of its output format.

``build_document`` decides what the report says and in which order; the renderers only decide how
it looks, so the HTML page and the PDF can never disagree on content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from secondopinion import readability
from secondopinion.models import (
    CaseRecord,
    Language,
    LongText,
    QuestionAnswer,
    Radiologist,
    ReportSubmission,
    ShortText,
    Subspecialty,
)
from secondopinion.readability import ReadabilityScore

from .glossary import Glossary
from .texts import TEXTS


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriorChange(StrEnum):
    """How a finding has changed since an earlier study."""

    NEW = "new"
    STABLE = "stable"
    IMPROVED = "improved"
    WORSE = "worse"


class PriorComparison(_Frozen):
    """The radiologist's comparison of the current study with one earlier study (longitudinal option)."""

    study_date: date
    description: ShortText = Field(description='The earlier study, e.g. "MRI of the left knee".')
    change: PriorChange
    note: LongText = ""


class TranslationNote(_Frozen):
    """The report is a translation: from which language, and who signed it off."""

    source: Language
    signed_off_by: Radiologist
    machine: bool = Field(description="Drafted by machine translation, checked by the radiologist.")


class SectionId(StrEnum):
    SUMMARY = "summary"
    QUESTIONS = "questions"
    FINDINGS = "findings"
    PRIORS = "priors"
    IMPRESSION = "impression"
    COMPARISON = "comparison"
    RECOMMENDATIONS = "recommendations"
    DISCLAIMER = "disclaimer"
    GLOSSARY = "glossary"
    ABOUT = "about"


class Paragraph(_Frozen):
    kind: Literal["paragraph"] = "paragraph"
    text: str = Field(description="May hold single line breaks; paragraphs are separate blocks.")


class Answer(_Frozen):
    kind: Literal["answer"] = "answer"
    question: str
    answer: str
    answered: bool = Field(description="False when the text is the localized 'ask your doctor' note.")


class Fact(_Frozen):
    label: str
    value: str


class Facts(_Frozen):
    kind: Literal["facts"] = "facts"
    facts: list[Fact]


class Bullets(_Frozen):
    kind: Literal["bullets"] = "bullets"
    items: list[str]


class Entry(_Frozen):
    """A titled group of facts, e.g. one earlier study and how it compares."""

    kind: Literal["entry"] = "entry"
    title: str
    facts: list[Fact]


Block = Annotated[Paragraph | Answer | Facts | Bullets | Entry, Field(discriminator="kind")]


class Section(_Frozen):
    id: SectionId
    heading: str
    blocks: list[Block]


class ReportDocument(_Frozen):
    """Everything a renderer needs, already in the patient's language, and what is recorded with it."""

    language: Language
    title: str
    notices: list[str] = Field(description="Shown right under the title: translation, urgency.")
    sections: list[Section]
    radiologist_name: str
    issued_at: datetime
    issued_on: str = Field(description="issued_at's date, written out for the language.")
    verification_code: str
    footer_verification: str = Field(description="The verification code with its label, for page footers.")
    page_label: str = Field(description="Template with {page} and {pages}.")
    readability: dict[SectionId, ReadabilityScore] = Field(
        default_factory=dict,
        description="Scores of the radiologist's text per section; recorded with the report, never shown.",
    )


def format_date(value: date, language: Language, texts: Mapping[str, str] | None = None) -> str:
    """Write a date out the way the language does: "3 December 2026", "3. Dezember 2026"..."""
    texts = TEXTS[language] if texts is None else texts
    day = texts["date_first_day"] if value.day == 1 else str(value.day)
    return texts["date_format"].format(day=day, month=texts[f"month.{value.month}"], year=value.year)


def build_document(
    case: CaseRecord,
    submission: ReportSubmission,
    radiologist: Radiologist,
    issued_at: datetime,
    verification_code: str,
    *,
    translation: TranslationNote | None = None,
    priors: list[PriorComparison] | None = None,
    consensus_with: Radiologist | None = None,
    catalogue: Mapping[str, str] | None = None,
    glossary: Glossary | None = None,
) -> ReportDocument:
    """Assemble the report in the case's language, in the order the patient reads it.

    ``translation`` labels the report as a translation of a reading written in another language,
    naming that language and the radiologist who signed the translation off. The date is the
    calendar date of ``issued_at`` in its own time zone.

    ``priors`` are the comparisons with earlier studies: given, they get a section of their own,
    newest study first; an empty list on a longitudinal case says that none could be compared.
    ``consensus_with`` is the second radiologist of a consensus reading: the conclusion then says
    that both read the images independently and agreed, naming both. ``catalogue`` (the case's
    language from ``TEXTS`` by default) and ``glossary`` (the shipped one) can be replaced in tests.
    """
    language = case.language
    texts = TEXTS[language] if catalogue is None else catalogue
    glossary = Glossary.shipped() if glossary is None else glossary
    if consensus_with is not None and consensus_with.radiologist_id == radiologist.radiologist_id:
        raise ValueError("A consensus reading needs a second, different radiologist.")
    notices = []
    if submission.critical_finding:
        notices.append(texts["urgent_notice"])
    if translation is not None:
        notice = "translated_by_machine_notice" if translation.machine else "translated_by_radiologist_notice"
        notices.append(
            texts[notice].format(
                language=texts[f"written_in.{translation.source}"], name=translation.signed_off_by.name
            )
        )

    issued_on = format_date(issued_at.date(), language, texts)
    written = _radiologists_text(submission, priors or [])
    impression = _paragraphs(submission.impression)
    if consensus_with is not None:
        statement = texts["consensus_statement"].format(first=radiologist.name, second=consensus_with.name)
        impression.append(Paragraph(text=statement))
    sections = [
        Section(
            id=SectionId.SUMMARY, heading=texts["summary_heading"], blocks=_paragraphs(submission.summary)
        ),
        _questions_section(case.questions, submission.answers, texts),
        Section(
            id=SectionId.FINDINGS, heading=texts["findings_heading"], blocks=_paragraphs(submission.findings)
        ),
        _priors_section(priors, case.longitudinal, language, texts),
        Section(id=SectionId.IMPRESSION, heading=texts["impression_heading"], blocks=impression),
        Section(
            id=SectionId.COMPARISON,
            heading=texts["comparison_heading"],
            blocks=[
                Paragraph(text=texts["radpeer_intro"]),
                Facts(
                    facts=[
                        Fact(
                            label=texts["radpeer_score_label"],
                            value=texts["radpeer_score_value"].format(code=submission.radpeer.value),
                        ),
                        Fact(
                            label=texts["radpeer_meaning_label"], value=texts[f"radpeer.{submission.radpeer}"]
                        ),
                        Fact(label=texts["radpeer_reasoning_label"], value=submission.radpeer_reasoning),
                    ]
                ),
            ],
        ),
        _recommendations_section(submission.recommendations, texts),
        Section(
            id=SectionId.DISCLAIMER,
            heading=texts["disclaimer_heading"],
            blocks=[Paragraph(text=texts["disclaimer"])],
        ),
        _glossary_section(glossary, written, language, texts),
        _about_section(case, radiologist, consensus_with, translation, issued_on, verification_code, texts),
    ]
    return ReportDocument(
        language=language,
        title=texts["title"],
        notices=notices,
        sections=[section for section in sections if section is not None],
        radiologist_name=radiologist.name,
        issued_at=issued_at,
        issued_on=issued_on,
        verification_code=verification_code,
        footer_verification=texts["footer_verification"].format(code=verification_code),
        page_label=texts["page_label"],
        readability=_readability(written, language),
    )


def _radiologists_text(
    submission: ReportSubmission, priors: list[PriorComparison]
) -> dict[SectionId, list[str]]:
    """What the radiologist wrote for the patient, by the section it appears in."""
    return {
        SectionId.SUMMARY: [submission.summary],
        SectionId.QUESTIONS: [qa.answer for qa in submission.answers],
        SectionId.FINDINGS: [submission.findings],
        SectionId.PRIORS: [part for prior in priors for part in (prior.description, prior.note)],
        SectionId.IMPRESSION: [submission.impression],
        SectionId.COMPARISON: [submission.radpeer_reasoning],
        SectionId.RECOMMENDATIONS: list(submission.recommendations),
    }


def _readability(parts: dict[SectionId, list[str]], language: Language) -> dict[SectionId, ReadabilityScore]:
    """One score per section with text; each part (an answer, a recommendation) is its own line."""
    scores = {section: readability.score("\n".join(texts), language) for section, texts in parts.items()}
    return {section: score for section, score in scores.items() if score.words}


def _paragraphs(text: str) -> list[Block]:
    """Split on blank lines; single line breaks stay inside their paragraph."""
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [Paragraph(text=part.strip()) for part in parts if part.strip()]


def _question_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _questions_section(
    questions: list[str], answers: list[QuestionAnswer], texts: Mapping[str, str]
) -> Section | None:
    """The patient's questions in their order, then any answer that matched none of them.

    Matching ignores case and spacing, so a radiologist's retyped question still finds its answer;
    an answer to a question the patient did not ask is kept rather than silently lost.
    """
    unused = list(answers)
    blocks: list[Block] = []
    for question in questions:
        match = next((qa for qa in unused if _question_key(qa.question) == _question_key(question)), None)
        if match is None:
            blocks.append(Answer(question=question, answer=texts["not_answered"], answered=False))
        else:
            unused.remove(match)
            blocks.append(Answer(question=question, answer=match.answer, answered=True))
    blocks.extend(Answer(question=qa.question, answer=qa.answer, answered=True) for qa in unused)
    if not blocks:
        return None
    return Section(id=SectionId.QUESTIONS, heading=texts["questions_heading"], blocks=blocks)


def _recommendations_section(recommendations: list[str], texts: Mapping[str, str]) -> Section:
    blocks: list[Block] = (
        [Paragraph(text=texts["recommendations_intro"]), Bullets(items=recommendations)]
        if recommendations
        else [Paragraph(text=texts["no_recommendations"])]
    )
    return Section(id=SectionId.RECOMMENDATIONS, heading=texts["recommendations_heading"], blocks=blocks)


def _priors_section(
    priors: list[PriorComparison] | None, longitudinal: bool, language: Language, texts: Mapping[str, str]
) -> Section | None:
    if priors is None or (not priors and not longitudinal):
        return None
    if not priors:
        return Section(
            id=SectionId.PRIORS, heading=texts["priors_heading"], blocks=[Paragraph(text=texts["no_priors"])]
        )
    blocks: list[Block] = [Paragraph(text=texts["priors_intro"])]
    for prior in sorted(priors, key=lambda prior: prior.study_date, reverse=True):
        title = texts["prior_title"].format(
            date=format_date(prior.study_date, language, texts), description=prior.description
        )
        facts = [Fact(label=texts["prior_change_label"], value=texts[f"change.{prior.change}"])]
        if prior.note:
            facts.append(Fact(label=texts["prior_note_label"], value=prior.note))
        blocks.append(Entry(title=title, facts=facts))
    return Section(id=SectionId.PRIORS, heading=texts["priors_heading"], blocks=blocks)


def _glossary_section(
    glossary: Glossary, written: dict[SectionId, list[str]], language: Language, texts: Mapping[str, str]
) -> Section | None:
    """The glossary's words that the radiologist used, explained; none used, no section."""
    entries = glossary.find((text for parts in written.values() for text in parts), language)
    if not entries:
        return None
    facts = Facts(facts=[Fact(label=entry.term, value=entry.definition) for entry in entries])
    return Section(
        id=SectionId.GLOSSARY,
        heading=texts["glossary_heading"],
        blocks=[Paragraph(text=texts["glossary_intro"]), facts],
    )


def _about_section(
    case: CaseRecord,
    radiologist: Radiologist,
    consensus_with: Radiologist | None,
    translation: TranslationNote | None,
    issued_on: str,
    verification_code: str,
    texts: Mapping[str, str],
) -> Section:
    facts = [Fact(label=texts["radiologist_label"], value=radiologist.name)]
    subspecialties = _subspecialties_shown(case.subspecialty, radiologist.subspecialties)
    if subspecialties:
        value = ", ".join(texts[f"subspecialty.{subspecialty}"] for subspecialty in subspecialties)
        facts.append(Fact(label=texts["subspecialty_label"], value=value))
    facts.append(Fact(label=texts["institution_label"], value=radiologist.institution))
    if consensus_with is not None:
        second = texts["radiologist_at_institution"].format(
            name=consensus_with.name, institution=consensus_with.institution
        )
        facts.append(Fact(label=texts["second_radiologist_label"], value=second))
    if translation is not None:
        signer = translation.signed_off_by
        value = texts["radiologist_at_institution"].format(name=signer.name, institution=signer.institution)
        facts.append(Fact(label=texts["translation_label"], value=value))
    facts += [
        Fact(label=texts["issued_label"], value=issued_on),
        Fact(label=texts["verification_label"], value=verification_code),
    ]
    return Section(
        id=SectionId.ABOUT,
        heading=texts["about_heading"],
        blocks=[Facts(facts=facts), Paragraph(text=texts["verification_hint"])],
    )


def _subspecialties_shown(
    case_subspecialty: Subspecialty | None, held: list[Subspecialty]
) -> list[Subspecialty]:
    """The case's subspecialty when the radiologist holds it, else all the radiologist holds.

    The report must never credit the radiologist with a subspecialty they do not have, e.g. when a
    case was routed to a general reader because no subspecialist was free.
    """
    if case_subspecialty is not None and case_subspecialty in held:
        return [case_subspecialty]
    return list(held)
