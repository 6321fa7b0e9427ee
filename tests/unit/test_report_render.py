"""The patient's report: what it says, in which order and language, and that it renders safely."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from secondopinion.models import (
    CaseRecord,
    CaseStatus,
    Language,
    QuestionAnswer,
    Radiologist,
    Radpeer,
    ReportSubmission,
    Subspecialty,
    Tier,
)

from functions.report.document import (
    Answer,
    Bullets,
    Facts,
    PriorChange,
    PriorComparison,
    ReportDocument,
    SectionId,
    TranslationNote,
    build_document,
    format_date,
)
from functions.report.render import drawable, render_html, render_pdf
from functions.report.texts import TEXTS

ISSUED_AT = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
CODE = "K7Q2-9XMD"


@pytest.fixture
def case() -> CaseRecord:
    return CaseRecord(
        case_id="case-1",
        token_hash="0" * 64,
        status=CaseStatus.REPORTING,
        tier=Tier.STANDARD,
        consensus=False,
        longitudinal=False,
        language=Language.EN,
        email="patient@example.org",
        symptoms="Knee pain after a fall.",
        questions=["Is the meniscus torn?", "Do I need surgery?", "Is the cartilage worn?"],
        clinical_history="",
        created_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        subspecialty=Subspecialty.MSK,
    )


@pytest.fixture
def submission() -> ReportSubmission:
    return ReportSubmission(
        findings="A small tear at the back of the inner meniscus.\n\nNo fluid in the joint.",
        impression="Small tear of the medial meniscus.",
        summary="Your knee has a small tear (a crack) in its cushion.",
        answers=[
            QuestionAnswer(question="Is the cartilage worn?", answer="No, the cartilage looks normal."),
            QuestionAnswer(question="  is the MENISCUS torn? ", answer="Yes, a small tear."),
        ],
        radpeer=Radpeer.UNDERSTANDABLE_MINOR,
        radpeer_reasoning="The tear is small and easy to miss on the original images.",
        recommendations=["Ask whether physiotherapy could help."],
    )


@pytest.fixture
def radiologist() -> Radiologist:
    return Radiologist(
        radiologist_id="rad-1",
        name="Dr. Anna Keller",
        subspecialties=[Subspecialty.NEURO, Subspecialty.MSK],
        languages=[Language.EN, Language.DE, Language.FR, Language.IT],
        institution="Radiologie Zürich",
    )


def _build(
    case: CaseRecord, submission: ReportSubmission, radiologist: Radiologist, **options: Any
) -> ReportDocument:
    return build_document(case, submission, radiologist, ISSUED_AT, CODE, **options)


def _section(doc: ReportDocument, section_id: SectionId):
    return next(section for section in doc.sections if section.id is section_id)


def _answers(doc: ReportDocument) -> list[Answer]:
    return [block for block in _section(doc, SectionId.QUESTIONS).blocks if isinstance(block, Answer)]


def _pdf_text(pdf: bytes) -> str:
    """The text of every page, as a PDF reader extracts it: one line per line of the page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_every_language_has_the_same_text_keys():
    # Given the English texts as the reference
    reference = set(TEXTS[Language.EN])

    # When / then every language defines exactly the same keys
    for language in Language:
        assert set(TEXTS[language]) == reference, language


def test_sections_follow_the_reading_order(case, submission, radiologist):
    # Given a complete reading of a longitudinal case, compared with an earlier study
    prior = PriorComparison(study_date=date(2025, 3, 4), description="MRI", change=PriorChange.WORSE)

    # When the document is built
    doc = build_document(case, submission, radiologist, ISSUED_AT, CODE, priors=[prior])

    # Then the sections come in the order the patient should read them
    assert [section.id for section in doc.sections] == [
        SectionId.SUMMARY,
        SectionId.QUESTIONS,
        SectionId.FINDINGS,
        SectionId.PRIORS,
        SectionId.IMPRESSION,
        SectionId.COMPARISON,
        SectionId.RECOMMENDATIONS,
        SectionId.DISCLAIMER,
        SectionId.GLOSSARY,
        SectionId.ABOUT,
    ]


