"""Leak scan: personal and health data never reach a log, a metric, a trace, an e-mail or a URL.

Every personal and health field of two cases carries a marker, a unique random string: the
patient's e-mail address, symptoms, questions, history, the original reader and institution, the
uploaded files' names and the patient's name in their DICOM headers, and everything the
radiologists write (decline reason, findings, answers, agreed reading, co-sign comment). The
cases run through the whole system (a decline and a reassignment, a critical finding, a consensus
read with a discordance, delivery, downloads with the token and with an e-mailed code) while
everything the functions log, print, trace, e-mail and publish, and every URL requested or handed
out, is collected. No marker may appear in any of it; each must appear where it belongs.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from cli.client import Api, wait_for
from cli.scenario import CaseSpec, Radiologists, open_case, write_series
from local import telemetry, tokens
from local.reconcile import execution_arn
from local.system import LocalSystem

from .conftest import offer_for, staff_token

URL = re.compile(r"https?://[^\s\"'<>]+")
FIELDS = (
    "email",
    "symptoms",
    "question",
    "history",
    "institution",
    "original_radiologist",
    "file_name",
    "patient_name",
    "decline",
    "findings",
    "impression",
    "summary",
    "answer",
    "radpeer_reasoning",
    "recommendation",
    "agreed",
    "cosign",
)


def markers() -> dict[str, str]:
    """One unique marker per field (lowercase letters and digits, so it fits an e-mail address)."""
    return {name: f"mk{secrets.token_hex(6)}" for name in FIELDS}


@dataclass
class Traffic:
    """Every HTTP request the scripted people made, and every answer they got."""

    urls: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traffic]:
    seen = Traffic()
    original = requests.sessions.Session.request

    def recording(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        seen.urls.append(f"{method} {url}")
        for value in (kwargs.get("data") or {}).values() if isinstance(kwargs.get("data"), dict) else []:
            seen.urls.append(str(value))  # presigned POST fields: the key and the signed policy
        response = original(self, method, url, *args, **kwargs)
        try:
            json.loads(response.content)
        except ValueError:
            return response  # a file (DICOM, PDF) or an empty answer
        seen.answers.append(response.text)
        return response

    monkeypatch.setattr(requests.sessions.Session, "request", recording)
    yield seen


def reading(m: dict[str, str], question: str, radpeer: str = "1") -> dict[str, Any]:
    return {
        "findings": f"Findings {m['findings']}.",
        "impression": f"Impression {m['impression']}.",
        "summary": f"Your scan shows {m['summary']}.",
        "answers": [{"question": question, "answer": f"Answer {m['answer']}."}],
        "radpeer": radpeer,
        "radpeer_reasoning": f"Reasoning {m['radpeer_reasoning']}.",
        "recommendations": [f"Recommendation {m['recommendation']}."],
        "confirm_readability": True,  # the markers are no plain language
    }


def spec(m: dict[str, str], folder: Path, **overrides: Any) -> CaseSpec:
    files = write_series("CT_small.dcm", 2, folder, patient_name=f"{m['patient_name']}^Test")
    return CaseSpec(
        files=files,
        names=[f"{m['file_name']}-{i}.dcm" for i in range(len(files))],
        email=f"{m['email']}@example.org",
        symptoms=f"Headaches {m['symptoms']}.",
        questions=[f"Is {m['question']} serious?"],
        clinical_history=f"History {m['history']}.",
        original_institution=f"Hospital {m['institution']}",
        original_radiologist=f"Dr. {m['original_radiologist']}",
        **overrides,
    )


def finished(system: LocalSystem, case_id: str) -> bool:
    status = system.session.client("stepfunctions").describe_execution(
        executionArn=execution_arn(system, case_id)
    )["status"]
    return status != "RUNNING"


def decoded(values: list[str]) -> list[str]:
    """The values, and base64 ones (a presigned POST's policy) decoded as well."""
    out = list(values)
    for value in values:
        try:
            out.append(base64.b64decode(value, validate=True).decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return out


def test_markers_in_every_personal_and_health_field_reach_no_log_metric_trace_email_or_url(
    system: LocalSystem, api: Api, tmp_path: Path, traffic: Traffic
) -> None:
    single, consensus = markers(), markers()
    question = f"Is {single['question']} serious?"
    consensus_question = f"Is {consensus['question']} serious?"
    staff = {r: staff_token(system, r) for r in ("rad-body-1", "rad-body-2", "rad-chest-1")}
    calls = {"n": 0}

    def read(view: dict[str, Any]) -> dict[str, Any]:
        """The single read with a critical finding; the consensus reads disagree, then agree."""
        if view["case_id"] == single_id:
            return {**reading(single, question), "critical_finding": True}
        if view["status"] == "consensus":
            return {**reading(consensus, consensus_question), "findings": f"Agreed {consensus['agreed']}."}
        calls["n"] += 1
        return reading(consensus, consensus_question, radpeer="1" if calls["n"] == 1 else "2a")

    with telemetry.capture(echo=False) as captured:
        # Given a case whose first radiologist declines, giving a reason
        single_id = open_case(api, spec(single, tmp_path / "single")).case_id
        radiologist, assignment = offer_for(api, system, single_id, "")
        api.call(
            "POST",
            f"/assignments/{assignment}/decline",
            staff_token(system, radiologist),
            json={"reason": f"Declined {single['decline']}"},
        )
        # and a consensus case
        bots = Radiologists(
            api, staff, reading=read, poll=0.3, cosign_comment=f"Signed {consensus['cosign']}"
        )
        with bots:
            second = open_case(api, spec(consensus, tmp_path / "consensus", consensus=True))
            # When both run to their delivery
            wait_for(
                lambda: finished(system, single_id) and finished(system, second.case_id), "both cases", 120
            )
        single_token = _token_of(traffic, single_id)
        # and the patient reads the report page, downloads with the token, and with an e-mailed code
        api.call("GET", f"/cases/{single_id}/report", single_token)
        link = api.call("POST", f"/cases/{single_id}/report/link", single_token)
        pdf = requests.get(link["download_url"], timeout=30)
        api.call("POST", f"/cases/{single_id}/report/code", expect=(202,))
        code = wait_for(lambda: _code(system, single["email"]), "the one-time code", 30)
        api.call("POST", f"/cases/{single_id}/report/link", json={"code": code})

    # Then the cases went the way that exercises every path
    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    single_case = api.call("GET", f"/ops/cases/{single_id}", ops)
    second_case = api.call("GET", f"/ops/cases/{second.case_id}", ops)
    assert single_case["status"] == second_case["status"] == "delivered"
    assert "review_declined" in [e["event"] for e in single_case["timeline"]]
    assert "critical_finding" in single_case["alerts"]
    assert {"consensus_discordant", "consensus_cosigned"} <= {e["event"] for e in second_case["timeline"]}
    assert pdf.status_code == 200

    # and the markers travelled: the radiologist saw the patient's words, the patient their files
    answers = "\n".join(traffic.answers).lower()
    for m in (single, consensus):
        for name in ("symptoms", "question", "history", "file_name"):
            assert m[name] in answers, f"{name} never reached the API's answers: the scan proves nothing"
    assert captured.logs and captured.metrics and captured.traces

    # but none reached a log line, a metric, a trace, an e-mail's subject or body, an ops alert, a URL
    emails = [f"{e['subject']}\n{e['body']}" for e in system.sent_emails()]
    alerts = [f"{p['subject']}\n{p['message']}" for p in system.published()]
    links = [u for text in [*traffic.answers, *emails] for u in URL.findall(text)]
    places = {
        "telemetry": captured.everything(),
        "e-mails": emails,
        "ops alerts": alerts,
        "URLs": decoded([*traffic.urls, *links]),
    }
    assert emails and alerts and links
    leaks = [
        f"{field_name} in {place}: {text[:160]}"
        for place, texts in places.items()
        for text in texts
        for m in (single, consensus)
        for field_name, marker in m.items()
        if marker in text.lower()
    ]
    assert leaks == [], "\n".join(sorted({leak[:110] for leak in leaks}))


def _token_of(traffic: Traffic, case_id: str) -> str:
    """The access token the create answer handed out for `case_id`."""
    for answer in traffic.answers:
        if f'"case_id":"{case_id}"' in answer.replace(" ", "") and "access_token" in answer:
            return str(json.loads(answer)["access_token"])
    raise AssertionError(f"no create answer for {case_id}")


def _code(system: LocalSystem, email_marker: str) -> str | None:
    for message in system.sent_emails():
        if email_marker in json.dumps(message["to"]) and "one-time code" in message["subject"]:
            found = re.search(r"\b(\d{6})\b", message["body"])
            if found:
                return found.group(1)
    return None
