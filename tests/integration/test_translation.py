"""The translation step against moto: the workflow's translate task, the radiologist's sign-off
route, and the report made from the signed-off translation."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pypdf import PdfReader
from secondopinion.errors import ReportNotReady
from secondopinion.models import Language, TranslationRequest, WorkflowTimeouts
from secondopinion.store import RosterStore, Stores

from functions.assign import translation
from functions.assign.settings import get_settings
from functions.assign.translator import AmazonTranslate

from .support import (
    TASK_TOKEN,
    TIMEOUTS,
    Offer,
    RecordingStepFunctions,
    Stack,
    accept,
    assign,
    call_api,
    decline,
    escalate,
    invoke,
    offer,
    radiologist_call,
    radiologist_claims,
    release,
    report_body,
    restart,
    send_report,
)

QUESTION = "Ist der Befund in meiner Leber gefährlich?"
SIGNOFF_TOKEN = "TOKEN-SIGNOFF-DEF"
GERMAN = {
    "findings": "Eine 12 mm grosse, einfache Zyste im Lebersegment VI. Sonst kein Herd.",
    "impression": "Gutartige Leberzyste.",
    "summary": "Der Fleck auf Ihrer Leber ist eine kleine Zyste mit Flüssigkeit. Sie ist harmlos.",
    "answers": [{"question": QUESTION, "answer": "Nein. Es ist eine harmlose Zyste."}],
    "radpeer_reasoning": "Der erste Bericht beschreibt die gleiche Zyste.",
    "recommendations": [],
}


@pytest.fixture
def english_reading(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> Callable[..., Offer]:
    """A factory: a case whose radiologist submitted the reading in English; the patient reads `language`."""

    def create(language: str = "de") -> Offer:
        waiting = offered(language=language, questions=[QUESTION])
        assert accept(waiting.assignment_id, waiting.radiologist_id).status == 200
        submitted = send_report(
            waiting.assignment_id, report_body([QUESTION], language="en"), waiting.radiologist_id
        )
        assert submitted.status == 200, submitted.text
        return waiting

    return create


def _translate(case_id: str, reading_id: str, attempt: int = 0) -> dict[str, Any]:
    """The workflow's AssignTranslation task."""
    request = {
        "case_id": case_id,
        "reading": {"assignment_id": reading_id},
        "attempt": attempt,
        "timeouts": TIMEOUTS,
    }
    return dict(invoke("assign", {"action": "translate", "request": request}))


def _waiting_for_signoff(reading: Offer) -> dict[str, Any]:
    """AssignTranslation, then WaitForTranslation handing over its token."""
    assigned = _translate(reading.case_id, reading.assignment_id)
    offer(assigned["assignment_id"], SIGNOFF_TOKEN, phase="translation")
    return assigned


def _sign_off(assignment_id: str, radiologist_id: str, **changes: Any) -> Any:
    return radiologist_call(
        "POST",
        "/assignments/{assignment_id}/translation",
        assignment_id,
        radiologist_id=radiologist_id,
        body={**GERMAN, **changes},
    )


def _item(stack: Stack, assignment_id: str) -> dict[str, Any]:
    return stack.item("ASSIGNMENTS_TABLE", {"assignment_id": assignment_id})


def _events(stack: Stack, case_id: str) -> list[str]:
    return [e["event"] for e in stack.item("CASES_TABLE", {"case_id": case_id})["timeline"]]


def _pdf_text(stack: Stack, key: str) -> str:
    body = stack.client("s3").get_object(Bucket=stack.environment["REPORTS_BUCKET"], Key=key)["Body"].read()
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _report(case: Offer, translation_id: str | None) -> dict[str, Any]:
    request = {
        "case_id": case.case_id,
        "reading": {"assignment_id": case.assignment_id},
        "translation_assignment_id": translation_id,
    }
    return dict(invoke("report", request))


# --- the workflow's translate task --------------------------------------------------------------