def test_answers_follow_the_patients_question_order(case, submission, radiologist):
    # Given answers submitted in a different order, one with retyped case and spacing
    # When the document is built
    doc = _build(case, submission, radiologist)

    # Then the questions appear as the patient asked them, each with its answer
    assert [(a.question, a.answer) for a in _answers(doc)] == [
        ("Is the meniscus torn?", "Yes, a small tear."),
        ("Do I need surgery?", TEXTS[Language.EN]["not_answered"]),
        ("Is the cartilage worn?", "No, the cartilage looks normal."),
    ]


def test_a_question_without_answer_says_to_ask_the_doctor(case, submission, radiologist):
    # Given a question the radiologist did not answer
    submission = submission.model_copy(update={"answers": []})
    case = case.model_copy(update={"language": Language.DE})

    # When the document is built
    answers = _answers(_build(case, submission, radiologist))

    # Then each question carries the localized "ask your doctor" note, marked as unanswered
    assert {(a.answer, a.answered) for a in answers} == {(TEXTS[Language.DE]["not_answered"], False)}


def test_an_answer_to_a_question_the_patient_did_not_ask_is_kept(case, submission, radiologist):
    # Given an answer whose question matches none of the patient's
    extra = QuestionAnswer(question="What about the ligaments?", answer="They are intact.")
    submission = submission.model_copy(update={"answers": [*submission.answers, extra]})

    # When the document is built
    answers = _answers(_build(case, submission, radiologist))

    # Then it follows the patient's questions instead of being dropped
    assert (answers[-1].question, answers[-1].answer) == ("What about the ligaments?", "They are intact.")


@pytest.mark.parametrize("code", list(Radpeer))
def test_radpeer_explanation_matches_the_code(case, submission, radiologist, code):
    # Given a reading scored with this RADPEER code
    submission = submission.model_copy(update={"radpeer": code})

    # When the document is built
    facts = _section(_build(case, submission, radiologist), SectionId.COMPARISON).blocks[1]

    # Then the score, its plain explanation and the radiologist's reasons are shown together
    assert isinstance(facts, Facts)
    assert [fact.value for fact in facts.facts] == [
        f"RADPEER {code.value}",
        TEXTS[Language.EN][f"radpeer.{code.value}"],
        submission.radpeer_reasoning,
    ]


def test_recommendations_are_listed_to_discuss_with_the_doctor(case, submission, radiologist):
    # Given a reading with a recommendation
    # When the document is built
    section = _section(_build(case, submission, radiologist), SectionId.RECOMMENDATIONS)

    # Then it is listed under the "to discuss with your doctor" heading
    assert section.heading == TEXTS[Language.EN]["recommendations_heading"]
    assert Bullets(items=["Ask whether physiotherapy could help."]) in section.blocks


def test_about_shows_the_cases_subspecialty_in_the_patients_language(case, submission, radiologist):
    # Given a French case in a subspecialty the radiologist holds among others
    case = case.model_copy(update={"language": Language.FR})

    # When the document is built
    about = _section(_build(case, submission, radiologist), SectionId.ABOUT).blocks[0]

    # Then only that subspecialty is named, in French, next to the radiologist's name
    assert isinstance(about, Facts)
    values = [fact.value for fact in about.facts]
    assert values[:2] == ["Dr. Anna Keller", TEXTS[Language.FR]["subspecialty.musculoskeletal"]]


