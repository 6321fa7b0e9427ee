"""Validate: judge each object the uploads bucket reports through the queue."""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import measures, observability
from secondopinion.models import Verdict
from secondopinion.store import CaseStore, FileStore

from .logic import UploadedObject, validate_object
from .settings import get_settings

logger = observability.logger("validate")
tracer = observability.tracer("validate")
metrics = observability.metrics("validate")
processor = BatchProcessor(event_type=EventType.SQS)
# pydicom logs header values it finds odd; those may be health data.
logging.getLogger("pydicom").setLevel(logging.ERROR)


def _record(record: SQSRecord) -> None:
    settings = get_settings()
    body = json.loads(record.body)
    for s3_record in body.get("Records", []):  # an s3:TestEvent has none
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
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
