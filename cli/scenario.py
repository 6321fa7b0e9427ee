"""Scripted patients and radiologists: whole cases driven through the HTTP API.

The patient opens a case, declares its files, sends each with its presigned POST, waits for every
verdict and submits; radiologists poll their worklists and accept, read, agree and co-sign. Both
retry what a browser or a workstation would retry (an answer of 5xx), so that a failure injected
into a function shows whether the system recovers. Used by the load and fault benchmarks, the
cost tool and the end-to-end tests.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import requests
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from .client import Api, ApiError

SERIES = ("CT_small.dcm", "MR2_J2KI.dcm", "emri_small.dcm", "US1_J2KI.dcm")
"""Real objects from pydicom's test files, one per series kind: CT (body imaging), MR of a
shoulder (musculoskeletal), MR of a head (neuroradiology), ultrasound."""

RETRIES = 6


def write_series(template: str, count: int, folder: Path, *, patient_name: str | None = None) -> list[Path]:
    """`count` instances of one real object as one series of one study: new study, series and
    instance UIDs, numbered instances, the header otherwise as the scanner wrote it."""
    source = get_testdata_file(template, download=False)
    if source is None:
        raise SystemExit(f"pydicom's test file {template} is missing; reinstall pydicom")
    dataset = dcmread(str(source))
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    if patient_name is not None:
        dataset.PatientName = patient_name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        dataset.InstanceNumber = index + 1
        path = folder / f"{Path(template).stem}-{index + 1:04d}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


@dataclass
class CaseSpec:
    """What the patient sends and uploads."""

    files: list[Path]
    tier: str = "standard"
    consensus: bool = False
    language: str = "en"
    email: str = "patient@example.org"
    symptoms: str = "Pain after a fall."
    questions: list[str] = field(default_factory=lambda: ["Is it serious?"])
    clinical_history: str = ""
    original_institution: str = ""
    original_radiologist: str = ""
    names: list[str] | None = None
    """File names as the patient's browser reports them (default: the files' own names)."""

    def request(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "consensus": self.consensus,
            "longitudinal": False,
            "language": self.language,
            "email": self.email,
            "symptoms": self.symptoms,
            "questions": self.questions,
            "clinical_history": self.clinical_history,
            "original_institution": self.original_institution,
            "original_radiologist": self.original_radiologist,
            "consent": True,
        }


@dataclass
class OpenedCase:
    """A submitted case and when (time.monotonic()) each of its patient's steps happened."""

    case_id: str
    token: str
    files: int
    upload_started: float
    validated: float
    submitted: float


