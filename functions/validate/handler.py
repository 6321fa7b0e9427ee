"""Validate: judge each object the uploads bucket reports through the queue.

The queue's event source reports batch item failures: the ids of the records that failed go back
to the queue (and after its retries to the dead-letter queue), the others are deleted. A plain loop
rather than Powertools' batch utility, whose import (every event source's record classes) cost
about 15 ms of this function's cold start; see README.md, "Benchmark"."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from secondopinion import measures, observability
from secondopinion.models import Verdict
from secondopinion.store import CaseStore, FileStore

from .logic import UploadedObject, validate_object
from .settings import get_settings

if TYPE_CHECKING:  # an annotation only: its module is not needed at run time
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = observability.logger("validate")
metrics = observability.metrics("validate")
# pydicom logs header values it finds odd; those may be health data.
logging.getLogger("pydicom").setLevel(logging.ERROR)


class BatchFailed(Exception):
    """Every record of a batch failed: the invocation fails, so that the errors alarm sees it."""


def _record(body: str) -> None:
    settings = get_settings()
    for s3_record in json.loads(body).get("Records", []):  # an s3:TestEvent has none
        obj = UploadedObject.from_s3_record(s3_record)
        logger.append_keys(**obj.ids())  # every line about this object, a failure's too
        judged = validate_object(
            obj,
            files=FileStore(settings.files_table),
            cases=CaseStore(settings.cases_table),
            max_size=settings.max_file_bytes,
            kms_key_id=settings.kms_key_id,
        )
        if judged is not None:
            logger.info(
                "file judged",
                extra={
                    "case_id": judged.case_id,
                    "file_id": judged.file_id,
                    "verdict": judged.verdict.value,
                    "reason": judged.reason,
                },
            )
            metrics.add_metric(name=f"Files{judged.verdict.value.capitalize()}", unit="Count", value=1)
            metrics.add_metric(name="FilesValidated", unit="Count", value=1)
            if judged.verdict == Verdict.REJECTED:
                measures.with_dimensions("validate", "FilesRejected", 1, reason=judged.reason or "unknown")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event["Records"]
    failed: list[str] = []
    for record in records:
        try:
            _record(record["body"])
        except Exception as error:  # one record's failure must not fail the others
            # The error's type only: its message may quote what was read (a file name, a header).
            logger.warning(
                "record failed", extra={"message_id": record["messageId"], "error": type(error).__name__}
            )
            failed.append(record["messageId"])
    if records and len(failed) == len(records):
        raise BatchFailed(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