def test_a_reading_in_the_patients_language_needs_no_translation(offered: Callable[..., Offer]) -> None:
    # Given an English patient whose radiologist wrote in English without saying so
    waiting = offered(questions=[QUESTION])
    accept(waiting.assignment_id, waiting.radiologist_id)
    assert send_report(waiting.assignment_id, report_body([QUESTION]), waiting.radiologist_id).status == 200

    # When the workflow asks for the reading in the patient's language
    result = _translate(waiting.case_id, waiting.assignment_id)

    # Then there is nothing to translate
    assert result == {"needed": False, "attempt": 0, "assignment_id": None, "radiologist_id": None}


def test_the_reading_records_the_language_it_was_written_in_and_is_scored_in_it(
    stack: Stack, english_reading: Callable[..., Offer]
) -> None:
    # Given / when a German patient's radiologist submits a reading in English
    reading = english_reading()

    # Then the stored reading says English and its readability is scored with the English formula
    item = _item(stack, reading.assignment_id)
    assert item["submission"]["language"] == "en"
    assert {r["formula"] for r in item["readability"]} == {"flesch_kincaid_grade"}


def test_an_english_reading_for_a_german_patient_goes_to_a_radiologist_who_reads_both(
    stack: Stack, fresh_roster: RosterStore, english_reading: Callable[..., Offer]
) -> None:
    # Given an English reading by a radiologist who also reads German
    reading = english_reading()
    reader = fresh_roster.get(reading.radiologist_id)
    assert reader is not None and {Language.EN, Language.DE} <= set(reader.languages)

    # When the workflow asks for the reading in German
    result = _translate(reading.case_id, reading.assignment_id)

    # Then the reader, who knows the case, is asked to translate it (no machine is configured)
    assert result["needed"] is True and result["radiologist_id"] == reading.radiologist_id
    item = _item(stack, result["assignment_id"])
    assert (item["status"], item["task"]) == ("translation", "translation")
    assert item["translation"]["source_language"] == "en" and item["translation"]["target_language"] == "de"
    assert item["translation"]["translator"] == "none" and item["translation"]["draft"] is None
    assert "translation_assigned" in _events(stack, reading.case_id)
    assert _open_reads(fresh_roster, reading.radiologist_id) == 1


def test_a_retried_translate_task_finds_the_assignment_it_made(english_reading: Callable[..., Offer]) -> None:
    reading = english_reading()
    assert _translate(reading.case_id, reading.assignment_id) == _translate(
        reading.case_id, reading.assignment_id
    )


# --- the radiologist's sign-off -----------------------------------------------------------------


def test_the_radiologist_sees_the_translation_on_the_worklist_with_the_reading_to_translate(
    english_reading: Callable[..., Offer],
) -> None:
    # Given a translation the workflow waits on
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    claims = radiologist_claims(assigned["radiologist_id"])

    # When the radiologist reads the worklist and the assignment
    items = call_api("assign", "GET", "/worklist", claims=claims).json
    view = radiologist_call(
        "GET",
        "/assignments/{assignment_id}",
        assigned["assignment_id"],
        radiologist_id=assigned["radiologist_id"],
    ).json

    # Then the translation is there, with the English reading and no machine draft to check
    assert {(i["assignment_id"], i["status"]) for i in items} >= {(assigned["assignment_id"], "translation")}
    task = view["translation"]
    assert (task["source_language"], task["target_language"], task["translator"]) == ("en", "de", "none")
    assert task["original"]["summary"] == report_body([QUESTION])["summary"]
    assert task["draft"] is None


def test_a_signed_off_translation_is_stored_in_german_and_resumes_the_workflow(
    stack: Stack,
    fresh_roster: RosterStore,
    english_reading: Callable[..., Offer],
    step_functions: RecordingStepFunctions,
) -> None:
    # Given a translation the workflow waits on
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)

    # When the radiologist signs off the German text
    response = _sign_off(assigned["assignment_id"], assigned["radiologist_id"])

    # Then it is stored as the reading in German, scored in German, and the workflow resumes
    assert response.status == 200, response.text
    assert response.json["status"] == "signed_off"
    item = _item(stack, assigned["assignment_id"])
    assert item["submission"]["language"] == "de" and item["submission"]["summary"] == GERMAN["summary"]
    assert item["submission"]["radpeer"] == "1"
    assert {r["formula"] for r in item["readability"]} == {"amstad"}
    assert "signed_off_at" in item["translation"]
    assert ("send_task_success", SIGNOFF_TOKEN) in [(m, c.get("taskToken")) for m, c in step_functions.calls]
    assert "translation_signed_off" in _events(stack, reading.case_id)
    assert _open_reads(fresh_roster, assigned["radiologist_id"]) == 0


