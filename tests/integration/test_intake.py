"""Intake against moto: opening a case, who may read it, the upload policy, submitting."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.intake import handler as intake_handler

from .support import (
    PNG,
    Stack,
    Uploads,
    call_api,
    case_request,
    create_case,
    declare,
    get_case,
    submit,
)

MARKER = "ZQXMARKER"
"""A string no message of ours contains: where it shows up, a submitted value was echoed."""
GIB = 1024**3


def test_opening_a_case_returns_201_with_its_id_and_a_url_safe_access_token() -> None:
    # Given a complete request with consent
    request = case_request()

    # When the patient opens the case
    response = call_api("intake", "POST", "/cases", body=request)

    # Then it is created, awaiting upload, with a 256-bit URL-safe token shown this once
    assert response.status == 201
    assert re.fullmatch(r"[0-9a-f]{32}", response.json["case_id"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", response.json["access_token"])
    assert response.json["status"] == "awaiting_upload"


def test_the_stored_case_keeps_only_a_sha256_hash_of_the_access_token(stack: Stack) -> None:
    # Given a case just opened
    case_id, token = create_case()

    # When its stored item is read straight from the table
    item = stack.item("CASES_TABLE", {"case_id": case_id})

    # Then it holds the token's SHA-256 and the token itself nowhere
    assert item["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(item, default=str)


KEY = "3f0c1b9e-5d7a-4e2b-9c8d-1a2b3c4d5e6f"


def _open(request: dict[str, Any], key: str = KEY) -> Any:
    return call_api("intake", "POST", "/cases", body=request, headers={"Idempotency-Key": key})


def test_a_repeated_request_with_its_idempotency_key_gets_the_same_case_with_a_new_token(
    stack: Stack,
) -> None:
    # Given a case opened with an Idempotency-Key, whose answer the browser never saw
    key = f"repeat-{uuid.uuid4()}"
    request = case_request()
    first = _open(request, key)
    assert first.status == 201

    # When the browser sends the same request with the same key again
    again = _open(request, key)

    # Then it gets the same case, not a second one, under a new token that works; the first
    # token (never seen) no longer does, and the case's timeline says the request was repeated
    assert again.status == 201 and again.json["case_id"] == first.json["case_id"]
    assert again.json["access_token"] != first.json["access_token"]
    case_id = first.json["case_id"]
    assert get_case(case_id, again.json["access_token"]).status == 200
    assert get_case(case_id, first.json["access_token"]).status == 404
    item = stack.item("CASES_TABLE", {"case_id": case_id})
    assert [e["event"] for e in item["timeline"]] == ["case_created", "case_request_repeated"]
    # and what is kept of the request cannot link it to another: the same request under another
    # key opens a case whose request hash differs (salted per case)
    other = _open(request, f"repeat-{uuid.uuid4()}")
    twin = stack.item("CASES_TABLE", {"case_id": other.json["case_id"]})
    assert twin["request_hash"] != item["request_hash"]


def test_an_idempotency_key_reused_for_another_request_is_422_and_opens_nothing() -> None:
    # Given a case opened under a key
    key = f"other-{uuid.uuid4()}"
    first = _open(case_request(), key)
    # When a different request comes with the same key
    other = _open(case_request(symptoms="Something else entirely"), key)
    # Then it is refused, saying what to do, and the first case keeps its token
    assert other.status == 422 and other.json["error"] == "idempotency_key_reused"
    assert "new key" in other.json["message"]
    assert get_case(first.json["case_id"], first.json["access_token"]).status == 200


def test_an_idempotency_key_is_spent_once_files_were_declared() -> None:
    # Given a case opened under a key, to which the patient declared a file
    key = f"spent-{uuid.uuid4()}"
    request = case_request()
    first = _open(request, key)
    case_id, token = first.json["case_id"], first.json["access_token"]
    assert declare(case_id, token, [{"name": "a.dcm", "size": 1000, "kind": "dicom"}]).status == 201
    # When the same request comes again with the same key
    again = _open(request, key)
    # Then no new token is handed out (the patient has the first): the key is spent
    assert again.status == 422 and again.json["error"] == "idempotency_key_reused"
    assert get_case(case_id, token).status == 200


@pytest.mark.parametrize("key", ["short", "x" * 129, "has spaces in it but is long enough", "ü" * 30])
def test_a_malformed_idempotency_key_is_400_saying_what_a_key_looks_like(key: str) -> None:
    response = _open(case_request(), key)
    assert response.status == 400 and "Idempotency-Key" in response.json["message"]


def test_requests_without_a_key_each_open_their_own_case() -> None:
    request = case_request()
    first = call_api("intake", "POST", "/cases", body=request)
    second = call_api("intake", "POST", "/cases", body=request)
    assert first.json["case_id"] != second.json["case_id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tier": "premium"}, "tier"),
        ({"language": "es"}, "language"),
        ({"consent": None}, "consent"),
        ({"email": f"{MARKER}-at-example.org"}, "email"),
        ({"email": f"{MARKER}@@example.org"}, "email"),
        ({"questions": [f"{MARKER} question {i}?" for i in range(11)]}, "questions"),
    ],
    ids=[
        "tier-premium",
        "language-es",
        "consent-missing",
        "email-without-at",
        "email-two-ats",
        "11-questions",
    ],
)
def test_an_invalid_case_request_is_422_naming_the_field_without_echoing_values(
    overrides: dict[str, Any], field: str
) -> None:
    # Given a request with one invalid field, and health data that must not come back
    request = case_request(symptoms=f"{MARKER} chest pain", clinical_history=f"{MARKER} asthma", **overrides)
    request = {k: v for k, v in request.items() if v is not None}

    # When it is sent
    response = call_api("intake", "POST", "/cases", body=request)

    # Then the answer names the field and repeats none of the submitted values
    assert response.status == 422
    assert set(response.json) == {"error", "message"}
    assert response.json["error"] == "invalid_request"
    assert field in response.json["message"]
    assert MARKER not in response.text
    assert "premium" not in response.text


def test_a_case_request_without_consent_is_400_asking_for_it() -> None:
    # Given a request whose patient did not agree to the processing of their health data
    request = case_request(consent=False, symptoms=f"{MARKER} headache")

    # When it is sent
    response = call_api("intake", "POST", "/cases", body=request)

    # Then it is refused with a message that says what to do, and echoes nothing
    assert response.status == 400
    assert response.json == {
        "error": "invalid_request",
        "message": "Please agree to the processing of your health data, or we cannot review it.",
    }
    assert MARKER not in response.text


def test_reading_a_case_without_authorization_is_401() -> None:
    # Given a case
    case_id, _ = create_case()

    # When it is read without an access token
    response = get_case(case_id, token=None)

    # Then the caller is told how to authenticate
    assert response.status == 401
    assert response.json["error"] == "unauthorized"
    assert "Bearer" in response.json["message"]


def test_reading_a_case_with_another_cases_token_is_404() -> None:
    # Given two cases
    case_id, _ = create_case()
    _, other_token = create_case()

    # When the first is read with the second's token
    response = get_case(case_id, other_token)

    # Then it is not found
    assert response.status == 404
    assert response.json["error"] == "case_not_found"


def test_an_unknown_case_id_is_answered_exactly_like_a_wrong_token() -> None:
    # Given a case read with another case's token, and an id that does not exist
    case_id, _ = create_case()
    _, other_token = create_case()
    wrong_token = get_case(case_id, other_token)

    # When the unknown id is read with a valid token
    unknown = get_case("0" * 32, other_token)

    # Then the two answers cannot be told apart
    assert unknown.status == wrong_token.status == 404
    assert unknown.text == wrong_token.text


# --- the upload policy -----------------------------------------------------------------------------


def _policy(instruction: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(instruction["fields"]["policy"])))


def _exact(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy's exact-match conditions ({"field": value}) as one mapping."""
    found: dict[str, Any] = {}
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            found.update(condition)
        elif condition[0] == "eq":
            found[condition[1].lstrip("$")] = condition[2]
    return found


