"""Report: render the patient's report from the submitted reading."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import masking, observability
from secondopinion.models import ReportRequest
from secondopinion.store import AssignmentStore, CaseStore, FileStore, RosterStore

from .logic import generate
from .settings import get_settings

logger = observability.logger("report")
tracer = observability.tracer("report")
metrics = observability.metrics("report")


@logger.inject_lambda_context(clear_state=True)
@masking.failures_logged(logger)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ReportRequest.model_validate(event)
    logger.append_keys(case_id=request.case_id)
    s = get_settings()
    result = generate(
        request,
        s,
        cases=CaseStore(s.cases_table),
        assignments=AssignmentStore(s.assignments_table),
        roster=RosterStore(s.roster_table),
        files=FileStore(s.files_table),
        metrics=metrics,
    )
    logger.info("report stored")
    metrics.add_metric(name="ReportsGenerated", unit="Count", value=1)
    return result.model_dump()