def retrying(
    action: Callable[[], Any],
    what: str,
    attempts: int = RETRIES,
    before_again: Callable[[], None] | None = None,
) -> Any:
    """Run an API call, again after a 5xx answer (the function failed), a dropped connection or no
    answer in time, as a browser would; `before_again` runs before each new try."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except (ApiError, requests.ConnectionError, requests.Timeout) as error:
            if (isinstance(error, ApiError) and error.status < 500) or attempt == attempts:
                raise
        time.sleep(0.2 * attempt)
        if before_again is not None:
            before_again()
    raise AssertionError(f"unreachable: {what}")


def _declare(api: Api, case_id: str, token: str, spec: CaseSpec, names: list[str]) -> list[dict[str, Any]]:
    body = {
        "files": [
            {"name": n, "size": p.stat().st_size, "kind": "dicom"}
            for n, p in zip(names, spec.files, strict=True)
        ]
    }

    def take_back() -> None:
        """The failed call may have declared the files before it died: take those back first."""
        for f in retrying(lambda: api.call("GET", f"/cases/{case_id}", token), "the case")["files"]:
            path = f"/cases/{case_id}/files/{f['file_id']}"
            retrying(partial(api.call, "DELETE", path, token, expect=(204, 404)), "removing a file")

    declared = retrying(
        lambda: api.call("POST", f"/cases/{case_id}/files", token, json=body),
        "declare",
        before_again=take_back,
    )
    return list(declared["uploads"])


def open_case(
    api: Api, spec: CaseSpec, *, upload_workers: int = 4, poll: float = 0.5, patience: float = 300
) -> OpenedCase:
    """Create, declare, upload (`upload_workers` at a time, like a browser) and submit a case,
    waiting at most `patience` seconds for the verdicts once the files are sent."""
    # A browser retries a failed create too, with the same Idempotency-Key: a create that failed
    # after its work gives the same case back instead of leaving an unused one behind.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = retrying(lambda: api.call("POST", "/cases", json=spec.request(), headers=key), "create")
    case_id, token = created["case_id"], created["access_token"]
    names = spec.names or [p.name for p in spec.files]
    uploads = _declare(api, case_id, token, spec, names)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=upload_workers) as pool:
        list(pool.map(lambda pair: api.upload(pair[0], pair[1]), zip(uploads, spec.files, strict=True)))
    deadline = time.monotonic() + patience
    while True:
        case = retrying(lambda: api.call("GET", f"/cases/{case_id}", token), "the case")
        if all(f["verdict"] != "pending" for f in case["files"]):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id}: files still pending after {patience:.0f} s")
        time.sleep(poll)
    validated = time.monotonic()
    confirm = {"confirm_different_people": True} if case["people"] > 1 else None
    retrying(lambda: api.call("POST", f"/cases/{case_id}/submit", token, json=confirm), "submit")
    return OpenedCase(
        case_id=case_id,
        token=token,
        files=len(spec.files),
        upload_started=started,
        validated=validated,
        submitted=time.monotonic(),
    )


def normal_reading(view: dict[str, Any]) -> dict[str, Any]:
    """A plain normal reading that answers every question of the patient."""
    return {
        "findings": "No acute abnormality.",
        "impression": "Normal study.",
        "summary": "Your scan looks normal.",
        "answers": [{"question": q, "answer": "No, it is not serious."} for q in view["questions"]],
        "radpeer": "1",
        "radpeer_reasoning": "Same reading as the original report.",
        "recommendations": ["Discuss with your doctor."],
    }


Reading = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Radiologists:
    """One thread per radiologist: poll the worklist, act on every item the workflow waits on."""

    api: Api
    tokens: dict[str, str]  # radiologist id -> bearer token
    reading: Reading = normal_reading
    poll: float = 0.5
    fetch_images: bool = False
    """Also download every file of a case once (the viewer), as a radiologist's workstation does."""
    cosign_comment: str = ""
    actions: list[tuple[str, str, str]] = field(default_factory=list)
    """(radiologist id, assignment id, action) of every action taken."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Radiologists:
        for radiologist in self.tokens:
            thread = threading.Thread(target=self._work, args=(radiologist,), name=f"rad-{radiologist}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def __enter__(self) -> Radiologists:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _work(self, radiologist: str) -> None:
        token = self.tokens[radiologist]
        while not self._stop.wait(self.poll):
            try:
                items = self.api.call("GET", "/worklist", token)
            except (ApiError, OSError):
                continue  # a failed poll is followed by the next one
            # offers first: an offer lapses within hours, a read has the rest of the SLA
            for item in sorted(items, key=lambda i: i["status"] != "offered"):
                try:
                    self._act(radiologist, token, item)
                except (ApiError, OSError):
                    continue  # not ready, taken back or failed: the next poll sees where it stands

    def _act(self, radiologist: str, token: str, item: dict[str, Any]) -> None:
        assignment = item["assignment_id"]
        path = f"/assignments/{assignment}"
        if item["status"] == "offered":
            self.api.call("POST", f"{path}/accept", token)
            action = "accept"
        elif item["status"] == "accepted":
            view = self.api.call("GET", path, token)
            if self.fetch_images:
                for image in view["files"]:
                    requests.get(image["url"], timeout=30).raise_for_status()
            self.api.call("POST", f"{path}/report", token, json=self.reading(view))
            action = "report"
        elif item["status"] == "consensus":
            view = self.api.call("GET", path, token)
            self.api.call("POST", f"{path}/consensus", token, json=self.reading(view))
            action = "consensus"
        elif item["status"] == "cosign":
            self.api.call("POST", f"{path}/cosign", token, json={"comment": self.cosign_comment})
            action = "cosign"
        else:
            return
        with self._lock:
            self.actions.append((radiologist, assignment, action))
