"""What the report adds for the options and for lay readers: earlier studies, the consensus
statement, the glossary, and the readability scores recorded with it."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime

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
from secondopinion.readability import Formula

from functions.report.document import (
    Entry,
    Facts,
    Paragraph,
    PriorChange,
    PriorComparison,
    ReportDocument,
    SectionId,
    TranslationNote,
    build_document,
)
from functions.report.glossary import Glossary
from functions.report.render import render_html, render_pdf
from functions.report.texts import TEXTS

ISSUED_AT = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
CODE = "K7Q2-9XMD"


def _case(language: Language = Language.EN, **changes) -> CaseRecord:
    case = CaseRecord(
        case_id="case-1",
        token_hash="0" * 64,
        status=CaseStatus.REPORTING,
        tier=Tier.STANDARD,
        consensus=False,
        longitudinal=False,
        language=language,
        email="patient@example.org",
        symptoms="Knee pain after a fall.",
        questions=["Is the meniscus torn?"],
        clinical_history="",
        created_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        subspecialty=Subspecialty.MSK,
    )
    return case.model_copy(update=changes)


def _submission(**changes) -> ReportSubmission:
    submission = ReportSubmission(
        findings="A small tear at the back of the inner meniscus. There is no fluid in the joint.",
        impression="Small tear of the meniscus.",
        summary="Your knee has a small tear in its cushion. It is not serious.",
        answers=[QuestionAnswer(question="Is the meniscus torn?", answer="Yes, a little.")],
        radpeer=Radpeer.CONCUR,
        radpeer_reasoning="The first reading saw the same tear.",
        recommendations=["Ask whether physiotherapy could help."],
    )
    return submission.model_copy(update=changes)


def _radiologist(radiologist_id: str = "rad-1", name: str = "Dr. Anna Keller", **changes) -> Radiologist:
    radiologist = Radiologist(
        radiologist_id=radiologist_id,
        name=name,
        subspecialties=[Subspecialty.MSK],
        languages=list(Language),
        institution="Radiologie Zürich",
    )
    return radiologist.model_copy(update=changes)


def _build(case=None, submission=None, radiologist=None, **options) -> ReportDocument:
    return build_document(
        case or _case(),
        submission or _submission(),
        radiologist or _radiologist(),
        ISSUED_AT,
        CODE,
        **options,
    )


def _section(doc: ReportDocument, section_id: SectionId):
    return next((section for section in doc.sections if section.id is section_id), None)


PRIORS = [
    PriorComparison(
        study_date=date(2024, 1, 15), description="MRI of the left knee", change=PriorChange.STABLE
    ),
    PriorComparison(
        study_date=date(2025, 6, 1),
        description="X-ray of the left knee",
        change=PriorChange.WORSE,
        note="The gap in the joint is a little narrower.",
    ),
]


# --- Earlier studies ----------------------------------------------------------------------------


def test_each_earlier_study_is_compared_newest_first_in_the_patients_language():
    # Given a German longitudinal case compared with two earlier studies
    case = _case(Language.DE, longitudinal=True)

    # When the document is built
    section = _section(_build(case, priors=PRIORS), SectionId.PRIORS)

    # Then each study is a titled entry, newest first, with its change (and note) in German
    de = TEXTS[Language.DE]
    assert section.heading == de["priors_heading"]
    assert section.blocks[0] == Paragraph(text=de["priors_intro"])
    entries = section.blocks[1:]
    assert [e.title for e in entries] == [
        "1. Juni 2025: X-ray of the left knee",
        "15. Januar 2024: MRI of the left knee",
    ]
    assert [[f.value for f in e.facts] for e in entries] == [
        [de["change.worse"], "The gap in the joint is a little narrower."],
        [de["change.stable"]],
    ]


@pytest.mark.parametrize("change", list(PriorChange))
def test_every_kind_of_change_has_its_plain_wording(change):
    # Given an earlier study with this change, in French
    prior = PriorComparison(study_date=date(2025, 3, 1), description="IRM du genou", change=change)

    # When the document is built
    entry = _section(_build(_case(Language.FR), priors=[prior]), SectionId.PRIORS).blocks[1]

    # Then the change is said in words, and the first of the month is "1er"
    assert isinstance(entry, Entry)
    assert entry.title == "1er mars 2025\u00a0: IRM du genou"
    assert entry.facts[0].value == TEXTS[Language.FR][f"change.{change.value}"]


def test_a_longitudinal_case_without_comparable_studies_says_so():
    # Given a longitudinal case for which the radiologist had no earlier study to compare
    # When the document is built with an empty list of comparisons
    section = _section(_build(_case(longitudinal=True), priors=[]), SectionId.PRIORS)

    # Then the section tells the patient that nothing could be compared
    assert section.blocks == [Paragraph(text=TEXTS[Language.EN]["no_priors"])]


@pytest.mark.parametrize(("longitudinal", "priors"), [(True, None), (False, None), (False, [])])
def test_without_comparisons_there_is_no_section_for_them(longitudinal, priors):
    # Given no comparisons passed, or none for a case without the longitudinal option
    # When the document is built / then it has no section about earlier studies
    assert _section(_build(_case(longitudinal=longitudinal), priors=priors), SectionId.PRIORS) is None


def test_earlier_studies_render_as_headed_entries_in_html_and_pdf():
    # Given a document with two comparisons
    doc = _build(_case(longitudinal=True), priors=PRIORS)

    # When it is rendered
    page = render_html(doc)

    # Then each study is a sub-heading with its facts, and the PDF holds them too
    assert "<h3>1 June 2025: X-ray of the left knee</h3>" in page
    assert f"<dd>{TEXTS[Language.EN]['change.worse']}</dd>" in page
    assert render_pdf(doc).startswith(b"%PDF-")


# --- Consensus ----------------------------------------------------------------------------------


def test_a_consensus_reading_names_both_radiologists_in_the_conclusion():
    # Given an Italian consensus case read by two radiologists
    second = _radiologist("rad-2", "Dr. Luca Ferrari", institution="Ospedale Lugano")

    # When the document is built with the second reader
    doc = _build(_case(Language.IT, consensus=True), consensus_with=second)

    # Then the conclusion ends with the statement that both read independently and agreed
    impression = _section(doc, SectionId.IMPRESSION)
    expected = TEXTS[Language.IT]["consensus_statement"].format(
        first="Dr. Anna Keller", second="Dr. Luca Ferrari"
    )
    assert impression.blocks[-1] == Paragraph(text=expected)
    assert "Dr. Anna Keller" in expected and "Dr. Luca Ferrari" in expected


def test_the_about_section_lists_the_second_radiologist_and_where_they_work():
    # Given a consensus reading
    second = _radiologist("rad-2", "Dr. Luca Ferrari", institution="Ospedale Lugano")

    # When the document is built
    about = _section(_build(consensus_with=second), SectionId.ABOUT).blocks[0]

    # Then the second radiologist is listed after the first one's institution
    assert isinstance(about, Facts)
    labels = [fact.label for fact in about.facts]
    second_fact = about.facts[labels.index(TEXTS[Language.EN]["second_radiologist_label"])]
    assert second_fact.value == "Dr. Luca Ferrari, Ospedale Lugano"
    assert labels.index(TEXTS[Language.EN]["institution_label"]) < labels.index(second_fact.label)


def test_without_a_second_reader_there_is_no_consensus_statement():
    # Given / when a single reading is built / then its conclusion is the radiologist's text alone
    impression = _section(_build(), SectionId.IMPRESSION)
    assert impression.blocks == [Paragraph(text="Small tear of the meniscus.")]


def test_a_radiologist_cannot_be_their_own_consensus_partner():
    # Given / when the second reader is the first one / then the document is refused
    with pytest.raises(ValueError, match="different radiologist"):
        _build(consensus_with=_radiologist())


# --- Translation --------------------------------------------------------------------------------


def _translation(machine: bool, source: Language = Language.EN) -> TranslationNote:
    signer = _radiologist("rad-2", "Dr. Luca Bernasconi", institution="Ospedale Demo")
    return TranslationNote(source=source, signed_off_by=signer, machine=machine)


def test_a_machine_translated_report_says_from_which_language_and_who_checked_it():
    # Given a reading written in English, machine-translated into German and signed off
    # When the document is built
    doc = _build(_case(Language.DE), translation=_translation(machine=True))

    # Then the German notice names the language it was written in and the radiologist who checked it
    (notice,) = doc.notices
    assert notice == TEXTS[Language.DE]["translated_by_machine_notice"].format(
        language="auf Englisch", name="Dr. Luca Bernasconi"
    )
    assert "Computerprogramm" in notice


def test_a_report_translated_by_a_radiologist_says_who_translated_it():
    # Given a reading written in German that a radiologist translated into French
    # When the document is built
    doc = _build(_case(Language.FR), translation=_translation(machine=False, source=Language.DE))

    # Then the French notice says it was written in German and translated by that radiologist
    assert doc.notices == [
        TEXTS[Language.FR]["translated_by_radiologist_notice"].format(
            language="en allemand", name="Dr. Luca Bernasconi"
        )
    ]


def test_the_radiologist_who_approved_the_translation_is_named_in_the_about_section():
    # Given a translated report / When the document is built
    about = _section(_build(_case(Language.IT), translation=_translation(machine=True)), SectionId.ABOUT)

    # Then the about facts name the radiologist who approved the translation, with their institution
    facts = {fact.label: fact.value for fact in about.blocks[0].facts}
    assert facts[TEXTS[Language.IT]["translation_label"]] == "Dr. Luca Bernasconi, Ospedale Demo"


def test_a_report_in_a_language_its_radiologist_does_not_list_is_not_guessed_to_be_a_translation():
    # Given an Italian case read by a radiologist whose roster lists German only, and no translation
    radiologist = _radiologist(languages=[Language.DE])

    # When the document is built
    doc = _build(_case(Language.IT), radiologist=radiologist)

    # Then it carries no translation notice: only a signed-off translation makes one
    assert doc.notices == []
    assert TEXTS[Language.IT]["translation_label"] not in str(doc.model_dump())


# --- Glossary -----------------------------------------------------------------------------------


def _glossary_terms(doc: ReportDocument) -> list[str]:
    section = _section(doc, SectionId.GLOSSARY)
    if section is None:
        return []
    facts = section.blocks[1]
    assert isinstance(facts, Facts)
    return [fact.label for fact in facts.facts]


def test_the_glossary_explains_the_words_the_radiologist_used_in_the_patients_language():
    # Given a German reading that mentions an effusion, the meniscus and an MRI
    submission = _submission(
        findings="Kleiner Riss im Meniskus. Kein Erguss.",
        summary="Die MRT zeigt einen kleinen Riss.",
        answers=[],
        recommendations=[],
    )

    # When the document is built
    doc = _build(_case(Language.DE, questions=[]), submission)

    # Then the glossary lists these terms, alphabetically, with their German definitions
    glossary = Glossary.shipped()
    assert _glossary_terms(doc) == ["Erguss", "Meniskus", "MRT"]
    section = _section(doc, SectionId.GLOSSARY)
    assert section.heading == TEXTS[Language.DE]["glossary_heading"]
    assert section.blocks[1].facts[0].value == glossary.terms["effusion"][Language.DE].definition


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", "There is a cyst."),
        ("findings", "There is a cyst."),
        ("impression", "Simple cyst."),
        ("answers", [QuestionAnswer(question="What is it?", answer="A cyst.")]),
        ("recommendations", ["Check the cyst in a year."]),
        ("radpeer_reasoning", "The first reading missed the cyst."),
    ],
)
def test_terms_are_found_in_every_part_the_radiologist_writes(field, value):
    # Given a plain reading whose only glossary word is in this part
    plain = _submission(
        findings="All is well.",
        impression="Normal.",
        summary="All is well.",
        answers=[],
        radpeer_reasoning="Same as before.",
        recommendations=[],
    )
    submission = plain.model_copy(update={field: value})

    # When the document is built / then the glossary explains it
    assert _glossary_terms(_build(_case(questions=[]), submission)) == ["cyst"]


def test_terms_in_earlier_study_notes_are_explained_too():
    # Given a comparison whose note mentions a fracture
    prior = PriorComparison(
        study_date=date(2025, 1, 2),
        description="X-ray",
        change=PriorChange.IMPROVED,
        note="The fracture has healed.",
    )
    plain = _submission(
        findings="All is well.",
        impression="Normal.",
        summary="All is well.",
        answers=[],
        recommendations=[],
        radpeer_reasoning="Same.",
    )

    # When the document is built / then both the study kind and the note's term are explained
    assert _glossary_terms(_build(_case(questions=[]), plain, priors=[prior])) == ["fracture", "X-ray"]


def test_terms_match_whole_words_in_any_case_but_acronyms_only_in_capitals():
    # Given text with "LESIONS" in capitals, "discuss" (which holds "disc") and "pet" in lower case
    glossary = Glossary.shipped()
    texts = ["Two LESIONS were seen.", "Please discuss this.", "A pet scan is not needed."]

    # When terms are looked up
    found = [entry.term for entry in glossary.find(texts, Language.EN)]

    # Then the plural matches whatever its case, a word inside another and a lower-case acronym do not
    assert found == ["lesion"]


def test_the_longest_matching_term_wins_where_terms_overlap():
    # Given Italian text about a disc herniation ("ernia del disco" holds "ernia" and "disco")
    glossary = Glossary.shipped()

    # When terms are looked up
    found = [entry.term for entry in glossary.find(["C'è un'ernia del disco."], Language.IT)]

    # Then only the disc herniation is explained, not the hernia or the disc on their own
    assert found == ["ernia del disco"]


def test_glossary_terms_are_sorted_as_a_dictionary_sorts_them():
    # Given French text with terms starting with an accent and a ligature
    glossary = Glossary.shipped()
    texts = ["Un œdème, un épanchement et une lésion."]

    # When / then accents and the ligature do not push them out of alphabetical order
    assert [e.term for e in glossary.find(texts, Language.FR)] == ["épanchement", "lésion", "œdème"]


def test_a_reading_without_glossary_words_has_no_glossary():
    # Given a reading in plain words only
    plain = _submission(
        findings="All is well.",
        impression="Normal.",
        summary="All is well.",
        answers=[],
        recommendations=[],
        radpeer_reasoning="Same.",
    )

    # When / then the report has no glossary section
    assert _section(_build(_case(questions=[]), plain), SectionId.GLOSSARY) is None


# --- Readability, recorded not shown -------------------------------------------------------------


def test_readability_of_each_written_part_is_recorded_with_the_document():
    # Given a French reading
    # When the document is built
    doc = _build(_case(Language.FR))

    # Then each part the radiologist wrote has its Kandel-Moles score
    assert set(doc.readability) == {
        SectionId.SUMMARY,
        SectionId.QUESTIONS,
        SectionId.FINDINGS,
        SectionId.IMPRESSION,
        SectionId.COMPARISON,
        SectionId.RECOMMENDATIONS,
    }
    assert {score.formula for score in doc.readability.values()} == {Formula.KANDEL_MOLES}
    assert doc.readability[SectionId.SUMMARY].words == 13


def test_readability_scores_survive_a_round_trip_through_json():
    # Given a document with its scores
    doc = _build(_case(longitudinal=True), priors=PRIORS)

    # When it is stored as JSON and read back
    stored = json.loads(doc.model_dump_json())
    restored = ReportDocument.model_validate(stored)

    # Then the scores are the same, keyed by section
    assert stored["readability"]["summary"]["formula"] == "flesch_kincaid_grade"
    assert restored.readability == doc.readability


def test_readability_scores_are_never_shown_to_the_patient():
    # Given a document with its scores
    doc = _build()

    # When it is rendered as HTML and as a PDF
    page = render_html(doc).casefold()
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(doc))).pages).casefold()

    # Then neither names a formula or a score
    for shown in (page, pdf):
        assert not re.search(r"flesch|kincaid|amstad|gulpease|kandel|readability|lesbarkeit", shown)


# --- The shipped glossary -----------------------------------------------------------------------


def test_the_glossary_has_about_forty_terms_in_every_language():
    # Given / when the shipped glossary is read / then it has every language for each of ~40 terms
    glossary = Glossary.shipped()
    assert 35 <= len(glossary.terms) <= 60
    assert all(set(entries) == set(Language) for entries in glossary.terms.values())


def test_no_form_of_a_term_belongs_to_two_terms_in_one_language():
    # Given the shipped glossary
    glossary = Glossary.shipped()

    # When / then a word the radiologist writes points to one explanation only
    for language in Language:
        forms = [form.casefold() for entries in glossary.terms.values() for form in entries[language].forms]
        assert len(forms) == len(set(forms)), [f for f in set(forms) if forms.count(f) > 1]


def test_every_term_is_found_by_its_own_name():
    # Given / when each term's own name is looked up / then it finds that term
    glossary = Glossary.shipped()
    for key, entries in glossary.terms.items():
        for language, entry in entries.items():
            assert entry in glossary.find([entry.term], language), (key, language)


@pytest.mark.parametrize("language", list(Language))
def test_the_glossary_definitions_are_plain_language_by_the_languages_own_formula(language):
    # Given every definition in this language
    from secondopinion.readability import score

    definitions = [entries[language].definition for entries in Glossary.shipped().terms.values()]

    # When they are scored together
    result = score("\n".join(definitions), language)

    # Then they meet the readability target for patient text
    assert result.passes, (result.value, [s.text for s in result.hardest_sentences])


def test_a_glossary_term_missing_a_language_is_refused():
    # Given a term without its Italian entry
    entry = {"term": "cyst", "aliases": [], "definition": "A sac of fluid."}
    data = {"cyst": {"en": entry, "de": entry, "fr": entry}}

    # When / then the glossary does not load
    with pytest.raises(ValueError, match="it"):
        Glossary.model_validate({"terms": data})
