"""A patient asks, uploads and receives; a radiologist reads; ops watch: all through the pages."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pypdf import PdfReader

from local.system import LocalSystem

from .pages import CANVAS_PAINTED, accessibility_problems, keep, until, watch

GERMAN = json.loads(Path("web/i18n/de.json").read_text())


@pytest.fixture
def cd_export(tmp_path: Path) -> Path:
    """A disc export: real DICOM images, the disc's DICOMDIR, and a photo saved as .dcm."""
    folder = tmp_path / "CD"
    folder.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm", "DICOMDIR"):
        shutil.copy(get_testdata_file(name), folder / name)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 80)).save(photo, format="JPEG")
    (folder / "IMG0001.dcm").write_bytes(photo.getvalue())
    return folder


def rows(page: Any) -> dict[str, tuple[str, str]]:
    """File name -> (verdict, what the page says about it)."""
    found = page.eval_on_selector_all(
        "#files tbody tr",
        "rs => rs.map(r => [r.cells[0].innerText, r.dataset.verdict || '', r.cells[2].innerText])",
    )
    return {name.split("/")[-1]: (verdict, text) for name, verdict, text in found}


def assignees(ops: Any, case_id: str) -> list[tuple[str, str, str]]:
    """(radiologist, status, why) of each of the case's assignments, as the ops page shows them."""
    ops.click(f"tr[data-case='{case_id}'] button")
    ops.wait_for_selector("#detail:not([hidden])")
    return [
        (cells[1], cells[2], cells[5])
        for cells in ops.eval_on_selector_all(
            "#assignments tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))"
        )
    ]


def sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in button[type=submit]")


