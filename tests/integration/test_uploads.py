"""Uploads at full depth: multipart for large files, removing files, grouping, different people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydicom.data import get_testdata_file

from functions.intake import handler as intake_handler
from functions.intake.settings import get_settings

from .support import Stack, Uploads, call_api, declare, get_case

MIB = 1024**2


@pytest.fixture
def small_multipart(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Intake with a 6 MiB multipart threshold and 5 MiB parts, so tests move little data."""
    settings = get_settings().model_copy(
        update={"multipart_threshold_bytes": 6 * MIB, "min_part_bytes": 5 * MIB}
    )
    monkeypatch.setattr(intake_handler, "get_settings", lambda: settings)
    yield


def _file_route(method: str, action: str, case_id: str, file_id: str, token: str, body: Any = None) -> Any:
    resource = "/cases/{case_id}/files/{file_id}" + (f"/{action}" if action else "")
    return call_api(
        "intake",
        method,
        resource,
        path_parameters={"case_id": case_id, "file_id": file_id},
        token=token,
        body=body,
    )


def _testdata(name: str) -> bytes:
    return Path(str(get_testdata_file(name, download=False))).read_bytes()


def test_a_large_file_gets_a_multipart_plan_and_part_urls_on_demand(
    small_multipart: None, new_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a case and a 12 MiB file
    case_id, token = new_case()
    # When the patient declares it
    upload = declare(case_id, token, [{"name": "big.dcm", "size": 12 * MIB, "kind": "dicom"}]).json[
        "uploads"
    ][0]
    # Then it goes up in three parts, whose URLs come when asked for and expire in minutes
    assert upload["method"] == "multipart" and upload["url"] is None
    assert upload["multipart"]["part_size"] == 5 * MIB and upload["multipart"]["part_count"] == 3
    parts = _file_route("POST", "parts", case_id, upload["file_id"], token, {"part_numbers": [1, 3]})
    assert parts.status == 200
    for part, number in zip(parts.json["parts"], (1, 3), strict=True):
        query = parse_qs(urlsplit(part["url"]).query)
        assert query["partNumber"] == [str(number)] and query["uploadId"] == [
            upload["multipart"]["upload_id"]
        ]
        assert int(query["X-Amz-Expires"][0]) <= 900
    beyond = _file_route("POST", "parts", case_id, upload["file_id"], token, {"part_numbers": [4]})
    assert beyond.status == 400 and "3 parts" in beyond.json["message"]


def test_a_completed_multipart_upload_is_validated_like_any_upload(
    small_multipart: None, stack: Stack, uploads: Uploads, new_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a real CT slice padded into a 12 MiB DICOM object, sent in parts
    case_id, token = new_case()
    data = _padded_dicom(12 * MIB)
    upload = declare(case_id, token, [{"name": "big.dcm", "size": len(data), "kind": "dicom"}]).json[
        "uploads"
    ][0]
    s3, plan = stack.client("s3"), upload["multipart"]
    key = f"cases/{case_id}/files/{upload['file_id']}"
    etags = []
    for number in range(1, plan["part_count"] + 1):
        chunk = data[(number - 1) * plan["part_size"] : number * plan["part_size"]]
        sent = s3.upload_part(
            Bucket=uploads.bucket, Key=key, UploadId=plan["upload_id"], PartNumber=number, Body=chunk
        )
        etags.append({"part_number": number, "etag": sent["ETag"]})
    # When the browser completes it and S3 reports the new object
    done = _file_route("POST", "complete", case_id, upload["file_id"], token, {"parts": etags})
    head = s3.head_object(Bucket=uploads.bucket, Key=key)
    uploads.notify(key, len(data), {"VersionId": head["VersionId"], "ETag": head["ETag"]})
    # Then the object is whole, encrypted with the case key, and judged an accepted CT image
    assert done.status == 200 and done.json["verdict"] == "pending"
    assert head["ContentLength"] == len(data) and head["ServerSideEncryption"] == "aws:kms"
    status = next(f for f in get_case(case_id, token).json["files"] if f["file_id"] == upload["file_id"])
    assert (status["verdict"], status["content"]) == ("accepted", "image")


def _padded_dicom(size: int) -> bytes:
    """CT_small with a private element that brings the object to `size` bytes."""
    import io

    import pydicom

    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    dataset.add_new(0x00091010, "OB", b"")
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    filler = size - len(buffer.getvalue())
    dataset[0x00091010].value = bytes(filler + (filler % 2))
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    return buffer.getvalue()


def test_completing_with_a_wrong_etag_is_refused_with_what_to_do(
    small_multipart: None, new_case: Callable[..., tuple[str, str]]
) -> None:
    case_id, token = new_case()
    upload = declare(case_id, token, [{"name": "big.dcm", "size": 12 * MIB, "kind": "dicom"}]).json[
        "uploads"
    ][0]
    done = _file_route(
        "POST",
        "complete",
        case_id,
        upload["file_id"],
        token,
        {"parts": [{"part_number": 1, "etag": '"nope"'}]},
    )
    assert done.status == 400 and "send every part again" in done.json["message"]


def test_an_aborted_upload_leaves_no_file_in_the_case(
    small_multipart: None, new_case: Callable[..., tuple[str, str]]
) -> None:
    case_id, token = new_case()
    upload = declare(case_id, token, [{"name": "big.dcm", "size": 12 * MIB, "kind": "dicom"}]).json[
        "uploads"
    ][0]
    aborted = _file_route("POST", "abort", case_id, upload["file_id"], token)
    assert aborted.status == 204
    assert get_case(case_id, token).json["files"] == []


def test_a_patient_can_remove_a_file_before_submitting(
    stack: Stack, uploads: Uploads, new_case: Callable[..., tuple[str, str]]
) -> None:
    # Given an uploaded file
    case_id, token = new_case()
    key = uploads.declare_one(case_id, token, len(_testdata("CT_small.dcm")))
    uploads.put(key, _testdata("CT_small.dcm"))
    file_id = key.rsplit("/", 1)[1]
    # When the patient removes it
    removed = _file_route("DELETE", "", case_id, file_id, token)
    # Then it is gone from the case and from the bucket's current objects
    assert removed.status == 204
    assert get_case(case_id, token).json["files"] == []
    listed = stack.client("s3").list_objects_v2(Bucket=uploads.bucket, Prefix=key).get("KeyCount", 0)
    assert listed == 0
    assert _file_route("DELETE", "", case_id, file_id, token).status == 404


def test_files_naming_different_people_need_the_patients_confirmation(
    uploads: Uploads, new_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a case with a CT and an MR whose headers name two different patients
    case_id, token = new_case()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        uploads.upload(case_id, token, _testdata(name))
    view = get_case(case_id, token).json
    assert view["people"] == 2
    # When the patient submits without confirming
    refused = call_api(
        "intake", "POST", "/cases/{case_id}/submit", path_parameters={"case_id": case_id}, token=token
    )
    # Then the submit is refused with what to do, and goes through once they confirm
    assert refused.status == 409 and "2 different people" in refused.json["message"]
    confirmed = call_api(
        "intake",
        "POST",
        "/cases/{case_id}/submit",
        path_parameters={"case_id": case_id},
        token=token,
        body={"confirm_different_people": True},
    )
    assert confirmed.status == 200 and confirmed.json["status"] == "in_review"


def test_the_case_view_groups_files_into_studies_oldest_first_with_the_latest_current(
    uploads: Uploads, new_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a CT from 2004 and an MR of another study
    case_id, token = new_case(longitudinal=True)
    for name in ("CT_small.dcm", "MR_small.dcm"):
        uploads.upload(case_id, token, _testdata(name))
    # When the patient looks at the case
    studies = get_case(case_id, token).json["studies"]
    # Then each study is listed once with its series, ordered by date, the most recent current
    assert len(studies) == 2
    assert [s["study_date"] for s in studies] == sorted(s["study_date"] for s in studies)
    assert [s["current"] for s in studies] == [False, True]
    assert all(s["instance_count"] == 1 and len(s["series"]) == 1 for s in studies)
