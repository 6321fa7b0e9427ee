"""Intake: the patient's routes (open, upload, submit, follow a case) and ops' case list."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import auth, masking, observability
from secondopinion.api import resolver
from secondopinion.models import (
    CaseCreated,
    CaseRequest,
    CaseStatus,
    CaseView,
    CompleteRequest,
    ErasureResult,
    FilesDeclared,
    FilesRequest,
    FileStatus,
    PartsIssued,
    PartsRequest,
    RestartResult,
    SubmitRequest,
)
from secondopinion.store import CaseStore, FileStore, Stores

from . import erasure, logic
from .settings import get_settings

logger = observability.logger("intake")
tracer = observability.tracer("intake")
metrics = observability.metrics("intake")
app = resolver(logger)


def _stores() -> tuple[CaseStore, FileStore]:
    s = get_settings()
    return CaseStore(s.cases_table), FileStore(s.files_table)


def _patient_case(case_id: str) -> Any:
    return auth.authorize_patient(case_id, auth.bearer_token(app.current_event.headers), _stores()[0])


@app.post("/cases", status_code=201)
def create_case(
    request: CaseRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="A random key per request (e.g. a UUID): sent again with the same request "
            "after a lost answer, it gets the same case back with a new access token."
        ),
    ] = None,
) -> CaseCreated:
    cases, files = _stores()
    created, new = logic.create_case(request, cases=cases, files=files, idempotency_key=idempotency_key)
    logger.append_keys(case_id=created.case_id)
    if new:
        logger.info("case opened", extra={"tier": request.tier.value})
        metrics.add_metric(name="CasesCreated", unit="Count", value=1)
    else:
        logger.info("case request repeated: same case, new access token")
    return created


@app.post("/cases/<case_id>/files", status_code=201)
def declare_files(case_id: str, request: FilesRequest) -> FilesDeclared:
    return logic.declare_files(_patient_case(case_id), request, get_settings(), files=_stores()[1])


@app.post("/cases/<case_id>/submit")
def submit_case(case_id: str, request: SubmitRequest | None = None) -> CaseView:
    cases, files = _stores()
    case = _patient_case(case_id)
    view = logic.submit_case(case, request or SubmitRequest(), get_settings(), cases=cases, files=files)
    if view.status == CaseStatus.IN_REVIEW and case.status != CaseStatus.IN_REVIEW:
        logger.info("review started", extra={"tier": case.tier.value})
        metrics.add_metric(name="CasesSubmitted", unit="Count", value=1)
    return view


@app.post("/cases/<case_id>/files/<file_id>/parts")
def part_urls(case_id: str, file_id: str, request: PartsRequest) -> PartsIssued:
    return logic.part_urls(_patient_case(case_id), file_id, request, get_settings(), files=_stores()[1])


@app.post("/cases/<case_id>/files/<file_id>/complete")
def complete_upload(case_id: str, file_id: str, request: CompleteRequest) -> FileStatus:
    return logic.complete_upload(_patient_case(case_id), file_id, request, get_settings(), files=_stores()[1])


@app.post("/cases/<case_id>/files/<file_id>/abort", status_code=204)
def abort_upload(case_id: str, file_id: str) -> None:
    logic.abort_upload(_patient_case(case_id), file_id, get_settings(), files=_stores()[1])


@app.delete("/cases/<case_id>/files/<file_id>", status_code=204)
def remove_file(case_id: str, file_id: str) -> None:
    logic.remove_file(_patient_case(case_id), file_id, get_settings(), files=_stores()[1])


@app.get("/cases/<case_id>")
def get_case(case_id: str) -> CaseView:
    return logic.view(_patient_case(case_id), get_settings(), files=_stores()[1])


@app.post("/ops/cases/<case_id>/erase")
def erase_case(case_id: str) -> ErasureResult:
    staff = auth.staff_from_claims(app.current_event.request_context.authorizer.claims)
    auth.require_ops(staff)
    settings = get_settings()
    erased = erasure.erase(case_id, staff.subject, settings, stores=Stores.from_settings(settings))
    logger.info("case erased", extra={"ops_user": staff.subject})
    metrics.add_metric(name="CasesErased", unit="Count", value=1)
    return erased


@app.post("/ops/cases/<case_id>/restart")
def restart_review(case_id: str) -> RestartResult:
    staff = auth.staff_from_claims(app.current_event.request_context.authorizer.claims)
    auth.require_ops(staff)
    cases, _ = _stores()
    restarted = logic.restart_review(cases.get(case_id), staff.subject, get_settings(), cases=cases)
    logger.info("review restarted", extra={"ops_user": staff.subject, "run": restarted.run})
    metrics.add_metric(name="ReviewsRestarted", unit="Count", value=1)
    return restarted


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    """The merged document of every function's routes, written into the layer at build time."""
    document = resources.files("secondopinion").joinpath("openapi.json").read_text()
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)


@logger.inject_lambda_context(clear_state=True)
@masking.failures_logged(logger)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "httpMethod" in event:
        return app.resolve(event, context)
    if event.get("action") == "sweep_abandoned":  # the daily AbandonedCaseSweep schedule
        settings = get_settings()
        erased = erasure.sweep_abandoned(settings, stores=Stores.from_settings(settings))
        logger.info("abandoned cases erased", extra={"erased": erased})
        metrics.add_metric(name="CasesAbandonedErased", unit="Count", value=erased)
        return {"erased": erased}
    raise ValueError(f"unknown event: {sorted(event)}")