def test_a_translation_hard_to_read_in_german_goes_back_with_its_score(
    english_reading: Callable[..., Offer],
) -> None:
    # Given a translation whose summary is one long sentence of long words
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    hard = (
        "Die computertomographische Untersuchung dokumentiert eine glattbegrenzte, flüssigkeitsäquivalente, "
        "kontrastmittelaussparende Raumforderung im rechtsseitigen Leberparenchym ohne "
        "Malignitätsverdachtsmomente beziehungsweise Differenzialdiagnosenerweiterungsnotwendigkeit"
    )

    # When it is signed off / Then it is refused with the German score, until confirmed
    refused = _sign_off(assigned["assignment_id"], assigned["radiologist_id"], summary=hard)
    assert refused.status == 422 and refused.json["error"] == "hard_to_read"
    assert "Amstad" in refused.json["message"]
    confirmed = _sign_off(
        assigned["assignment_id"], assigned["radiologist_id"], summary=hard, confirm_readability=True
    )
    assert confirmed.status == 200, confirmed.text


def test_a_translation_that_drops_an_answer_is_refused(english_reading: Callable[..., Offer]) -> None:
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    response = _sign_off(assigned["assignment_id"], assigned["radiologist_id"], answers=[])
    assert response.status == 400 and "Answer every question" in response.json["message"]


def test_only_the_assigned_radiologist_may_sign_off(english_reading: Callable[..., Offer]) -> None:
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    response = _sign_off(assigned["assignment_id"], "rad-neuro-1")
    assert response.status == 404


def test_a_sign_off_before_the_workflow_waits_for_it_is_refused(
    english_reading: Callable[..., Offer],
) -> None:
    # Given a translation assigned, but whose token the workflow has not handed over yet
    reading = english_reading()
    assigned = _translate(reading.case_id, reading.assignment_id)

    # When it is signed off / Then it is refused as not open yet
    response = _sign_off(assigned["assignment_id"], assigned["radiologist_id"])
    assert response.status == 409


def test_signing_off_again_resumes_the_workflow_again_and_a_different_text_is_refused(
    english_reading: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    assert _sign_off(assigned["assignment_id"], assigned["radiologist_id"]).status == 200

    again = _sign_off(assigned["assignment_id"], assigned["radiologist_id"])
    other = _sign_off(assigned["assignment_id"], assigned["radiologist_id"], impression="Etwas anderes.")

    assert again.status == 200 and step_functions.methods().count("send_task_success") >= 2
    assert other.status == 409


def test_a_declined_translation_goes_to_another_radiologist_who_reads_both(
    stack: Stack, english_reading: Callable[..., Offer], step_functions: RecordingStepFunctions
) -> None:
    # Given a translation the workflow waits on
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)

    # When its radiologist declines it and the workflow releases it and asks again
    assert decline(assigned["assignment_id"], assigned["radiologist_id"]).status == 200
    released = release(reading.case_id, assigned["assignment_id"], attempt=0, error="Review.Declined")
    again = _translate(reading.case_id, reading.assignment_id, attempt=released["attempt"])

    # Then the workflow heard of the decline, and another bilingual radiologist has it now
    assert ("send_task_failure", SIGNOFF_TOKEN) in [(m, c.get("taskToken")) for m, c in step_functions.calls]
    assert "translation_declined" in _events(stack, reading.case_id)
    assert again["needed"] is True and again["radiologist_id"] != assigned["radiologist_id"]
    item = _item(stack, again["assignment_id"])
    assert item["attempt"] == 1 and item["status"] == "translation"


