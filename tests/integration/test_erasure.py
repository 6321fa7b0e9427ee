"""Erasure on request against moto: the case's objects (every version), file rows, readings and
personal fields are gone, an anonymous record stays, and the case's token opens nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from moto.ses.models import ses_backends
from secondopinion.models import execution_arn
from secondopinion.store import RosterStore

from local import cloud

from .support import (
    OPS_CLAIMS,
    PNG,
    REGION,
    ApiResponse,
    Offer,
    RecordingStepFunctions,
    Stack,
    Uploads,
    accept,
    call_api,
    create_case,
    ct_small,
    get_case,
    invoke,
    radiologist_claims,
    report_body,
    send_report,
)

PERSONAL_FIELDS = {
    "email",
    "symptoms",
    "questions",
    "clinical_history",
    "original_institution",
    "original_radiologist",
    "token_hash",
    "identity_salt",
    "region",
    "language",
    "report_key",
    "html_key",
    "verification_code",
    "code_hash",
}
AUDIT_FIELDS = {
    "case_id",
    "status",
    "tier",
    "created_at",
    "submitted_at",
    "delivered_at",
    "erased_at",
    "erased_by",
    "timeline",
}


@dataclass(frozen=True)
class Case:
    case_id: str
    token: str
    mark: str
    """A string unique to this case, inside each of its personal fields and its reading."""
    assignment_id: str | None = None
    radiologist_id: str | None = None


def _personal(mark: str) -> dict[str, Any]:
    return {
        "email": f"{mark}@example.org",
        "symptoms": f"{mark} symptom: pain in the right flank",
        "questions": [f"{mark} question: is the lesion in my liver cancer?"],
        "clinical_history": f"{mark} history: hepatitis B in 2019",
        "original_institution": f"{mark} institution",
        "original_radiologist": f"Dr {mark}",
    }


def _mark() -> str:
    return f"zqxerase{uuid.uuid4().hex[:10]}"


@pytest.fixture
def delivered(
    offered: Callable[..., Offer], step_functions: RecordingStepFunctions, uploads: Uploads
) -> Case:
    """A delivered case with a second, named file, a reading and the report in the bucket."""
    mark = _mark()
    personal = _personal(mark)
    waiting = offered(**personal)
    accept(waiting.assignment_id)
    body = report_body(personal["questions"], findings=f"{mark} finding: a 12 mm simple cyst in the liver.")
    assert send_report(waiting.assignment_id, body).status == 200
    report = invoke(
        "report", {"case_id": waiting.case_id, "reading": {"assignment_id": waiting.assignment_id}}
    )
    invoke("deliver", report)
    return Case(waiting.case_id, waiting.token, mark, waiting.assignment_id, waiting.radiologist_id)


def _erase(case_id: str, claims: dict[str, str] | None = OPS_CLAIMS) -> ApiResponse:
    return call_api(
        "intake", "POST", "/ops/cases/{case_id}/erase", path_parameters={"case_id": case_id}, claims=claims
    )


def _versions(stack: Stack, bucket_variable: str, case_id: str) -> list[dict[str, Any]]:
    listed = stack.client("s3").list_object_versions(
        Bucket=stack.environment[bucket_variable], Prefix=f"cases/{case_id}/"
    )
    return [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]


def _scan(stack: Stack, table_variable: str) -> list[dict[str, Any]]:
    table = stack.session.resource("dynamodb", region_name=REGION).Table(stack.environment[table_variable])
    return list(table.scan()["Items"])


def _case_assignments(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    return [
        i
        for i in _scan(stack, "ASSIGNMENTS_TABLE")
        if i.get("case_id") == case_id or case_id in i["assignment_id"]
    ]


def test_erasure_deletes_every_object_version_of_the_case_in_both_buckets(
    stack: Stack, delivered: Case
) -> None:
    # Given a delivered case: uploads (the original and its preamble-zeroed version) and reports
    before = _versions(stack, "UPLOADS_BUCKET", delivered.case_id) + _versions(
        stack, "REPORTS_BUCKET", delivered.case_id
    )
    assert len(_versions(stack, "UPLOADS_BUCKET", delivered.case_id)) >= 2
    assert len(_versions(stack, "REPORTS_BUCKET", delivered.case_id)) >= 2

    # When ops erase the case
    response = _erase(delivered.case_id)

    # Then no version and no delete marker is left under the case's prefix in either bucket
    assert response.status == 200, response.text
    assert response.json["status"] == "erased"
    assert response.json["objects_deleted"] == len(before)
    assert _versions(stack, "UPLOADS_BUCKET", delivered.case_id) == []
    assert _versions(stack, "REPORTS_BUCKET", delivered.case_id) == []


def test_erasure_deletes_the_file_rows_and_the_readings(stack: Stack, delivered: Case) -> None:
    # Given a delivered case with its files and the radiologist's reading stored
    assert stack.items("FILES_TABLE", delivered.case_id)
    assert any("submission" in a for a in _case_assignments(stack, delivered.case_id))

    # When ops erase it
    response = _erase(delivered.case_id)

    # Then its file rows and its assignments (reading, task token) are gone
    assert response.json["files_deleted"] == 1 and response.json["assignments_deleted"] == 1
    assert stack.items("FILES_TABLE", delivered.case_id) == []
    assert _case_assignments(stack, delivered.case_id) == []


def test_erasure_leaves_no_personal_data_of_the_case_in_any_table(stack: Stack, delivered: Case) -> None:
    # Given a delivered case whose every personal field and reading holds the case's mark
    for table in ("CASES_TABLE", "ASSIGNMENTS_TABLE"):
        assert any(delivered.mark in json.dumps(i, default=str) for i in _scan(stack, table)), table

    # When ops erase it
    assert _erase(delivered.case_id).status == 200

    # Then the case item has no personal field, and the mark is in no item of any table
    item = stack.item("CASES_TABLE", {"case_id": delivered.case_id})
    assert PERSONAL_FIELDS.isdisjoint(item)
    for table in ("CASES_TABLE", "FILES_TABLE", "ASSIGNMENTS_TABLE", "ROSTER_TABLE"):
        found = [i for i in _scan(stack, table) if delivered.mark in json.dumps(i, default=str).lower()]
        assert found == [], table


def test_erasure_keeps_an_anonymous_audit_record(stack: Stack, delivered: Case) -> None:
    # Given a delivered case and its timeline
    before = stack.item("CASES_TABLE", {"case_id": delivered.case_id})

    # When ops erase it
    erased = _erase(delivered.case_id).json

    # Then its item keeps only the id, tier, dates and the events' names and times, actors by role
    item = stack.item("CASES_TABLE", {"case_id": delivered.case_id})
    assert set(item) == AUDIT_FIELDS
    assert item["status"] == "erased" and item["erased_at"] == erased["erased_at"]
    assert item["erased_by"] == OPS_CLAIMS["sub"]
    assert item["tier"] == before["tier"]
    for name in ("created_at", "submitted_at", "delivered_at"):
        assert datetime.fromisoformat(item[name]) == datetime.fromisoformat(before[name]), name
    assert [(e["event"], e["at"]) for e in item["timeline"][:-1]] == [
        (e["event"], e["at"]) for e in before["timeline"]
    ]
    assert item["timeline"][-1]["event"] == "erased"
    assert {e["actor"] for e in item["timeline"]} <= {"patient", "system", "staff"}


def test_erasing_twice_is_fine(stack: Stack, delivered: Case) -> None:
    # Given an erased case
    first = _erase(delivered.case_id)

    # When ops erase it again
    second = _erase(delivered.case_id)

    # Then the second finds nothing left to delete and reports the first erasure
    assert second.status == 200, second.text
    assert second.json["erased_at"] == first.json["erased_at"]
    assert second.json["objects_deleted"] == second.json["files_deleted"] == 0


def test_the_token_of_an_erased_case_opens_nothing(delivered: Case) -> None:
    # Given an erased case
    assert _erase(delivered.case_id).status == 200
    sent = len(ses_backends[cloud.ACCOUNT][REGION].sent_messages)

    # When its patient uses the token, or asks for a code
    path = {"case_id": delivered.case_id}
    answers = [
        get_case(delivered.case_id, delivered.token),
        call_api("deliver", "GET", "/cases/{case_id}/report", path_parameters=path, token=delivered.token),
        call_api(
            "deliver", "POST", "/cases/{case_id}/report/link", path_parameters=path, token=delivered.token
        ),
    ]
    code = call_api("deliver", "POST", "/cases/{case_id}/report/code", path_parameters=path)

    # Then the case is unknown everywhere, and no e-mail goes out
    assert [(a.status, a.json["error"]) for a in answers] == [(404, "case_not_found")] * 3
    assert code.status == 202
    assert len(ses_backends[cloud.ACCOUNT][REGION].sent_messages) == sent


def test_erasure_is_for_ops_only(delivered: Case) -> None:
    # Given a delivered case / When a radiologist or nobody erases it / Then they are refused
    assert _erase(delivered.case_id, radiologist_claims()).status == 403
    assert _erase(delivered.case_id, None).status == 401
    assert _erase("0" * 32).json["error"] == "case_not_found"


def test_erasing_a_case_in_review_stops_the_review_and_gives_the_slot_back(
    stack: Stack, offered: Callable[..., Offer], fresh_roster: RosterStore
) -> None:
    # Given a case whose offer a radiologist accepted: the workflow runs, a slot is taken
    case = offered(**_personal(_mark()))
    accept(case.assignment_id)
    held = fresh_roster.get(case.radiologist_id)
    assert held is not None and held.open_reads == 1

    # When ops erase it
    assert _erase(case.case_id).status == 200

    # Then the execution is stopped, the slot given back and the worklist no longer holds the case
    sfn = stack.client("stepfunctions")
    execution = execution_arn(stack.environment["STATE_MACHINE_ARN"], case.case_id)
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    released = fresh_roster.get(case.radiologist_id)
    assert released is not None and released.open_reads == 0
    worklist = call_api("assign", "GET", "/worklist", claims=radiologist_claims(case.radiologist_id))
    assert worklist.status == 200, worklist.text
    assert [i for i in worklist.json if i["case_id"] == case.case_id] == []


def test_erasing_an_unsubmitted_case_aborts_its_open_multipart_upload(stack: Stack, uploads: Uploads) -> None:
    # Given an open case with one uploaded file and a large one whose multipart upload is open
    case_id, token = create_case(**_personal(_mark()))
    uploads.upload(case_id, token, ct_small())
    uploads.declare_one(case_id, token, 200 * 1024**2, name="large.dcm")
    s3, bucket = stack.client("s3"), stack.environment["UPLOADS_BUCKET"]
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix=f"cases/{case_id}/").get("Uploads")

    # When ops erase it
    response = _erase(case_id)

    # Then nothing of it is left in the bucket, not even the multipart upload's parts
    assert response.status == 200, response.text
    assert response.json["files_deleted"] == 2
    assert _versions(stack, "UPLOADS_BUCKET", case_id) == []
    assert not s3.list_multipart_uploads(Bucket=bucket, Prefix=f"cases/{case_id}/").get("Uploads")


# --- the daily sweep of abandoned cases -------------------------------------------------------------


def _age(stack: Stack, case_id: str, days: float) -> None:
    """Move every event of a case `days` into the past, as if it had waited that long."""
    table = stack.session.resource("dynamodb").Table(stack.environment["CASES_TABLE"])
    item = table.get_item(Key={"case_id": case_id})["Item"]
    shift = timedelta(days=days)
    for event in item["timeline"]:
        event["at"] = (datetime.fromisoformat(event["at"]) - shift).isoformat()
    item["created_at"] = (datetime.fromisoformat(item["created_at"]) - shift).isoformat()
    table.put_item(Item=item)


def _sweep() -> dict[str, Any]:
    return dict(invoke("intake", {"action": "sweep_abandoned"}))


def test_the_sweep_erases_cases_nobody_submitted_within_the_retention_and_keeps_the_rest(
    stack: Stack, uploads: Uploads
) -> None:
    # Given a case opened 31 days ago with a file and never submitted, one opened 29 days ago,
    # and one submitted long ago (the default retention for unsubmitted cases is 30 days)
    old_id, old_token = create_case(**_personal(_mark()))
    uploads.upload(old_id, old_token, ct_small())
    _age(stack, old_id, 31)
    recent_id, recent_token = create_case()
    _age(stack, recent_id, 29)
    submitted_id, submitted_token = create_case()
    uploads.upload(submitted_id, submitted_token, ct_small())
    assert (
        call_api(
            "intake",
            "POST",
            "/cases/{case_id}/submit",
            path_parameters={"case_id": submitted_id},
            token=submitted_token,
        ).status
        == 200
    )
    _age(stack, submitted_id, 60)

    # When the daily sweep runs
    swept = _sweep()

    # Then only the abandoned case is erased: its files and personal fields are gone, an
    # anonymous record says the retention erased it; the others are untouched
    assert swept["erased"] >= 1
    record = stack.item("CASES_TABLE", {"case_id": old_id})
    assert record["status"] == "erased" and record["erased_by"] == "retention:abandoned"
    assert not PERSONAL_FIELDS & set(record)
    assert _versions(stack, "UPLOADS_BUCKET", old_id) == []
    assert get_case(old_id, old_token).status == 404
    assert get_case(recent_id, recent_token).status == 200
    assert get_case(submitted_id, submitted_token).json["status"] == "in_review"


def test_a_case_returned_to_the_patient_is_kept_from_its_return_on(stack: Stack, uploads: Uploads) -> None:
    # Given a case opened 40 days ago and returned to the patient (only a PNG) 10 days ago
    case_id, token = create_case()
    _age(stack, case_id, 30)
    uploads.upload(case_id, token, PNG)
    assert (
        call_api(
            "intake", "POST", "/cases/{case_id}/submit", path_parameters={"case_id": case_id}, token=token
        ).json["status"]
        == "returned"
    )
    _age(stack, case_id, 10)
    # When the sweep runs, the case is kept: the patient has 30 days from the return
    _sweep()
    assert get_case(case_id, token).json["status"] == "returned"
    # And once 30 days have passed since the return, it is erased
    _age(stack, case_id, 21)
    _sweep()
    assert get_case(case_id, token).status == 404


def test_the_patient_sees_until_when_an_unsubmitted_case_is_kept() -> None:
    # Given a case just opened (the retention for unsubmitted cases is 30 days)
    case_id, token = create_case()
    view = get_case(case_id, token).json
    opened = datetime.fromisoformat(view["timeline"][0]["at"])
    # Then its view says it is erased 30 days from now unless it is sent
    assert datetime.fromisoformat(view["erase_after"]) - opened == timedelta(days=30)