def test_a_critical_finding_puts_the_urgent_notice_first(case, submission, radiologist):
    # Given a critical finding in a report that is also a translation
    submission = submission.model_copy(update={"critical_finding": True})
    translation = TranslationNote(source=Language.DE, signed_off_by=radiologist, machine=False)

    # When the document is built
    doc = _build(case, submission, radiologist, translation=translation)

    # Then the urgent notice comes before the translation notice
    assert doc.notices[0] == TEXTS[Language.EN]["urgent_notice"]
    assert doc.notices[1].startswith("The radiologist wrote this report in German.")
    assert len(doc.notices) == 2


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.EN, "3 December 2026"),
        (Language.DE, "3. Dezember 2026"),
        (Language.FR, "3 décembre 2026"),
        (Language.IT, "3 dicembre 2026"),
    ],
)
def test_issue_date_is_written_for_the_locale(language, expected):
    # Given / when the issue date is formatted
    # Then it reads the way the language writes dates
    assert format_date(ISSUED_AT.date(), language) == expected


def test_french_writes_the_first_of_the_month_as_premier():
    # Given / when the first of a month is formatted in French
    # Then it uses the ordinal "1er"
    assert format_date(datetime(2027, 3, 1).date(), Language.FR) == "1er mars 2027"


@pytest.mark.parametrize("language", list(Language))
def test_html_shows_the_localized_disclaimer_and_date(case, submission, radiologist, language):
    # Given a case in this language
    case = case.model_copy(update={"language": language})

    # When the report is rendered as HTML
    page = render_html(_build(case, submission, radiologist))

    # Then the page declares the language and shows its disclaimer and issue date
    assert f'<html lang="{language.value}">' in page
    assert TEXTS[language]["disclaimer"] in page
    assert format_date(ISSUED_AT.date(), language) in page


def _flowing(text: str) -> str:
    """Lines joined and spaces (including non-breaking ones) made plain, to compare wrapped text."""
    return " ".join(text.split())


@pytest.mark.parametrize("language", list(Language))
def test_pdf_shows_the_localized_disclaimer_and_date(case, submission, radiologist, language):
    # Given a case in this language
    case = case.model_copy(update={"language": language})

    # When the report is rendered as a PDF
    text = _pdf_text(render_pdf(_build(case, submission, radiologist)))

    # Then its text, lines joined again, holds the disclaimer exactly as written and the date
    assert _flowing(TEXTS[language]["disclaimer"]) in _flowing(text)
    assert format_date(ISSUED_AT.date(), language) in text


def test_html_has_one_h1_and_the_section_headings_in_order(case, submission, radiologist):
    # Given a built document
    doc = _build(case, submission, radiologist)

    # When it is rendered as HTML
    page = render_html(doc)

    # Then there is a single h1 and the h2 headings follow the document's sections
    assert page.count("<h1") == 1
    assert re.findall(r"<h2[^>]*>(.*?)</h2>", page) == [section.heading for section in doc.sections]


def test_html_escapes_markup_in_the_findings(case, submission, radiologist):
    # Given findings that contain a script tag
    submission = submission.model_copy(update={"findings": "<script>alert('x')</script> & more"})

    # When the report is rendered as HTML
    page = render_html(_build(case, submission, radiologist))

    # Then the markup is shown as text, never executed
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page


def test_pdf_contains_the_summary(case, submission, radiologist):
    # Given a built document
    # When it is rendered as an uncompressed PDF
    pdf = render_pdf(_build(case, submission, radiologist), compress=False)

    # Then it is a PDF whose text holds the summary
    assert pdf.startswith(b"%PDF-")
    assert submission.summary in _pdf_text(pdf)


@pytest.mark.parametrize(
    ("language", "sample"),
    [
        (Language.EN, "\u201cSmall\u201d \u2013 it\u2019s \u2265 3 mm, 5 µm; Dvořák, Łódź"),
        (Language.DE, "Größe, Ärztin, übermäßig, Ödem \u2013 \u201eklein\u201c"),
        (Language.FR, "œdème, ça, à côté, très, «\u00a0stable\u00a0», l\u2019épaule, naïf, Ç"),
        (Language.IT, "più, città, perché, così, «stabile», l\u2019esame, È"),
    ],
)
def test_pdf_keeps_every_letter_and_typographic_mark(case, submission, radiologist, language, sample):
    # Given a summary with the accents, sharp s and typography of the language, and a common set
    summary = f"ä ö ü ß é è à ç ì \u2014 {sample}"
    case = case.model_copy(update={"language": language})
    submission = submission.model_copy(update={"summary": summary})

    # When it is rendered as a PDF and its text extracted
    text = _pdf_text(render_pdf(_build(case, submission, radiologist)))

    # Then every character comes back as written, none simplified or lost
    assert _flowing(summary) in _flowing(text)


