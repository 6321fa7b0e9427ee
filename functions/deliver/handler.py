"""Deliver: notify the patient when the report is stored; the report page's routes; ops' revoke."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import auth, masking, observability
from secondopinion.api import resolver
from secondopinion.models import (
    CodeRequested,
    DeliveryStatus,
    LinkRequest,
    ReportLink,
    ReportResult,
    Revocation,
)
from secondopinion.store import CaseStore

from . import logic
from .settings import get_settings

logger = observability.logger("deliver")
tracer = observability.tracer("deliver")
metrics = observability.metrics("deliver")
app = resolver(logger)


def _cases() -> CaseStore:
    return CaseStore(get_settings().cases_table)


@app.get("/cases/<case_id>/report")
def report_status(case_id: str) -> DeliveryStatus:
    case = auth.authorize_patient(case_id, auth.bearer_token(app.current_event.headers), _cases())
    return logic.delivery_status(case, get_settings())


@app.post("/cases/<case_id>/report/link")
def report_link(case_id: str, request: LinkRequest | None = None) -> ReportLink:
    request, settings, cases = request or LinkRequest(), get_settings(), _cases()
    if request.code is None:
        case = auth.authorize_patient(case_id, auth.bearer_token(app.current_event.headers), cases)
    else:
        case = logic.redeem_code(case_id, request.code, settings, cases=cases)
    link = logic.mint_link(case, request.format, settings, cases=cases)
    logger.info(
        "download link minted", extra={"format": request.format, "with_code": request.code is not None}
    )
    metrics.add_metric(name="ReportDownloads", unit="Count", value=1)
    return link


@app.post("/cases/<case_id>/report/code", status_code=202)
def report_code(case_id: str) -> CodeRequested:
    metrics.add_metric(name="DownloadCodesRequested", unit="Count", value=1)
    return logic.send_code(case_id, get_settings(), cases=_cases())


@app.post("/ops/cases/<case_id>/delivery/revoke")
def revoke_delivery(case_id: str) -> Revocation:
    staff = auth.staff_from_claims(app.current_event.request_context.authorizer.claims)
    auth.require_ops(staff)
    revoked = logic.revoke(case_id, staff.subject, cases=_cases())
    metrics.add_metric(name="DeliveriesRevoked", unit="Count", value=1)
    return revoked


@logger.inject_lambda_context(clear_state=True)
@masking.failures_logged(logger)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "httpMethod" in event:
        return app.resolve(event, context)
    settings, report = get_settings(), ReportResult.model_validate(event)
    logger.append_keys(case_id=report.case_id)
    result = logic.deliver(report, settings, cases=CaseStore(settings.cases_table))
    logger.info("patient notified")
    metrics.add_metric(name="Deliveries", unit="Count", value=1)
    return result.model_dump(mode="json")