def test_a_reading_without_a_language_by_a_radiologist_who_does_not_list_the_patients_is_refused(
    offered: Callable[..., Offer],
) -> None:
    # Given an Italian patient: no body-imaging radiologist of the roster writes Italian
    waiting = offered(language="it", questions=[QUESTION])
    accept(waiting.assignment_id, waiting.radiologist_id)

    # When the reading names no language / Then it is refused, asking which one it is in
    response = send_report(waiting.assignment_id, report_body([QUESTION]), waiting.radiologist_id)
    assert response.status == 400 and "say which language you wrote in" in response.json["message"]


# --- the report ---------------------------------------------------------------------------------


def test_the_report_is_the_signed_off_german_text_and_says_it_was_translated_and_by_whom(
    stack: Stack, english_reading: Callable[..., Offer], fresh_roster: RosterStore
) -> None:
    # Given a signed-off translation
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    assert _sign_off(assigned["assignment_id"], assigned["radiologist_id"]).status == 200

    # When the workflow's Report task renders the report
    text = " ".join(_pdf_text(stack, _report(reading, assigned["assignment_id"])["report_key"]).split())

    # Then it holds the German text, says it was written in English and who translated it
    signer = fresh_roster.get(assigned["radiologist_id"])
    assert signer is not None
    assert "Der Fleck auf Ihrer Leber" in text
    assert "auf Englisch geschrieben" in text and signer.name in text
    assert report_body([QUESTION])["summary"] not in text


def test_a_reading_in_another_language_is_never_rendered_without_its_translation(
    english_reading: Callable[..., Offer],
) -> None:
    reading = english_reading()
    with pytest.raises(ReportNotReady, match="translation"):
        _report(reading, None)


def test_a_translation_not_signed_off_yet_is_not_rendered(english_reading: Callable[..., Offer]) -> None:
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    with pytest.raises(ReportNotReady, match="signed off"):
        _report(reading, assigned["assignment_id"])


# --- a machine draft ----------------------------------------------------------------------------


