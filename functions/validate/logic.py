"""Judging an uploaded object and recording the verdict once per object version."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError
from pydantic import BaseModel
from secondopinion import clients
from secondopinion.models import FileRecord
from secondopinion.store import FileStore

from .dicom_check import judge

KEY_PATTERN = re.compile(r"^cases/(?P<case_id>[0-9a-f]{32})/files/(?P<file_id>[0-9a-f]{32})$")


class UploadedObject(BaseModel):
    """One S3 ObjectCreated record, reduced to what validation needs."""

    bucket: str
    key: str
    size: int
    version_id: str | None = None

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


def validate_object(
    obj: UploadedObject, *, files: FileStore, max_size: int, s3: Any = None
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
    obj = obj.model_copy(update={"size": int(current["ContentLength"])})
    verdict = judge(S3Source(obj, s3), declared.kind, max_size=max_size)
    record = declared.model_copy(
        update={
            "verdict": verdict.verdict,
            "content": verdict.content,
            "reason": verdict.reason,
            "message": verdict.message,
            "facts": verdict.facts,
            "version_id": obj.version_id or "null",
        }
    )
    return record if files.record_verdict(record) else None
