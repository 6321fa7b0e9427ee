"""Judging an uploaded object and recording the verdict once per object version."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError
from pydantic import BaseModel
from secondopinion import clients
from secondopinion.models import FileRecord, FileVerdict, Verdict
from secondopinion.store import CaseStore, FileStore

from .dicom_check import judge, zeroed_preamble

KEY_PATTERN = re.compile(r"^cases/(?P<case_id>[0-9a-f]{32})/files/(?P<file_id>[0-9a-f]{32})$")


class UploadedObject(BaseModel):
    """One S3 ObjectCreated record, reduced to what validation needs."""

    bucket: str
    key: str
    size: int
    version_id: str | None = None
    content_type: str = "application/dicom"

    def ids(self) -> dict[str, str | None]:
        """The case and file the object's key names (None for a key outside cases/)."""
        match = KEY_PATTERN.match(self.key)
        return {
            "case_id": match["case_id"] if match else None,
            "file_id": match["file_id"] if match else None,
        }

    @classmethod
    def from_s3_record(cls, record: dict[str, Any]) -> UploadedObject:
        obj = record["s3"]["object"]
        return cls(
            bucket=record["s3"]["bucket"]["name"],
            key=unquote_plus(obj["key"]),
            size=int(obj.get("size", 0)),
            version_id=obj.get("versionId"),
        )


class S3Source:
    """The object as a ByteSource: every read is a ranged GET of exactly the bytes asked for."""

    def __init__(self, obj: UploadedObject, s3: Any) -> None:
        self._obj = obj
        self._s3 = s3

    @property
    def size(self) -> int:
        return self._obj.size

    def read(self, offset: int, length: int) -> bytes:
        if length <= 0 or offset >= self._obj.size:
            return b""
        extra = {"VersionId": self._obj.version_id} if self._obj.version_id else {}
        end = min(offset + length, self._obj.size) - 1
        body = self._s3.get_object(
            Bucket=self._obj.bucket, Key=self._obj.key, Range=f"bytes={offset}-{end}", **extra
        )
        return bytes(body["Body"].read())


SIZE_MISMATCH = "size_mismatch"
SIZE_MISMATCH_MESSAGE = (
    "This file arrived with another size than your browser announced, so it changed or broke during "
    "the upload. Please upload it again from the original CD, USB stick or download."
)
PREAMBLE = 128
SINGLE_PUT_LIMIT = 8 * 1024**2
"""Objects up to this size are rewritten with one PUT; larger ones by a multipart copy that
re-sends only the first part."""
FIRST_PART = 5 * 1024**2  # S3's smallest multipart part


def validate_object(
    obj: UploadedObject, *, files: FileStore, cases: CaseStore, max_size: int, kms_key_id: str, s3: Any = None
) -> FileRecord | None:
    """Judge one uploaded object; None when it is not a declared file, was judged already, or
    the event is stale (S3 events arrive out of order: only the object's current version counts)."""
    match = KEY_PATTERN.match(obj.key)
    if not match:
        return None
    declared = files.get(match["case_id"], match["file_id"])
    if declared is None:
        return None
    if declared.version_id is not None and declared.version_id == obj.version_id:
        return None
    s3 = s3 or clients.client("s3")
    try:
        current = s3.head_object(Bucket=obj.bucket, Key=obj.key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return None  # deleted since the event was sent: nothing left to judge
        raise
    if obj.version_id and current.get("VersionId") not in (None, obj.version_id):
        return None  # a newer upload replaced this one; its own event brings its verdict
    obj = obj.model_copy(
        update={
            "size": int(current["ContentLength"]),
            "version_id": current.get("VersionId"),
            "content_type": current.get("ContentType") or obj.content_type,
        }
    )
    if obj.size != declared.size:
        verdict = FileVerdict(verdict=Verdict.REJECTED, reason=SIZE_MISMATCH, message=SIZE_MISMATCH_MESSAGE)
    else:
        salt = bytes.fromhex(cases.identity_salt(declared.case_id)) or None
        verdict = judge(S3Source(obj, s3), declared.kind, max_size=max_size, identity_salt=salt)
    version = obj.version_id
    if verdict.verdict == Verdict.ACCEPTED and verdict.facts.sop_class_uid:
        version = zero_preamble(obj, kms_key_id, s3) or version
    record = declared.model_copy(
        update={
            "verdict": verdict.verdict,
            "content": verdict.content,
            "reason": verdict.reason,
            "message": verdict.message,
            "facts": verdict.facts,
            "version_id": version or "null",
        }
    )
    return record if files.record_verdict(record) else None


def zero_preamble(obj: UploadedObject, kms_key_id: str, s3: Any) -> str | None:
    """Overwrite a DICOM object's 128-byte preamble with zeros (CVE-2019-11687: the preamble can
    carry an executable, making the file a polyglot). Returns the new version, None if the
    preamble was clean already.

    The rewrite's own S3 event finds the verdict recorded under the new version and stops there,
    so the rewrite never loops.
    """
    version = {"VersionId": obj.version_id} if obj.version_id else {}
    source = S3Source(obj, s3)
    if not any(source.read(0, PREAMBLE)):
        return None
    kept = FIRST_PART if obj.size > SINGLE_PUT_LIMIT else obj.size
    head = source.read(0, kept)
    clean = zeroed_preamble(head) + head[PREAMBLE + len(b"DICM") :]
    target = {
        "Bucket": obj.bucket,
        "Key": obj.key,
        "ContentType": obj.content_type,
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": kms_key_id,
    }
    if obj.size <= SINGLE_PUT_LIMIT:
        return str(s3.put_object(Body=clean, **target).get("VersionId") or "") or None
    upload = s3.create_multipart_upload(**target)["UploadId"]
    try:
        parts = [
            {
                "PartNumber": 1,
                "ETag": s3.upload_part(
                    Bucket=obj.bucket, Key=obj.key, UploadId=upload, PartNumber=1, Body=clean
                )["ETag"],
            }
        ]
        copied = s3.upload_part_copy(
            Bucket=obj.bucket,
            Key=obj.key,
            UploadId=upload,
            PartNumber=2,
            CopySource={"Bucket": obj.bucket, "Key": obj.key, **version},
            CopySourceRange=f"bytes={FIRST_PART}-{obj.size - 1}",
        )
        parts.append({"PartNumber": 2, "ETag": copied["CopyPartResult"]["ETag"]})
        done = s3.complete_multipart_upload(
            Bucket=obj.bucket, Key=obj.key, UploadId=upload, MultipartUpload={"Parts": parts}
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=obj.bucket, Key=obj.key, UploadId=upload)
        raise
    return str(done.get("VersionId") or "") or None
