"""Validate against moto: the queue's S3 notifications in, verdicts in the files table out."""

from __future__ import annotations

import hashlib
import hmac
import uuid
import warnings
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from pydicom import dcmread
from secondopinion.errors import CaseNotFound
from secondopinion.models import ERASED
from secondopinion.store import CaseStore

from functions.validate import handler as validate_handler

from .support import (
    PNG,
    REGION,
    Stack,
    Uploads,
    ct_small,
    invoke,
    s3_created_event,
    s3_test_event,
    sqs_event,
)


@pytest.fixture
def case(new_case: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    return new_case()


def _file(stack: Stack, key: str) -> dict[str, Any]:
    _, case_id, _, file_id = key.split("/")
    return stack.item("FILES_TABLE", {"case_id": case_id, "file_id": file_id})


def test_a_real_ct_slice_is_accepted_as_a_ct_image(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a declared DICOM file whose bytes, a real CT slice, are in the uploads bucket
    key = uploads.declare_one(*case, len(ct_small()))
    put = uploads.put(key, ct_small())

    # When S3's notification for that version reaches the validate function
    result = uploads.notify(key, len(ct_small()), put)

    # Then no record failed and the file is an accepted CT image, judged for the version in the bucket
    assert result == {"batchItemFailures": []}
    item = _file(stack, key)
    assert (item["verdict"], item["content"]) == ("accepted", "image")
    assert item["facts"]["modality"] == "CT"
    assert item["version_id"] == _current_version(uploads, key)


def _current_version(uploads: Uploads, key: str) -> str:
    return str(uploads.stack.client("s3").head_object(Bucket=uploads.bucket, Key=key)["VersionId"])


def test_an_accepted_file_has_its_preamble_zeroed_and_nothing_else_changed(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given CT_small, whose 128-byte preamble holds a TIFF header (a dual-format file)
    original = ct_small()
    assert any(original[:128])
    key = uploads.declare_one(*case, len(original))
    put = uploads.put(key, original)

    # When it is validated
    uploads.notify(key, len(original), put)

    # Then the stored object starts with 128 zero bytes and is otherwise byte for byte the upload
    stored = uploads.stack.client("s3").get_object(Bucket=uploads.bucket, Key=key)["Body"].read()
    assert stored == bytes(128) + original[128:]
    assert _current_version(uploads, key) != put["VersionId"]


def test_the_rewrites_own_event_does_not_judge_the_file_again(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a file validated and rewritten with a clean preamble
    key = uploads.declare_one(*case, len(ct_small()))
    uploads.notify(key, len(ct_small()), uploads.put(key, ct_small()))
    judged = _file(stack, key)

    # When S3's event for the rewritten version arrives
    rewritten = {"VersionId": judged["version_id"], "ETag": '"rewritten"'}
    result = uploads.notify(key, len(ct_small()), rewritten)

    # Then nothing happens: no failure, the same verdict and version, and no further rewrite
    assert result == {"batchItemFailures": []}
    assert _file(stack, key) == judged
    assert _current_version(uploads, key) == judged["version_id"]


def test_a_large_object_is_rewritten_by_multipart_copy_without_losing_a_byte(
    stack: Stack, uploads: Uploads
) -> None:
    # Given a 12 MiB object with a non-zero preamble (above the single-PUT rewrite limit)
    from functions.validate.logic import UploadedObject, zero_preamble

    s3 = uploads.stack.client("s3")
    data = b"MZ" + bytes(range(126)) + b"DICM" + bytes(i % 251 for i in range(12 * 1024**2))
    key = "cases/" + "a" * 32 + "/files/" + "b" * 32
    put = s3.put_object(Bucket=uploads.bucket, Key=key, Body=data)

    # When its preamble is zeroed
    obj = UploadedObject(bucket=uploads.bucket, key=key, size=len(data), version_id=put["VersionId"])
    version = zero_preamble(obj, stack.environment["KMS_KEY_ID"], s3)

    # Then a new version holds the same bytes but the preamble
    stored = s3.get_object(Bucket=uploads.bucket, Key=key)["Body"].read()
    assert version is not None and version != put["VersionId"]
    assert stored == bytes(128) + data[128:]


def test_a_screenshot_declared_as_dicom_is_rejected_with_a_message_for_the_patient(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a declared DICOM file whose bytes are a PNG screenshot
    key = uploads.declare_one(*case, len(PNG))
    put = uploads.put(key, PNG)

    # When its notification is processed
    uploads.notify(key, len(PNG), put)

    # Then it is rejected as not DICOM, and the patient is told how to get the real files
    item = _file(stack, key)
    assert (item["verdict"], item["reason"]) == ("rejected", "not_dicom")
    assert "DICOM" in item["message"] and "imaging centre" in item["message"]


def test_a_duplicate_event_for_the_same_version_changes_nothing(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a file already judged from its notification
    key = uploads.declare_one(*case, len(ct_small()))
    put = uploads.put(key, ct_small())
    uploads.notify(key, len(ct_small()), put)
    before = stack.items("FILES_TABLE", case[0])

    # When S3 delivers the same notification again
    result = uploads.notify(key, len(ct_small()), put)

    # Then it succeeds, and the files table is exactly as it was
    assert result == {"batchItemFailures": []}
    assert stack.items("FILES_TABLE", case[0]) == before


def test_an_s3_test_event_is_accepted_without_error(stack: Stack, uploads: Uploads) -> None:
    # Given the test message S3 sends when the notification is configured
    event = sqs_event(stack.upload_queue_arn, s3_test_event(uploads.bucket))

    # When the validate function receives it
    result = invoke("validate", event)

    # Then nothing fails (so it is not retried into the dead-letter queue)
    assert result == {"batchItemFailures": []}


@pytest.mark.parametrize(
    "key_of",
    [
        lambda case_id: f"cases/{case_id}/files/{uuid.uuid4().hex}",
        lambda case_id: f"cases/{case_id}/notes.txt",
        lambda case_id: f"cases/{case_id}/files/../../{uuid.uuid4().hex}",
    ],
    ids=["undeclared-file-id", "outside-files", "path-tricks"],
)
def test_an_object_that_is_not_a_declared_file_is_ignored(
    stack: Stack, uploads: Uploads, case: tuple[str, str], key_of: Callable[[str], str]
) -> None:
    # Given an object in the uploads bucket under a key no declaration made
    key = key_of(case[0])
    put = uploads.put(key, ct_small())

    # When its notification is processed
    result = uploads.notify(key, len(ct_small()), put)

    # Then nothing fails and the case has no file record
    assert result == {"batchItemFailures": []}
    assert stack.items("FILES_TABLE", case[0]) == []


def test_a_batch_reports_only_the_record_that_could_not_be_processed_as_failed(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a batch of two notifications: one for a stored CT slice, one whose body is mangled
    stored = uploads.declare_one(*case, len(ct_small()))
    put = uploads.put(stored, ct_small())
    event = sqs_event(
        stack.upload_queue_arn,
        s3_created_event(uploads.bucket, stored, len(ct_small()), put["VersionId"], put["ETag"]),
        {"placeholder": True},
    )
    event["Records"][1]["body"] = "{not json"

    # When the validate function processes the batch
    result = invoke("validate", event)

    # Then only the broken record goes back to the queue (and, after retries, to the DLQ)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert _file(stack, stored)["verdict"] == "accepted"


def test_a_failed_record_is_logged_by_its_message_id_without_what_it_carried(
    stack: Stack, uploads: Uploads, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a batch of two notifications, one of them mangled: a patient's file name where the
    # object's size belongs (the error, a ValueError, quotes it)
    broken = s3_created_event(uploads.bucket, "cases/x/files/y", 1, None, "etag")
    broken["Records"][0]["s3"]["object"]["size"] = "Jane_Doe_brain_MRI.dcm"
    event = sqs_event(stack.upload_queue_arn, broken, s3_test_event(uploads.bucket))

    # When the validate function processes the batch
    result = invoke("validate", event)

    # Then the log names the failed message and the error's type, and nothing of the body
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    (failure,) = [r for r in caplog.records if r.getMessage() == "record failed"]
    assert failure.__dict__["message_id"] == event["Records"][0]["messageId"]
    assert failure.__dict__["error"] == "ValueError"
    assert not [r for r in caplog.records if "Jane_Doe" in str(r.__dict__)]


def test_a_batch_whose_every_record_failed_fails_the_invocation(stack: Stack) -> None:
    # Given a batch of two notifications, neither of them readable
    event = sqs_event(stack.upload_queue_arn, {"placeholder": True}, {"placeholder": True})
    for record in event["Records"]:
        record["body"] = "{not json"

    # When the validate function processes it, then the invocation fails: Lambda retries the
    # whole batch and the function's errors alarm counts it
    with pytest.raises(validate_handler.BatchFailed, match="all 2 records"):
        invoke("validate", event)


def test_an_event_for_an_object_deleted_since_is_skipped_and_the_file_stays_pending(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a notification for a declared file whose object is no longer in the bucket
    gone = uploads.declare_one(*case, len(ct_small()))
    event = sqs_event(
        stack.upload_queue_arn,
        s3_created_event(uploads.bucket, gone, len(ct_small()), "missing-version", '"etag"'),
    )

    # When the validate function processes it
    result = invoke("validate", event)

    # Then retrying could not help: nothing fails, and the file waits for a new upload
    assert result == {"batchItemFailures": []}
    assert _file(stack, gone)["verdict"] == "pending"


def test_a_late_event_for_an_older_version_does_not_replace_the_current_verdict(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a declared file uploaded twice (the presigned POST allows it): a screenshot, then a CT slice
    key = uploads.declare_one(*case, len(ct_small()))
    first = uploads.put(key, PNG)
    current = uploads.put(key, ct_small())
    uploads.notify(key, len(ct_small()), current)

    # When the first upload's notification arrives after the second's
    uploads.notify(key, len(PNG), first)

    # Then the verdict is still that of the object now in the bucket
    item = _file(stack, key)
    assert item["verdict"] == "accepted"
    assert item["version_id"] == _current_version(uploads, key) != current["VersionId"]


def test_the_facts_carry_a_patient_key_made_with_the_cases_own_salt(
    stack: Stack, uploads: Uploads, case: tuple[str, str]
) -> None:
    # Given a real CT slice uploaded to a case, and the salt the case was opened with
    key = uploads.declare_one(*case, len(ct_small()))
    salt = stack.item("CASES_TABLE", {"case_id": case[0]})["identity_salt"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        header = dcmread(BytesIO(ct_small()), stop_before_pixels=True)
    identity = [str(header.get(k) or "") for k in ("PatientID", "PatientName", "PatientBirthDate")]
    normalised = "|".join(" ".join(part.upper().replace("^", " ").split()) for part in identity)

    # When it is validated
    uploads.notify(key, len(ct_small()), uploads.put(key, ct_small()))

    # Then its facts hold the keyed digest of the patient's identity under that salt, not the identity
    expected = hmac.new(bytes.fromhex(salt), normalised.encode(), hashlib.sha256).hexdigest()[:16]
    assert _file(stack, key)["facts"]["patient_key"] == expected


def test_the_salt_of_an_erased_case_is_not_found(stack: Stack, case: tuple[str, str]) -> None:
    # Given a case whose record was erased (only its id and status are left)
    table = stack.session.resource("dynamodb", region_name=REGION).Table(stack.environment["CASES_TABLE"])
    table.put_item(Item={"case_id": case[0], "status": ERASED})
    # When validation asks for its identity salt, or for a case that never existed
    # Then neither is found, as reading the whole case would say
    for case_id in (case[0], uuid.uuid4().hex):
        with pytest.raises(CaseNotFound):
            CaseStore(stack.environment["CASES_TABLE"]).identity_salt(case_id)
