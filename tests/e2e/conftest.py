"""The whole system, once for this package (torn down before the next suite runs): the
synthesized template deployed into moto, the real state machine run by moto's interpreter, the
real handlers, the local gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.data import get_testdata_file

from cli.client import Api, wait_for
from local import tokens
from local.system import LocalSystem

TIME_SCALE = 3600.0
"""An hour passes in a second. Standard: a 4 s acceptance window, 6 s heartbeats, a 72 s SLA;
expedited: a 1 s acceptance window, 2 s heartbeats, a 24 s SLA."""


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    assembly = Path("cdk.out")
    if not (assembly / "manifest.json").exists():
        pytest.fail("cdk.out is missing: run `make synth` (make test does) before the e2e tests")
    running = LocalSystem(
        assembly_dir=assembly, port=0, time_scale=TIME_SCALE, state_dir=tmp_path_factory.mktemp("local-state")
    ).start()
    yield running
    running.stop()


@pytest.fixture
def api(system: LocalSystem) -> Api:
    return Api(system.api_url)


def staff_token(system: LocalSystem, radiologist_id: str) -> str:
    return tokens.mint(tokens.radiologist_claims(radiologist_id), tokens.signing_key(system.state_dir))


def open_case(
    api: Api,
    *,
    tier: str = "standard",
    questions: list[str] | None = None,
    files: tuple[str, ...] = ("CT_small.dcm",),
    consensus: bool = False,
    longitudinal: bool = False,
    language: str = "en",
) -> tuple[str, str]:
    """A submitted case whose files are real DICOM objects from pydicom's test data."""
    created = api.call(
        "POST",
        "/cases",
        json={
            "tier": tier,
            "consensus": consensus,
            "longitudinal": longitudinal,
            "language": language,
            "email": "patient@example.org",
            "symptoms": "pain",
            "questions": questions or ["Is it serious?"],
            "consent": True,
        },
    )
    case_id, token = created["case_id"], created["access_token"]
    paths = [Path(p) for p in (get_testdata_file(f, download=False) for f in files) if p]
    declared = api.call(
        "POST",
        f"/cases/{case_id}/files",
        token,
        json={"files": [{"name": p.name, "size": p.stat().st_size, "kind": "dicom"} for p in paths]},
    )
    for instruction, path in zip(declared["uploads"], paths, strict=True):
        api.upload(instruction, path)
    wait_for(
        lambda: all(f["verdict"] != "pending" for f in api.call("GET", f"/cases/{case_id}", token)["files"]),
        "validation",
        30,
    )
    # pydicom's test files name different patients; a case of several is confirmed as the patient's
    confirm = {"confirm_different_people": True} if len(paths) > 1 else None
    api.call("POST", f"/cases/{case_id}/submit", token, json=confirm)
    return case_id, token


def ops_detail(system: LocalSystem, api: Api, case_id: str) -> dict[str, Any]:
    """What ops see of a case: the full audit timeline and every assignment."""
    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    return dict(api.call("GET", f"/ops/cases/{case_id}", ops))


def events(system: LocalSystem, api: Api, case_id: str) -> list[str]:
    """The names of every event on the case's audit timeline."""
    return [e["event"] for e in ops_detail(system, api, case_id)["timeline"]]


def assignments(system: LocalSystem, api: Api, case_id: str) -> list[str]:
    """Radiologists the case was assigned to, in order of their offers (from the ops view)."""
    offers = sorted(
        ops_detail(system, api, case_id)["assignments"], key=lambda a: (a["offered_at"], a["attempt"])
    )
    return [a["radiologist_id"] for a in offers]


def offer_for(api: Api, system: LocalSystem, case_id: str, token: str, nth: int = 1) -> tuple[str, str]:
    """(radiologist id, assignment id) of the nth assignment of the case, once it can be acted on."""
    radiologist = wait_for(
        lambda: (a := assignments(system, api, case_id)) and len(a) >= nth and a[nth - 1],
        f"assignment {nth}",
        60,
    )
    staff = staff_token(system, radiologist)

    def offered() -> Any:
        items = [i for i in api.call("GET", "/worklist", staff) if i["case_id"] == case_id]
        return items[0]["assignment_id"] if items else None

    return radiologist, wait_for(offered, "the offer on the worklist", 30)


def report_body(questions: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        **{
            "findings": "No acute abnormality.",
            "impression": "Normal study.",
            "summary": "Your scan looks normal.",
            "answers": [{"question": q, "answer": "No, it is not serious."} for q in questions],
            "radpeer": "1",
            "radpeer_reasoning": "Same reading as the original report.",
            "recommendations": ["Discuss with your doctor."],
        },
        **overrides,
    }


def accept(api: Api, system: LocalSystem, radiologist: str, case_id: str, assignment_id: str) -> str:
    """Accept an offer and wait until the read can be acted on; the radiologist's token."""
    staff = staff_token(system, radiologist)
    assert api.call("POST", f"/assignments/{assignment_id}/accept", staff)["status"] == "accepted"

    def reading() -> bool:
        items = [i for i in api.call("GET", "/worklist", staff) if i["assignment_id"] == assignment_id]
        return bool(items) and items[0]["status"] == "accepted"

    wait_for(reading, "the read to start", 30)
    return staff