def test_pdf_embeds_a_subset_of_the_unicode_font(case, submission, radiologist):
    # Given / when a report is rendered as a PDF
    pdf = render_pdf(_build(case, submission, radiologist), compress=False)

    # Then it carries its own TrueType font, subsetted, instead of a core font the viewer substitutes
    assert b"/FontFile2" in pdf
    assert b"DejaVuSans" in pdf
    assert b"/Helvetica" not in pdf
    assert len(pdf) < 200_000


def test_pdf_replaces_what_the_font_cannot_draw_without_error(case, submission, radiologist):
    # Given a summary with an emoji the font has, one it lacks, a unit sign it lacks and a bell
    summary = "Fine \U0001f600, brain \U0001f9e0, 12 \u33a4\x07."
    submission = submission.model_copy(update={"summary": summary})

    # When it is rendered as a PDF
    text = _pdf_text(render_pdf(_build(case, submission, radiologist)))

    # Then the emoji it has is drawn, the other is the replacement mark, the unit is spelled out
    assert "Fine \U0001f600, brain \ufffd, 12 cm3." in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\tb\r\nc", "a b\nc"),
        ("a\x07b\u200dc", "abc"),
        ("\uff21\u33a1", "Am2"),
        ("\U0001f9e0 \u0416", "\ufffd \ufffd"),
        ("e\u0301", "\u00e9"),
    ],
)
def test_drawable_keeps_what_the_font_has_and_replaces_the_rest(text, expected):
    # Given a font with ASCII and "é" only
    codepoints = {*range(0x20, 0x7F), 0xE9}

    # When text is prepared for it
    # Then line breaks stay, tabs become spaces, controls go, compatibility forms are spelled out
    # and anything else is the replacement character
    assert drawable(text, codepoints) == expected


def test_pdf_has_page_numbers_and_the_verification_code_in_the_footer(case, submission, radiologist):
    # Given a built document
    # When it is rendered as a PDF
    text = _pdf_text(render_pdf(_build(case, submission, radiologist)))

    # Then the footer numbers the page and names the verification code
    assert re.search(r"Page 1 of \d+$", text, re.MULTILINE)
    assert f"Verification code: {CODE}" in text


def test_long_findings_flow_onto_more_pages(case, submission, radiologist):
    # Given findings far longer than a page
    findings = "\n\n".join(f"Paragraph {n}: " + "the tissue looks normal. " * 30 for n in range(40))
    submission = submission.model_copy(update={"findings": findings})

    # When it is rendered as a PDF
    pdf = render_pdf(_build(case, submission, radiologist))

    # Then the pages break automatically and each is numbered out of the total
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


@pytest.mark.parametrize("compress", [True, False])
def test_pdf_is_deterministic(case, submission, radiologist, compress):
    # Given the same document
    doc = _build(case, submission, radiologist)

    # When it is rendered twice
    first, second = render_pdf(doc, compress=compress), render_pdf(doc, compress=compress)

    # Then the bytes are identical
    assert first == second


def test_pdf_metadata_carries_the_language_and_issue_time(case, submission, radiologist):
    # Given / when a document is rendered as an uncompressed PDF
    pdf = render_pdf(_build(case, submission, radiologist), compress=False)

    # Then its metadata names the language and the time of issue
    assert b"/Lang (en)" in pdf
    assert b"/CreationDate (D:20261203143000Z)" in pdf
