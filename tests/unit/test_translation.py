"""Translating a reading: choosing the translator, the Amazon Translate adapter, who signs off,
and how a signed-off translation becomes the reading in the patient's language."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from secondopinion.errors import InvalidRequest
from secondopinion.models import (
    CaseRecord,
    CaseStatus,
    ComparisonNote,
    Language,
    PriorChange,
    QuestionAnswer,
    Radiologist,
    Radpeer,
    ReportSubmission,
    StudyComparison,
    Subspecialty,
    Tier,
    TranslationSignoff,
)

from functions.assign.logic import in_written_language
from functions.assign.settings import AssignSettings
from functions.assign.translation import rank_translators, texts_from, texts_of, translated_reading
from functions.assign.translator import (
    MAX_REQUEST_BYTES,
    AmazonTranslate,
    RadiologistTranslates,
    TranslationTooSlow,
    pieces,
    translator_for,
)

SETTINGS = {
    "cases_table": "c",
    "files_table": "f",
    "assignments_table": "a",
    "roster_table": "r",
    "uploads_bucket": "u",
    "reports_bucket": "b",
    "kms_key_id": "k",
    "ops_topic_arn": "arn:aws:sns:eu-central-2:123456789012:ops",
}
QUESTION = "Ist es gefährlich?"


def _case(**changes: object) -> CaseRecord:
    case = CaseRecord(
        case_id="case-1",
        token_hash="0" * 64,
        status=CaseStatus.REPORTING,
        tier=Tier.STANDARD,
        consensus=False,
        longitudinal=True,
        language=Language.DE,
        email="patient@example.org",
        symptoms="",
        questions=[QUESTION],
        clinical_history="",
        created_at=datetime(2026, 11, 28, tzinfo=UTC),
    )
    return case.model_copy(update=changes)


def _reading(**changes: object) -> ReportSubmission:
    reading = ReportSubmission(
        findings="A small cyst in the liver.\n\nNothing else.",
        impression="Benign liver cyst.",
        summary="The spot on your liver is a harmless cyst.",
        answers=[QuestionAnswer(question=QUESTION, answer="No. It is harmless.")],
        radpeer=Radpeer.UNDERSTANDABLE_MINOR,
        radpeer_reasoning="The first reading missed the cyst.",
        recommendations=["Talk to your doctor.", "No new scan is needed."],
        critical_finding=False,
        comparisons=[
            StudyComparison(study_instance_uid="1.2.3", change=PriorChange.STABLE, note="Same size.")
        ],
        language=Language.EN,
    )
    return reading.model_copy(update=changes)


def _signoff(**changes: object) -> TranslationSignoff:
    signoff = TranslationSignoff(
        findings="Eine kleine Zyste in der Leber.\n\nSonst nichts.",
        impression="Gutartige Leberzyste.",
        summary="Der Fleck auf Ihrer Leber ist eine harmlose Zyste.",
        answers=[QuestionAnswer(question=QUESTION, answer="Nein. Sie ist harmlos.")],
        radpeer_reasoning="Die erste Beurteilung hat die Zyste übersehen.",
        recommendations=["Sprechen Sie mit Ihrer Ärztin.", "Eine neue Aufnahme ist nicht nötig."],
        comparison_notes=[ComparisonNote(study_instance_uid="1.2.3", note="Gleich gross.")],
    )
    return signoff.model_copy(update=changes)


def _rad(
    rid: str, langs: list[Language], *, subs: list[Subspecialty] | None = None, **changes: object
) -> Radiologist:
    radiologist = Radiologist(
        radiologist_id=rid,
        name=f"Dr. {rid}",
        subspecialties=subs or [Subspecialty.NEURO],
        languages=langs,
        institution=f"Spital {rid}",
        licences=["CH"],
    )
    return radiologist.model_copy(update=changes)


def _ranked(candidates: list[Radiologist], **options: object) -> list[str]:
    kwargs: dict[str, object] = {
        "subspecialty": Subspecialty.BODY,
        "readers": set(),
        "excluded": set(),
        "region": "CH",
        "institutions": set(),
        "original_radiologist": "",
        **options,
    }
    ranked = rank_translators(candidates, Language.EN, Language.DE, **kwargs)  # type: ignore[arg-type]
    return [r.radiologist_id for r in ranked]


# --- Choosing the translator --------------------------------------------------------------------


def test_without_configuration_no_machine_translates():
    # Given the default settings / When the translator is chosen
    settings = AssignSettings(**SETTINGS)
    translator = translator_for(settings.translator, settings.translate_region)

    # Then nobody drafts: the radiologist who signs off writes the translation
    assert isinstance(translator, RadiologistTranslates)
    assert translator.translate(["Hello."], Language.EN, Language.DE) is None


def test_amazon_translate_is_chosen_with_its_region():
    # Given settings that enable Amazon Translate in Frankfurt
    settings = AssignSettings(**SETTINGS, translator="amazon-translate", translate_region="eu-central-1")

    # When the translator is chosen
    translator = translator_for(settings.translator, settings.translate_region)

    # Then it calls Amazon Translate in that region
    assert isinstance(translator, AmazonTranslate)
    assert translator.region == "eu-central-1"


def test_amazon_translate_without_a_region_is_refused_at_cold_start():
    # Given / when the function is configured for Amazon Translate without a region
    # Then its settings refuse to load, naming what is missing
    with pytest.raises(ValidationError, match="TRANSLATE_REGION"):
        AssignSettings(**SETTINGS, translator="amazon-translate")


def test_an_unknown_translator_is_refused():
    with pytest.raises(ValidationError, match="translator"):
        AssignSettings(**SETTINGS, translator="deepl")


# --- The Amazon Translate adapter ---------------------------------------------------------------


@pytest.fixture
def translate_client():
    client = boto3.client(
        "translate", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _expect(stubber: Stubber, text: str, translated: str, source: str = "en", target: str = "de") -> None:
    stubber.add_response(
        "translate_text",
        {"TranslatedText": translated, "SourceLanguageCode": source, "TargetLanguageCode": target},
        {
            "Text": text,
            "SourceLanguageCode": source,
            "TargetLanguageCode": target,
            "Settings": {"Formality": "FORMAL"},
        },
    )


def test_each_text_is_translated_formally_between_the_given_languages(translate_client):
    # Given Amazon Translate expecting two texts from English into German, formally addressed
    client, stubber = translate_client
    _expect(stubber, "Your scan is normal.", "Ihr Scan ist normal.")
    _expect(stubber, "Talk to your doctor.", "Sprechen Sie mit Ihrer Ärztin oder Ihrem Arzt.")

    # When the adapter translates them
    translated = AmazonTranslate("eu-central-1", client=client).translate(
        ["Your scan is normal.", "Talk to your doctor."], Language.EN, Language.DE
    )

    # Then each comes back translated, in order
    assert translated == ["Ihr Scan ist normal.", "Sprechen Sie mit Ihrer Ärztin oder Ihrem Arzt."]


def test_an_empty_text_is_not_sent(translate_client):
    # Given Amazon Translate expecting no request at all
    client, _ = translate_client

    # When an empty comparison note is translated / Then it stays empty, and nothing was sent
    assert AmazonTranslate("eu-central-1", client=client).translate(["", "  "], Language.EN, Language.FR) == [
        "",
        "  ",
    ]


def test_a_text_above_the_request_limit_is_sent_in_paragraphs_and_put_back_together(translate_client):
    # Given findings of two paragraphs, together above the 10,000-byte limit of one request
    client, stubber = translate_client
    first, second = "Finding one. " * 500, "Finding two. " * 500
    text = f"{first.strip()}\n\n{second.strip()}"
    assert len(text.encode()) > MAX_REQUEST_BYTES
    _expect(stubber, first.strip(), "Befund eins.")
    _expect(stubber, second.strip(), "Befund zwei.")

    # When the adapter translates it
    (translated,) = AmazonTranslate("eu-central-1", client=client).translate([text], Language.EN, Language.DE)

    # Then each paragraph went in a request of its own and the paragraph break is kept
    assert translated == "Befund eins.\n\nBefund zwei."


def test_a_failing_service_raises_for_the_caller_to_handle(translate_client):
    # Given Amazon Translate refusing the language pair
    client, stubber = translate_client
    stubber.add_client_error("translate_text", service_error_code="UnsupportedLanguagePairException")

    # When the adapter translates / Then the error reaches the caller (who falls back to a person)
    with pytest.raises(client.exceptions.UnsupportedLanguagePairException):
        AmazonTranslate("eu-central-1", client=client).translate(["Hello."], Language.EN, Language.DE)


def test_no_request_starts_once_the_time_budget_is_spent(translate_client):
    # Given a 5 s budget and a clock at 0 s when translating starts, 1 s at the first request and
    # 6 s at the second
    client, stubber = translate_client
    _expect(stubber, "First text.", "Erster Text.")
    clock = iter([0.0, 1.0, 6.0])

    # When two texts are translated / Then the second is never sent: the machine is too slow
    with pytest.raises(TranslationTooSlow):
        AmazonTranslate("eu-central-1", client=client, budget_seconds=5, clock=lambda: next(clock)).translate(
            ["First text.", "Second text."], Language.EN, Language.DE
        )


@given(
    st.text(alphabet=st.sampled_from(["a", "ü", "漢", " ", "\n", ".", "!"]), max_size=400), st.integers(8, 60)
)
def test_pieces_join_back_to_the_text_and_each_fits_the_limit(text, limit):
    # Given any text and a byte limit / When it is cut into pieces
    cut = pieces(text, limit)

    # Then nothing is lost or reordered, and no piece is above the limit
    assert "".join(cut) == text
    assert all(len(piece.encode()) <= limit for piece in cut)


def test_pieces_cut_at_sentences_before_words():
    # Given three sentences that do not fit one piece / When cut
    cut = pieces("One two. Three four. Five six.", 21)

    # Then the cuts fall between sentences
    assert [piece.strip() for piece in cut if piece.strip()] == ["One two. Three four.", "Five six."]


# --- What a translation covers ------------------------------------------------------------------


def test_every_text_the_patient_reads_is_translated_and_put_back_in_its_place():
    # Given a reading and a "translation" that marks each of its texts
    reading = _reading()
    texts = texts_of(reading)

    # When the marked texts are put back
    draft = texts_from(reading, [f"<{text}>" for text in texts])

    # Then each is in its place, and the patient's questions stay their own words
    assert draft.findings == f"<{reading.findings}>"
    assert draft.summary == f"<{reading.summary}>"
    assert draft.answers == [QuestionAnswer(question=QUESTION, answer="<No. It is harmless.>")]
    assert draft.recommendations == ["<Talk to your doctor.>", "<No new scan is needed.>"]
    assert draft.comparison_notes == [ComparisonNote(study_instance_uid="1.2.3", note="<Same size.>")]
    assert draft.radpeer_reasoning == f"<{reading.radpeer_reasoning}>"


def test_a_translator_answering_fewer_texts_is_an_error():
    with pytest.raises(ValueError, match="number of texts"):
        texts_from(_reading(), ["only one"])


# --- The reading in the patient's language ------------------------------------------------------


def test_the_signed_off_texts_replace_the_originals_and_the_grades_stay():
    # Given an English reading and its signed-off German translation
    translated = translated_reading(_reading(), _signoff(), _case())

    # Then the texts are the German ones, the language is German, the grades are the radiologist's
    assert translated.language == Language.DE
    assert translated.summary == "Der Fleck auf Ihrer Leber ist eine harmlose Zyste."
    assert translated.recommendations[1] == "Eine neue Aufnahme ist nicht nötig."
    assert translated.comparisons == [
        StudyComparison(study_instance_uid="1.2.3", change=PriorChange.STABLE, note="Gleich gross.")
    ]
    assert (translated.radpeer, translated.critical_finding) == (Radpeer.UNDERSTANDABLE_MINOR, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers": []}, "Answer every question"),
        ({"recommendations": ["Sprechen Sie mit Ihrer Ärztin."]}, "2 recommendation"),
        ({"comparison_notes": []}, "comparison note for each"),
        (
            {"comparison_notes": [ComparisonNote(study_instance_uid="9.9", note="x")]},
            "comparison note for each",
        ),
    ],
    ids=["unanswered-question", "dropped-recommendation", "missing-note", "unknown-study"],
)
def test_a_translation_that_leaves_something_out_is_refused(changes, message):
    with pytest.raises(InvalidRequest, match=message):
        translated_reading(_reading(), _signoff(**changes), _case())


# --- The language a reading is written in -------------------------------------------------------


def test_a_reading_without_a_language_is_in_the_patients_when_its_radiologist_writes_that():
    # Given a German patient and a radiologist who writes German and English
    reading = _reading(language=None)

    # When the language is settled / Then it is German
    assert (
        in_written_language(reading, _case(), _rad("r", [Language.DE, Language.EN])).language == Language.DE
    )


def test_a_reading_without_a_language_from_a_radiologist_who_does_not_write_the_patients_is_refused():
    # Given a German patient and a radiologist who writes English only
    # When the reading names no language / Then it is refused, asking which language it is in
    with pytest.raises(InvalidRequest, match="say which language you wrote in"):
        in_written_language(_reading(language=None), _case(), _rad("r", [Language.EN]))


def test_a_reading_in_a_language_its_radiologist_does_not_list_is_refused():
    with pytest.raises(InvalidRequest, match="does not list fr"):
        in_written_language(_reading(language=Language.FR), _case(), _rad("r", [Language.EN, Language.DE]))


def test_the_language_must_be_one_of_the_four():
    with pytest.raises(ValidationError, match="language"):
        ReportSubmission.model_validate({**_reading().model_dump(), "language": "es"})


# --- Who signs the translation off --------------------------------------------------------------


def test_only_radiologists_who_read_both_languages_may_sign_off():
    candidates = [
        _rad("en", [Language.EN]),
        _rad("de", [Language.DE]),
        _rad("both", [Language.EN, Language.DE]),
    ]
    assert _ranked(candidates) == ["both"]


def test_a_radiologist_who_read_the_case_comes_first_then_the_subspecialty_then_the_least_loaded():
    # Given bilingual radiologists: a busy one of another subspecialty, a free one, a body imager
    # and the case's own reader, who is the busiest
    candidates = [
        _rad("busy", [Language.EN, Language.DE], open_reads=3),
        _rad("free", [Language.EN, Language.DE]),
        _rad("body", [Language.EN, Language.DE], subs=[Subspecialty.BODY], open_reads=2),
        _rad("reader", [Language.EN, Language.DE], open_reads=4),
    ]

    # When they are ranked for a body-imaging case read by "reader"
    ranked = _ranked(candidates, readers={"reader"})

    # Then the reader, then the body imager, then by load
    assert ranked == ["reader", "body", "free", "busy"]


def test_a_radiologist_who_had_the_translation_or_may_not_take_the_case_is_left_out():
    # Given bilinguals: one who gave the translation back, one unlicensed where the patient lives,
    # one full, one of the original reading's institution, and one who may take it
    candidates = [
        _rad("declined", [Language.EN, Language.DE]),
        _rad("unlicensed", [Language.EN, Language.DE], licences=["IT"]),
        _rad("full", [Language.EN, Language.DE], open_reads=5),
        _rad("conflicted", [Language.EN, Language.DE], institution="Kantonsspital Baden"),
        _rad("ok", [Language.EN, Language.DE]),
    ]

    # When they are ranked / Then only the last remains
    ranked = _ranked(candidates, excluded={"declined"}, institutions={"Kantonsspital Baden AG"})
    assert ranked == ["ok"]
