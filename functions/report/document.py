"""The patient's report as a language-resolved document, independent of its output format.

``build_document`` decides what the report says and in which order; the renderers only decide how
it looks, so the HTML page and the PDF can never disagree on content.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from secondopinion.models import (
    CaseRecord,
    Language,
    QuestionAnswer,
    Radiologist,
    ReportSubmission,
    Subspecialty,
)

from .texts import MONTHS, TEXTS


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SectionId(StrEnum):
    SUMMARY = "summary"
    QUESTIONS = "questions"
    FINDINGS = "findings"
    IMPRESSION = "impression"
    COMPARISON = "comparison"
    RECOMMENDATIONS = "recommendations"
    DISCLAIMER = "disclaimer"
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


Block = Annotated[Paragraph | Answer | Facts | Bullets, Field(discriminator="kind")]


class Section(_Frozen):
    id: SectionId
    heading: str
    blocks: list[Block]


class ReportDocument(_Frozen):
    """Everything a renderer needs, already in the patient's language."""

    language: Language
    title: str
    notices: list[str] = Field(description="Shown right under the title: translation, urgency.")
    sections: list[Section]
    radiologist_name: str
    issued_at: datetime
    issued_on: str = Field(description="issued_at's date, written out for the language.")
    verification_code: str
    verification_label: str
    page_label: str = Field(description="Template with {page} and {pages}.")


def format_date(value: date, language: Language) -> str:
    """Write a date out the way the language does: "3 December 2026", "3. Dezember 2026"..."""
    texts = TEXTS[language]
    day = texts["date_first_day"] if value.day == 1 else str(value.day)
    return texts["date_format"].format(day=day, month=MONTHS[language][value.month - 1], year=value.year)


def build_document(
    case: CaseRecord,
    submission: ReportSubmission,
    radiologist: Radiologist,
    issued_at: datetime,
    verification_code: str,
    *,
    translated: bool | None = None,
) -> ReportDocument:
    """Assemble the report in the case's language, in the order the patient reads it.

    ``translated`` labels the report as a translation; when not given, a report in a language the
    radiologist does not work in is taken to be one. The date is the calendar date of ``issued_at``
    in its own time zone.
    """
    language = case.language
    texts = TEXTS[language]
    if translated is None:
        translated = language not in radiologist.languages

    notices = []
    if submission.critical_finding:
        notices.append(texts["urgent_notice"])
    if translated:
        notices.append(texts["translated_notice"])

    issued_on = format_date(issued_at.date(), language)
    sections = [
        Section(
            id=SectionId.SUMMARY, heading=texts["summary_heading"], blocks=_paragraphs(submission.summary)
        ),
        _questions_section(case.questions, submission.answers, texts),
        Section(
            id=SectionId.FINDINGS, heading=texts["findings_heading"], blocks=_paragraphs(submission.findings)
        ),
        Section(
            id=SectionId.IMPRESSION,
            heading=texts["impression_heading"],
            blocks=_paragraphs(submission.impression),
        ),
        Section(
            id=SectionId.COMPARISON,
            heading=texts["comparison_heading"],
            blocks=[
                Paragraph(text=texts["radpeer_intro"]),
                Facts(
                    facts=[
                        Fact(label=texts["radpeer_score_label"], value=f"RADPEER {submission.radpeer.value}"),
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
        _about_section(case, radiologist, issued_on, verification_code, texts),
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
        verification_label=texts["verification_label"],
        page_label=texts["page_label"],
    )


def _paragraphs(text: str) -> list[Block]:
    """Split on blank lines; single line breaks stay inside their paragraph."""
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [Paragraph(text=part.strip()) for part in parts if part.strip()]


def _question_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _questions_section(
    questions: list[str], answers: list[QuestionAnswer], texts: dict[str, str]
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


def _recommendations_section(recommendations: list[str], texts: dict[str, str]) -> Section:
    blocks: list[Block] = (
        [Paragraph(text=texts["recommendations_intro"]), Bullets(items=recommendations)]
        if recommendations
        else [Paragraph(text=texts["no_recommendations"])]
    )
    return Section(id=SectionId.RECOMMENDATIONS, heading=texts["recommendations_heading"], blocks=blocks)


def _about_section(
    case: CaseRecord,
    radiologist: Radiologist,
    issued_on: str,
    verification_code: str,
    texts: dict[str, str],
) -> Section:
    facts = [Fact(label=texts["radiologist_label"], value=radiologist.name)]
    subspecialties = _subspecialties_shown(case.subspecialty, radiologist.subspecialties)
    if subspecialties:
        value = ", ".join(texts[f"subspecialty.{subspecialty}"] for subspecialty in subspecialties)
        facts.append(Fact(label=texts["subspecialty_label"], value=value))
    facts += [
        Fact(label=texts["institution_label"], value=radiologist.institution),
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