def test_the_whole_journey_through_the_pages(
    system: LocalSystem, browser: Any, screenshots: Path, cd_export: Path
) -> None:
    problems: dict[str, list[str]] = {}
    errors: list[str] = []
    patient = browser.new_context(locale="de-CH")
    page = watch(patient, errors)

    # Given a patient on the request form, in German
    page.goto(f"{system.portal_url}/?lang=de")
    page.wait_for_selector("html[lang=de]")
    assert page.inner_text("h1") == GERMAN["request.title"]
    problems["request"] = accessibility_problems(page)
    keep(page, screenshots, "01-request")

    # When they send it without an e-mail address, they are told what to fix
    page.check("input[name=consent]")
    page.click("#request button[type=submit]")
    assert page.inner_text("#email-error") == GERMAN["error.email"]
    keep(page, screenshots, "02-request-invalid")

    # When they fill it in properly, the case opens and the access code is shown once
    page.fill("#email", "patient@example.org")
    page.fill("#symptoms", "Kopfschmerzen seit drei Wochen")
    page.fill("#questions", "Ist es gefährlich?\nBrauche ich eine Operation?")
    page.select_option("#language", "de")
    page.click("#request button[type=submit]")
    page.wait_for_url("**/case.html#*")
    page.wait_for_selector("html[lang=de]")
    case_id = page.url.split("#")[1]
    assert len(page.inner_text("#token-value")) > 40

    # And they upload the whole disc folder, which holds a photo named .dcm
    page.set_input_files("#pick-folder", str(cd_export))
    judged = until(
        lambda: (
            (r := rows(page))
            and len(r) == 4
            and all(v in ("accepted", "rejected", "skipped") for v, _ in r.values())
            and r
        ),
        "every file's verdict on the page",
    )

    # Then each file gets its verdict in plain German, the photo with what to do about it
    assert judged["CT_small.dcm"] == ("accepted", GERMAN["verdict.accepted.image"])
    assert judged["MR_small.dcm"][0] == "accepted"
    assert judged["DICOMDIR"] == ("skipped", GERMAN["verdict.skipped"])
    assert judged["IMG0001.dcm"] == ("rejected", GERMAN["reason.not_dicom"])
    assert page.is_visible("#people")  # pydicom's two test files name two people
    problems["upload"] = accessibility_problems(page)
    keep(page, screenshots, "03-upload-verdicts")

    # When they confirm the images are theirs and send the case
    page.check("#confirm-people")
    page.click("#submit")
    until(lambda: page.inner_text("#state") == GERMAN["status.in_review"], "the case in review")

    # Then the status shows the deadline and the timeline
    assert GERMAN["status.left"].split(" ")[0] in page.inner_text("#deadline")
    assert GERMAN["event.submitted"] in page.inner_text("#timeline")
    keep(page, screenshots, "04-status")

    # Given ops on their board, who see the case and who it was offered to
    staff = browser.new_context()
    ops = watch(staff, errors)
    ops.goto(f"{system.portal_url}/staff/ops.html")
    sign_in(ops, "ops", system.staff_password)
    ops.wait_for_selector(f"tr[data-case='{case_id}']")
    (radiologist, _, _), *_ = until(lambda: assignees(ops, case_id), "the assignment in the ops view")
    problems["ops"] = accessibility_problems(ops)
    keep(ops, screenshots, "05-ops")

    # Given that radiologist signed in to the workstation
    workstation = browser.new_context(viewport={"width": 1400, "height": 1000})
    reader = watch(workstation, errors)
    reader.goto(f"{system.portal_url}/staff/")
    sign_in(reader, radiologist, system.staff_password)
    reader.wait_for_selector("#worklist tbody tr")
    problems["worklist"] = accessibility_problems(reader)
    keep(reader, screenshots, "06-worklist")

    # When they open the offer, they see the questions, and the images in the viewer
    reader.click("#worklist tbody tr a")
    reader.wait_for_selector("#work:not([hidden])")
    assert "Ist es gefährlich?" in reader.inner_text("#a-questions")
    until(lambda: reader.evaluate(CANVAS_PAINTED), "the viewer to draw the image")
    reader.click("#accept")
    reader.wait_for_selector("#report-section:not([hidden])")

    # And they write the report in English, seeing its readability as they type
    reader.select_option("#written-in", "en")
    reader.fill("#findings", "No acute change.")
    reader.fill("#impression", "Normal study.")
    reader.fill("#summary", "Your scan looks fine. There is nothing bad.")
    until(lambda: "Readability" in reader.inner_text("#summary-score"), "the readability score")
    reader.fill("#answer-0", "No. It is not dangerous.")
    reader.fill("#answer-1", "No. You do not need an operation.")
    reader.fill("#radpeer-reasoning", "Same reading as the first report.")
    problems["assignment"] = accessibility_problems(reader)
    keep(reader, screenshots, "07-assignment")
    reader.click("#report button[type=submit]")
    until(lambda: "submitted" in reader.inner_text("#notice"), "the report to be taken")
    workstation.close()

    # Then a radiologist who reads English and German is asked to translate it
    translator = until(
        lambda: [r for r, _, why in assignees(ops, case_id) if "transl" in why.lower()],
        "the translation task",
    )[0]
    staff.close()
    desk = browser.new_context(viewport={"width": 1400, "height": 1000})
    signer = watch(desk, errors)
    signer.goto(f"{system.portal_url}/staff/")
    sign_in(signer, translator, system.staff_password)
    signer.wait_for_selector("#worklist tbody tr")
    signer.click("#worklist tbody tr a")
    signer.wait_for_selector("#work:not([hidden])")
    signer.wait_for_selector("#translation-section:not([hidden])")

    # When they write the German text and sign it off
    assert "Your scan looks fine." in signer.inner_text("#translation-fields")
    for field, text in {
        "#t-findings": "Keine akute Veränderung.",
        "#t-impression": "Unauffällige Untersuchung.",
        "#t-summary": "Ihr Bild sieht gut aus. Es gibt nichts Schlimmes.",
        "#t-answer-0": "Nein. Es ist nicht gefährlich.",
        "#t-answer-1": "Nein. Sie brauchen keine Operation.",
        "#t-radpeer": "Gleiche Beurteilung wie im ersten Bericht.",
    }.items():
        signer.fill(field, text)
    problems["translation"] = accessibility_problems(signer)
    keep(signer, screenshots, "08-translation")
    signer.click("#translation button[type=submit]")
    until(lambda: "signed off" in signer.inner_text("#notice"), "the sign-off to be taken")
    desk.close()

    # Then the patient's status page says the report is ready, and its page hands out the PDF
    until(lambda: page.reload() or page.inner_text("#state") == GERMAN["status.delivered"], "delivery", 90)
    page.click("#report-link a")
    page.wait_for_url("**/report.html#*")
    page.click("#with-token button[type=submit]")
    page.wait_for_selector("#download:not([hidden])")
    pdf = patient.request.get(page.get_attribute("#download-link", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Es gibt nichts Schlimmes." in " ".join(text.split())
    problems["report"] = accessibility_problems(page)
    keep(page, screenshots, "09-report")
    patient.close()

    assert {page: found for page, found in problems.items() if found} == {}
    assert errors == []