@pytest.fixture
def amazon_translate() -> Any:
    client = boto3.client(
        "translate", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield AmazonTranslate("eu-central-1", client=client), stubber


def _machine_translates(stubber: Stubber, texts: dict[str, str]) -> None:
    for source, target in texts.items():
        stubber.add_response(
            "translate_text",
            {"TranslatedText": target, "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
            {
                "Text": source,
                "SourceLanguageCode": "en",
                "TargetLanguageCode": "de",
                "Settings": {"Formality": "FORMAL"},
            },
        )


def _assign_with(translator: Any, reading: Offer) -> str:
    request = TranslationRequest(
        case_id=reading.case_id,
        reading={"assignment_id": reading.assignment_id},  # type: ignore[arg-type]
        timeouts=WorkflowTimeouts(**TIMEOUTS),
    )
    stores = Stores.from_settings(get_settings())
    result = translation.assign_translation(request, stores=stores, translator=translator)
    offer(str(result.assignment_id), TASK_TOKEN, phase="translation")
    return str(result.assignment_id)


def test_a_machine_draft_is_shown_to_check_and_the_report_says_a_program_translated_it(
    stack: Stack, english_reading: Callable[..., Offer], amazon_translate: Any
) -> None:
    # Given Amazon Translate as the translator, translating each text of the English reading
    translator, stubber = amazon_translate
    reading = english_reading()
    english = report_body([QUESTION])
    _machine_translates(
        stubber,
        {
            english["findings"]: GERMAN["findings"],
            english["impression"]: GERMAN["impression"],
            english["summary"]: "Der Fleck auf Ihrer Leber ist eine kleine Zyste. Sie ist harmlos.",
            english["answers"][0]["answer"]: GERMAN["answers"][0]["answer"],
            english["radpeer_reasoning"]: GERMAN["radpeer_reasoning"],
        },
    )

    # When the translation is assigned, the radiologist reads the draft, corrects it and signs off
    assignment_id = _assign_with(translator, reading)
    radiologist = _item(stack, assignment_id)["radiologist_id"]
    view = radiologist_call(
        "GET", "/assignments/{assignment_id}", assignment_id, radiologist_id=radiologist
    ).json
    draft = view["translation"]["draft"]
    assert view["translation"]["translator"] == "amazon-translate"
    assert draft["findings"] == GERMAN["findings"]
    assert _sign_off(assignment_id, radiologist).status == 200

    # Then the correction is recorded, and the report says a program translated it, checked by them
    assert _item(stack, assignment_id)["translation"]["corrected"] is True
    text = " ".join(_pdf_text(stack, _report(reading, assignment_id)["report_key"]).split())
    assert "Computerprogramm" in text and GERMAN["summary"] in text


def test_a_failing_machine_leaves_the_translation_to_the_radiologist(
    stack: Stack, english_reading: Callable[..., Offer], amazon_translate: Any
) -> None:
    # Given Amazon Translate failing
    translator, stubber = amazon_translate
    stubber.add_client_error(
        "translate_text", service_error_code="ServiceUnavailableException", http_status_code=503
    )
    reading = english_reading()

    # When the translation is assigned
    assignment_id = _assign_with(translator, reading)

    # Then it is assigned all the same, without a draft, and ops can see the machine failed
    item = _item(stack, assignment_id)
    assert item["status"] == "translation" and item["translation"]["draft"] is None
    assert "machine_translation_failed" in _events(stack, reading.case_id)


def _open_reads(roster: RosterStore, radiologist_id: str) -> int:
    found = roster.get(radiologist_id)
    assert found is not None
    return found.open_reads


def test_a_case_failing_while_its_translation_waits_ends_the_translation_and_frees_its_slot(
    stack: Stack, english_reading: Callable[..., Offer], fresh_roster: RosterStore
) -> None:
    # Given a translation waiting for its sign-off
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    translator = assigned["radiologist_id"]
    load = fresh_roster.get(translator)
    assert load is not None and load.open_reads >= 1

    # When a later step fails beyond its retries and the workflow escalates step_failed
    escalate(reading.case_id, "step_failed")

    # Then the translation has ended too: off the worklist, its slot given back, no sign-off taken
    assert _item(stack, assigned["assignment_id"])["status"] == "timed_out"
    after = fresh_roster.get(translator)
    assert after is not None and after.open_reads == load.open_reads - 1
    assert _sign_off(assigned["assignment_id"], translator).status == 409


def test_a_restarted_run_keeps_the_translation_the_failed_run_signed_off(
    stack: Stack, english_reading: Callable[..., Offer]
) -> None:
    # Given a signed-off translation of an English reading, after which the report step failed
    reading = english_reading()
    assigned = _waiting_for_signoff(reading)
    assert _sign_off(assigned["assignment_id"], assigned["radiologist_id"]).status == 200
    escalate(reading.case_id, "step_failed")
    restarted = restart(reading.case_id)
    assert restarted.status == 200, restarted.text

    # When the new run carries the reading over and asks for its translation (twice: a retry)
    carried = assign(reading.case_id, run=1)
    request = {
        "case_id": reading.case_id,
        "reading": {"assignment_id": carried["assignment_id"]},
        "run": 1,
        "attempt": 0,
        "timeouts": TIMEOUTS,
    }
    first = invoke("assign", {"action": "translate", "request": request})
    again = invoke("assign", {"action": "translate", "request": request})

    # Then nothing is to be waited for: the signed-off text is copied, bound to the new reading,
    # and the report of the new run is made from it, in German
    assert first == again
    assert first["needed"] is False and first["assignment_id"] != assigned["assignment_id"]
    assert first["radiologist_id"] == assigned["radiologist_id"]
    copy = _item(stack, first["assignment_id"])
    assert copy["status"] == "signed_off" and copy["carried_from"] == assigned["assignment_id"]
    assert copy["translation"]["reading_assignment_id"] == carried["assignment_id"]
    rerun = Offer(reading.case_id, reading.token, carried["assignment_id"], carried["radiologist_id"])
    report = _report(rerun, first["assignment_id"])
    assert GERMAN["summary"][:30] in " ".join(_pdf_text(stack, report["report_key"]).split())
    assert "translation_carried_over" in _events(stack, reading.case_id)
