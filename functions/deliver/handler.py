"""Deliver: notify the patient when the report is stored, and mint download links for them."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import auth, observability
from secondopinion.api import resolver
from secondopinion.models import ReportLink, ReportResult
from secondopinion.store import CaseStore

from . import logic
from .settings import get_settings

logger = observability.logger("deliver")
tracer = observability.tracer("deliver")
metrics = observability.metrics("deliver")
app = resolver()


@app.get("/cases/<case_id>/report")
def report_link(case_id: str) -> ReportLink:
    token = auth.bearer_token(app.current_event.headers)
    case = auth.authorize_patient(case_id, token, CaseStore(get_settings().cases_table))
    metrics.add_metric(name="ReportDownloads", unit="Count", value=1)
    return logic.report_link(case, get_settings())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "httpMethod" in event:
        return app.resolve(event, context)
    settings = get_settings()
    result = logic.deliver(
        ReportResult.model_validate(event), settings, cases=CaseStore(settings.cases_table)
    )
    metrics.add_metric(name="Deliveries", unit="Count", value=1)
    return result.model_dump(mode="json")
