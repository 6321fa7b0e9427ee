"""The report's fixed texts: the .po loader, the shipped catalogues, and that no text is hard-coded."""

from __future__ import annotations

import io
import re
import string
from datetime import UTC, date, datetime
from html.parser import HTMLParser

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

from functions.report.document import PriorChange, PriorComparison, TranslationNote, build_document
from functions.report.glossary import Glossary, GlossaryEntry
from functions.report.render import render_html, render_pdf
from functions.report.texts import TEXTS, Catalogue, Message, PoSyntaxError, catalogue_path, parse_po

# --- The loader ---------------------------------------------------------------------------------

SAMPLE_PO = r"""# A translator's comment
msgid ""
msgstr ""
"Language: de\n"
"Content-Type: text/plain; charset=UTF-8\n"

#. An extracted comment
msgctxt "greeting"
msgid "Hello"
msgstr "Grüezi"

msgctxt "long"
msgid ""
"A text that goes on "
"over two lines."
msgstr ""
"Ein Text, der über "
"zwei Zeilen geht."

msgctxt "escapes"
msgid "Say \"hi\"\n\tthen a backslash \\"
msgstr "Sag \"hallo\"\n\tdann einen Backslash \\"

#, fuzzy, python-format
msgctxt "unsure"
msgid "Maybe"
msgstr "Vielleicht"

msgctxt "empty"
msgid "Untranslated"
msgstr ""
msgid "No context"
msgstr "Ohne Kontext"
"""


def test_po_entries_are_read_with_context_continuations_and_escapes():
    # Given a .po file with a header, comments, continued strings, escapes and flags
    # When it is parsed
    messages = parse_po(SAMPLE_PO)

    # Then every entry comes out whole, in order, with its fuzzy flag
    assert [m.context for m in messages] == [None, "greeting", "long", "escapes", "unsure", "empty", None]
    assert messages[2] == Message(
        "long", "A text that goes on over two lines.", "Ein Text, der über zwei Zeilen geht."
    )
    assert messages[3].msgid == 'Say "hi"\n\tthen a backslash \\'
    assert messages[3].msgstr == 'Sag "hallo"\n\tdann einen Backslash \\'
    assert [m.fuzzy for m in messages] == [False, False, False, False, True, False, False]


def test_catalogue_looks_texts_up_by_key_and_through_gettext():
    # Given the parsed sample
    catalogue = Catalogue(parse_po(SAMPLE_PO))

    # When texts are looked up by key and through the gettext API
    # Then translated ones are found, fuzzy and empty ones fall back to the English msgid
    assert catalogue["greeting"] == "Grüezi"
    assert catalogue.pgettext("greeting", "Hello") == "Grüezi"
    assert catalogue.gettext("No context") == "Ohne Kontext"
    assert catalogue["unsure"] == "Maybe"
    assert catalogue["empty"] == "Untranslated"
    assert catalogue.pgettext("unknown", "Not there") == "Not there"
    assert catalogue.info()["language"] == "de"
    assert catalogue.charset() == "UTF-8"
    assert set(catalogue) == {"greeting", "long", "escapes", "unsure", "empty"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('msgid "a"\nmsgstr "b\\q"\n', "unsupported escape"),
        ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\n', "plural"),
        ('"orphan"\n', "nothing to continue"),
        ('msgctxt "k"\nmsgid "a"\n', "both msgid and msgstr"),
        ('msgid "a"\nmsgstr "b\n', "quoted string"),
        ('msgid "a"\nmsgid "b"\nmsgstr "c"\n', "twice"),
        ('#~ msgid "old"\n', "obsolete"),
        ("msgstr: nonsense\n", "unexpected"),
    ],
)
def test_a_malformed_po_file_is_refused_with_its_line(text, error):
    # Given / when a malformed .po file is parsed / then the error says what and where
    with pytest.raises(PoSyntaxError, match=rf"line \d+: .*{error}"):
        parse_po(text)


def test_a_key_used_twice_is_refused():
    # Given two entries with the same msgctxt / when they are loaded / then that is an error
    with pytest.raises(PoSyntaxError, match="twice"):
        Catalogue([Message("k", "a", "b"), Message("k", "c", "d")])


# --- The shipped catalogues ---------------------------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_is_in_all_four_catalogues_with_a_translation():
    # Given the English catalogue as the source
    source = {(m.context, m.msgid) for m in TEXTS[Language.EN].messages}

    # When / then every language has exactly its entries, each translated and none fuzzy
    for language in Language:
        messages = TEXTS[language].messages
        assert {(m.context, m.msgid) for m in messages} == source, language
        untranslated = [m.context for m in messages if not m.msgstr.strip() or m.fuzzy]
        assert untranslated == [], language


def test_translations_keep_the_placeholders_of_the_source():
    # Given every entry of every catalogue
    # When / then its text has the same {placeholders} as its English source
    for language in Language:
        for message in TEXTS[language].messages:
            assert _placeholders(message.msgstr) == _placeholders(message.msgid), (language, message.context)


def test_the_english_catalogue_shows_its_source_text():
    # Given / when the English catalogue is read / then each text is its own msgid
    assert all(m.msgstr == m.msgid for m in TEXTS[Language.EN].messages)


def test_each_catalogue_declares_its_language_and_utf8():
    # Given / when each catalogue's header is read / then it names its folder's language, in UTF-8
    for language in Language:
        catalogue = Catalogue.from_po(catalogue_path(language))
        assert catalogue.info()["language"] == language.value
        assert catalogue.charset() == "UTF-8"