def _ranges(policy: dict[str, Any]) -> list[list[Any]]:
    return [c for c in policy["conditions"] if isinstance(c, list) and c[0] == "content-length-range"]


DECLARED_SIZE = 39206


@pytest.fixture
def upload_instruction() -> dict[str, Any]:
    """The upload instruction for a DICOM file the patient's browser named "../../etc/passwd"."""
    case_id, token = create_case()
    response = declare(case_id, token, [{"name": "../../etc/passwd", "size": DECLARED_SIZE, "kind": "dicom"}])
    assert response.status == 201, response.text
    (instruction,) = response.json["uploads"]
    return {"case_id": case_id, **instruction}


def test_the_upload_policy_expires_within_15_minutes(upload_instruction: dict[str, Any]) -> None:
    # Given the presigned POST minted for a declared file
    policy = _policy(upload_instruction)

    # When its expiration is read
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    # Then it lies in the future, at most 15 minutes away
    remaining = expiration - datetime.now(UTC)
    assert timedelta(0) < remaining <= timedelta(minutes=15)


def test_the_upload_policy_pins_the_exact_key_never_the_patients_file_name(
    upload_instruction: dict[str, Any], stack: Stack
) -> None:
    # Given the presigned POST minted for "../../etc/passwd"
    policy = _policy(upload_instruction)
    case_id, file_id = upload_instruction["case_id"], upload_instruction["file_id"]

    # When its key condition and key field are read
    conditions = _exact(policy)

    # Then both are exactly the server's key for the file, in the uploads bucket
    expected = f"cases/{case_id}/files/{file_id}"
    assert conditions["key"] == upload_instruction["fields"]["key"] == expected
    assert conditions["bucket"] == stack.environment["UPLOADS_BUCKET"]
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in policy["conditions"])
    assert "passwd" not in json.dumps(policy) and ".." not in conditions["key"]


