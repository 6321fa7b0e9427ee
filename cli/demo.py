"""`secondopinion demo`: one case through the local stack, from request to delivered report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from pydicom.data import get_testdata_file

from local import tokens
from local.system import LocalSystem

from .client import Api, wait_for

TIME_SCALE = 3600.0  # an SLA hour passes in a second
STUDY = ("CT_small.dcm",)


def _step(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:6.2f}s] {text}", flush=True)


def _study_files() -> list[Path]:
    paths = [get_testdata_file(name, download=False) for name in STUDY]
    return [Path(p) for p in paths if p]


def _assigned_radiologist(detail: dict[str, Any]) -> str | None:
    """Who the case is offered to, as ops see it (the patient's view names no staff)."""
    live = [a for a in detail["assignments"] if a["status"] in ("offered", "accepted")]
    return live[-1]["radiologist_id"] if live else None


def run(assembly: Path, out: Path) -> int:
    started = time.monotonic()
    system = LocalSystem(assembly_dir=assembly, port=0, time_scale=TIME_SCALE).start()
    try:
        _step(started, f"local stack up: API {system.api_url}, SLA time {TIME_SCALE:g}x faster")
        api = Api(system.api_url)
        ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
        created = api.call(
            "POST",
            "/cases",
            json={
                "tier": "standard",
                "consensus": False,
                "longitudinal": False,
                "language": "en",
                "email": "patient@example.org",
                "symptoms": "Headaches after a fall.",
                "questions": ["Is there any bleeding?", "Do I need another scan?"],
                "clinical_history": "No prior surgery.",
                "consent": True,
            },
        )
        case_id, token = created["case_id"], created["access_token"]
        _step(started, f"case {case_id} created (standard tier, report in English)")

        files = _study_files()
        declared = api.call(
            "POST",
            f"/cases/{case_id}/files",
            token,
            json={"files": [{"name": p.name, "size": p.stat().st_size, "kind": "dicom"} for p in files]},
        )
        for instruction, path in zip(declared["uploads"], files, strict=True):
            api.upload(instruction, path)
            _step(started, f"uploaded {path.name} ({path.stat().st_size} bytes) with a presigned POST")

        case = wait_for(
            lambda: (
                (c := api.call("GET", f"/cases/{case_id}", token))
                and all(f["verdict"] != "pending" for f in c["files"])
                and c
            ),
            "validation",
            30,
        )
        for f in case["files"]:
            _step(started, f"validated {f['name']}: {f['verdict']} {f['content'] or f['reason']}")

        case = api.call("POST", f"/cases/{case_id}/submit", token)
        _step(started, f"submitted: {case['status']}, deadline {case['deadline']}")

        radiologist = wait_for(
            lambda: _assigned_radiologist(api.call("GET", f"/ops/cases/{case_id}", ops)), "assignment", 30
        )
        staff = tokens.mint(tokens.radiologist_claims(radiologist), tokens.signing_key(system.state_dir))
        item = wait_for(lambda: api.call("GET", "/worklist", staff), "the worklist", 30)[0]
        assignment_id = item["assignment_id"]
        _step(started, f"assigned to {radiologist} ({item['subspecialty']}), due {item['due_at']}")

        view = wait_for(lambda: _ready(api, assignment_id, staff), "the assignment", 30)
        _step(
            started,
            f"radiologist opens the case: {len(view['studies'])} study, {len(view['files'])} file(s), "
            f"{len(view['questions'])} questions",
        )
        api.call("POST", f"/assignments/{assignment_id}/accept", staff)
        wait_for(lambda: _reading(api, assignment_id, staff), "the read to start", 30)
        _step(started, "radiologist accepted; the read has started (heartbeats keep it alive)")
        api.call(
            "POST",
            f"/assignments/{assignment_id}/report",
            staff,
            json={
                "findings": "No bleeding inside the skull. The brain and its fluid spaces look normal "
                "for age.",
                "impression": "Normal examination; no sign of injury.",
                "summary": "Your scan looks normal. There is no bleeding and no sign of injury to the brain.",
                "answers": [
                    {"question": "Is there any bleeding?", "answer": "No. We see no bleeding."},
                    {
                        "question": "Do I need another scan?",
                        "answer": "Not because of this scan. Ask your doctor if your headaches go on.",
                    },
                ],
                "radpeer": "1",
                "radpeer_reasoning": "The original report describes the same normal findings.",
                "recommendations": ["See your doctor if the headaches get worse or do not stop."],
                "critical_finding": False,
            },
        )
        _step(started, "radiologist submitted the structured report")

        case = wait_for(lambda: _notified(api.call("GET", f"/cases/{case_id}", token)), "delivery", 60)
        # The e-mail links to the report page; the page's POST mints the short-lived download URL.
        link = api.call("POST", f"/cases/{case_id}/report/link", token)
        pdf = requests.get(link["download_url"], timeout=30)
        pdf.raise_for_status()
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"report-{case_id}.pdf"
        target.write_bytes(pdf.content)
        _step(started, f"delivered; report downloaded through a {link['expires_at']} link -> {target}")
        print("\ntimeline (the audit trail ops see; the patient sees the milestones):")
        for event in api.call("GET", f"/ops/cases/{case_id}", ops)["timeline"]:
            print(f"  {event['at']}  {event['event']:18} {event['actor']}")
        sent = system.sent_emails()
        print(f"\ne-mails sent: {len(sent)} (subject: {sent[0]['subject'] if sent else '-'})")
        return 0
    finally:
        system.stop()


def _reading(api: Api, assignment_id: str, staff: str) -> bool:
    """The accepted offer has become a read the radiologist can report on."""
    items = [i for i in api.call("GET", "/worklist", staff) if i["assignment_id"] == assignment_id]
    return bool(items) and items[0]["status"] == "accepted"


def _notified(case: dict[str, Any]) -> dict[str, Any] | None:
    """The case once it is delivered and the patient has been e-mailed."""
    events = {e["event"] for e in case["timeline"]}
    return case if case["status"] == "delivered" and "patient_notified" in events else None


def _ready(api: Api, assignment_id: str, staff: str) -> dict[str, Any] | None:
    view = api.call("GET", f"/assignments/{assignment_id}", staff)
    return view if view else None