# --- Nothing the patient reads is hard-coded ----------------------------------------------------

_MARKER = re.compile(r"§[^§\s]+§")
CODE = "K7Q2-9XMD"
# What the test itself puts in: one word each, so that it survives line wrapping in the PDF.
_INPUTS = {"S1", "F1", "MRI", "IRM", "RM", "I1", "Q1?", "Q2?", "A1", "R1", "C1", "D1", "N1"}
_INPUTS |= {"Name1", "Inst1", "Name2", "Inst2", "Name3", "Inst3", CODE, "\u2022"}


def _marker_catalogue() -> Catalogue:
    """Every text replaced by §key§, followed by its placeholders so that they still fill in."""
    return Catalogue(
        Message(
            m.context,
            m.msgid,
            f"§{m.context}§" + "".join(f" {{{name}}}" for name in sorted(_placeholders(m.msgid))),
        )
        for m in TEXTS[Language.EN].messages
    )


def _marker_glossary() -> Glossary:
    shipped = Glossary.shipped()
    return Glossary(
        terms={
            key: {
                language: GlossaryEntry(term=f"§g.{key}§", aliases=entry.forms, definition=f"§g.{key}.def§")
                for language, entry in entries.items()
            }
            for key, entries in shipped.terms.items()
        }
    )


def _marker_document(language: Language):
    case = CaseRecord(
        case_id="case-1",
        token_hash="0" * 64,
        status=CaseStatus.REPORTING,
        tier=Tier.STANDARD,
        consensus=True,
        longitudinal=True,
        language=language,
        email="patient@example.org",
        symptoms="",
        questions=["Q1?", "Q2?"],
        clinical_history="",
        created_at=datetime(2026, 11, 28, tzinfo=UTC),
        subspecialty=Subspecialty.MSK,
    )
    submission = ReportSubmission(
        findings="F1 MRI IRM RM",
        impression="I1",
        summary="S1",
        answers=[QuestionAnswer(question="Q1?", answer="A1")],
        radpeer=Radpeer.EXPECTED_MINOR,
        radpeer_reasoning="R1",
        recommendations=["C1"],
        critical_finding=True,
    )
    first = Radiologist(
        radiologist_id="r1",
        name="Name1",
        subspecialties=[Subspecialty.MSK],
        languages=[],
        institution="Inst1",
    )
    second = first.model_copy(update={"radiologist_id": "r2", "name": "Name2", "institution": "Inst2"})
    prior = PriorComparison(
        study_date=date(2025, 3, 1), description="D1", change=PriorChange.STABLE, note="N1"
    )
    signer = first.model_copy(update={"radiologist_id": "r3", "name": "Name3", "institution": "Inst3"})
    return build_document(
        case,
        submission,
        first,
        datetime(2026, 12, 3, 14, 30, tzinfo=UTC),
        CODE,
        priors=[prior],
        consensus_with=second,
        translation=TranslationNote(source=Language.FR, signed_off_by=signer, machine=True),
        catalogue=_marker_catalogue(),
        glossary=_marker_glossary(),
    )


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.parts.append(data)


def _unmarked(text: str) -> list[str]:
    """The words of ``text`` that are neither a marker, nor an input, nor a number."""
    leftovers = []
    for token in text.split():
        rest = _MARKER.sub("", token)
        if rest and rest not in _INPUTS and not re.fullmatch(r"\d+[ab]?", rest):
            leftovers.append(token)
    return leftovers


def _markers(text: str) -> set[str]:
    return {marker.strip("§") for marker in _MARKER.findall(text)}


@pytest.mark.parametrize("language", [Language.EN, Language.DE])
def test_every_fixed_text_of_the_html_comes_from_the_catalogue(language):
    # Given a report using every optional part, built with a catalogue whose texts are markers
    doc = _marker_document(language)

    # When it is rendered as HTML and its visible text read
    parser = _TextOf()
    parser.feed(render_html(doc))
    text = " ".join(parser.parts)

    # Then every word is a marker, something the test put in, or a number
    assert _unmarked(text) == []
    assert {"title", "disclaimer", "consensus_statement", "priors_heading", "glossary_heading"} <= _markers(
        text
    )


@pytest.mark.parametrize("language", [Language.EN, Language.DE])
def test_every_fixed_text_of_the_pdf_comes_from_the_catalogue(language):
    # Given the same report
    doc = _marker_document(language)

    # When it is rendered as a PDF and its text extracted
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(doc))).pages)

    # Then every word is a marker, an input or a number, and it shows the HTML's texts plus the footer
    assert _unmarked(text) == []
    html_parser = _TextOf()
    html_parser.feed(render_html(doc))
    assert _markers(text) == _markers(" ".join(html_parser.parts)) | {"page_label", "footer_verification"}


def test_every_catalogue_text_is_used_or_an_alternative_of_one_that_is():
    # Given the texts a report with every optional part shows
    parser = _TextOf()
    parser.feed(render_html(_marker_document(Language.EN)))
    shown = _markers(" ".join(parser.parts)) | {"page_label", "footer_verification"}

    # When / then the others are only the alternatives the reading did not need (another RADPEER
    # code, change, subspecialty, month or source language, the notes for no priors and no
    # recommendations, and the notice for a translation a radiologist wrote)
    unseen = set(TEXTS[Language.EN]) - shown
    alternatives = ("radpeer.", "change.", "subspecialty.", "month.", "written_in.")
    assert {key for key in unseen if not key.startswith(alternatives)} == {
        "no_priors",
        "no_recommendations",
        "translated_by_radiologist_notice",
    }