def test_the_upload_policy_allows_exactly_the_declared_size(upload_instruction: dict[str, Any]) -> None:
    # Given the presigned POST for a file declared with DECLARED_SIZE bytes
    policy = _policy(upload_instruction)

    # When its size conditions are read
    ranges = _ranges(policy)

    # Then one range admits that size and no other
    assert ranges == [["content-length-range", DECLARED_SIZE, DECLARED_SIZE]]


def test_the_upload_policy_requires_the_content_type_and_kms_encryption_with_the_data_key(
    upload_instruction: dict[str, Any], stack: Stack
) -> None:
    # Given the presigned POST for a DICOM file
    policy, fields = _policy(upload_instruction), upload_instruction["fields"]

    # When its conditions are read
    conditions = _exact(policy)

    # Then the upload must say it is DICOM and ask for SSE-KMS with the stack's key, as the form does
    key_id = stack.environment["KMS_KEY_ID"]
    assert conditions["Content-Type"] == fields["Content-Type"] == "application/dicom"
    assert conditions["x-amz-server-side-encryption"] == fields["x-amz-server-side-encryption"] == "aws:kms"
    assert (
        conditions["x-amz-server-side-encryption-aws-kms-key-id"]
        == fields["x-amz-server-side-encryption-aws-kms-key-id"]
        == key_id
    )


def test_declaring_more_files_than_a_case_holds_is_400(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a case limit of 3 files and a case that has 2 already
    limited = intake_handler.get_settings().model_copy(update={"max_files_per_case": 3})
    monkeypatch.setattr(intake_handler, "get_settings", lambda: limited)
    case_id, token = create_case()
    two = [{"name": f"IM{i}", "size": 1000} for i in range(2)]
    assert declare(case_id, token, two).status == 201

    # When 2 more are declared
    response = declare(case_id, token, two)

    # Then they are refused with the limit in the message
    assert response.status == 400
    assert response.json == {"error": "invalid_request", "message": "A case can hold at most 3 files."}


def test_declaring_more_bytes_than_a_case_holds_is_400() -> None:
    # Given a case
    case_id, token = create_case()

    # When five files of 5 GiB each (25 GiB, over the 20 GiB a case holds) are declared
    response = declare(case_id, token, [{"name": f"IM{i}", "size": 5 * GIB} for i in range(5)])

    # Then they are refused with the limit in the message
    assert response.status == 400
    assert response.json == {"error": "invalid_request", "message": "A case can hold at most 20 GB of files."}


# --- submitting ------------------------------------------------------------------------------------


def test_submitting_before_the_upload_is_409_case_not_ready_saying_what_to_do() -> None:
    # Given a case with two declared files that have not arrived
    case_id, token = create_case()
    assert declare(case_id, token, [{"name": "IM1", "size": 10}, {"name": "IM2", "size": 10}]).status == 201

    # When the patient submits
    response = submit(case_id, token)

    # Then the case is not ready, and the message says how many files and what to do
    assert response.status == 409
    assert response.json["error"] == "case_not_ready"
    assert "2 of 2 files" in response.json["message"]
    assert "submit again" in response.json["message"]


def test_submitting_only_a_rejected_file_returns_the_case_to_the_patient_with_problems(
    uploads: Uploads,
) -> None:
    # Given a case whose only file is a screenshot, declared as DICOM and rejected by validation
    case_id, token = create_case()
    uploads.upload(case_id, token, PNG, name="screenshot.png")

    # When the patient submits
    response = submit(case_id, token)

    # Then the case goes back to the patient with what is wrong and how to fix it
    assert response.status == 200
    view = response.json
    assert view["status"] == "returned"
    assert view["files"][0]["verdict"] == "rejected" and view["files"][0]["reason"] == "not_dicom"
    assert any(
        p.startswith("screenshot.png: This file is not an original scan image") for p in view["problems"]
    )
    assert any("original DICOM files" in p for p in view["problems"])
