"""Assign: the workflow's assignment tasks and the radiologist's callback routes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from secondopinion import auth, masking, measures, observability
from secondopinion.api import resolver
from secondopinion.models import (
    ActionResult,
    AssignmentView,
    AssignRequest,
    CaseStatus,
    CompareRequest,
    CosignRequest,
    DeclineRequest,
    EscalateRequest,
    OfferRequest,
    OpsCase,
    OpsCaseDetail,
    Radiologist,
    ReadabilityCheck,
    ReadabilityRequest,
    ReassignRequest,
    ReleaseRequest,
    ReportSubmission,
    TranslationRequest,
    TranslationSignoff,
    WorklistItem,
)

from . import logic, translation
from .roster import RosterEntry
from .settings import get_settings
from .translator import translator_for

logger = observability.logger("assign")
tracer = observability.tracer("assign")
metrics = observability.metrics("assign")
app = resolver(logger)


def _me() -> str:
    """The radiologist calling; a request that names an assignment logs its case id as well."""
    claims = app.current_event.request_context.authorizer.claims
    radiologist = auth.require_radiologist(auth.staff_from_claims(claims))
    assignment_id = (app.current_event.path_parameters or {}).get("assignment_id")
    if assignment_id:
        logger.append_keys(case_id=_stores().assignments.case_of(assignment_id))
    return radiologist


def _stores() -> logic.Stores:
    return logic.Stores.from_settings(get_settings())


@app.get("/worklist")
def worklist() -> list[WorklistItem]:
    return logic.worklist(_me(), stores=_stores(), at_risk_fraction=get_settings().sla_at_risk_fraction)


@app.get("/assignments/<assignment_id>")
def get_assignment(assignment_id: str) -> AssignmentView:
    return logic.view(assignment_id, _me(), get_settings(), stores=_stores())


@app.post("/assignments/<assignment_id>/accept")
def accept(assignment_id: str) -> ActionResult:
    return logic.accept(assignment_id, _me(), stores=_stores(), metrics=metrics)


@app.post("/assignments/<assignment_id>/heartbeat")
def heartbeat(assignment_id: str) -> ActionResult:
    return logic.heartbeat(assignment_id, _me(), stores=_stores())


@app.post("/readability")
def readability(request: ReadabilityRequest) -> ReadabilityCheck:
    _me()
    return logic.check_readability(request)


@app.post("/assignments/<assignment_id>/decline")
def decline(assignment_id: str, request: DeclineRequest) -> ActionResult:
    return logic.decline(assignment_id, _me(), request.reason, stores=_stores())


@app.post("/assignments/<assignment_id>/report")
def report(assignment_id: str, submission: ReportSubmission) -> ActionResult:
    result = logic.submit_report(assignment_id, _me(), submission, get_settings(), stores=_stores())
    if submission.critical_finding:
        metrics.add_metric(name="CriticalFindings", unit="Count", value=1)
    return result


@app.post("/assignments/<assignment_id>/consensus")
def consensus(assignment_id: str, submission: ReportSubmission) -> ActionResult:
    return logic.submit_agreed(assignment_id, _me(), submission, get_settings(), stores=_stores())


@app.post("/assignments/<assignment_id>/cosign")
def cosign(assignment_id: str, request: CosignRequest) -> ActionResult:
    return logic.cosign(assignment_id, _me(), request, stores=_stores())


@app.post("/assignments/<assignment_id>/translation")
def sign_off_translation(assignment_id: str, signoff: TranslationSignoff) -> ActionResult:
    return translation.sign_off(assignment_id, _me(), signoff, stores=_stores())


def _ops() -> str:
    staff = auth.staff_from_claims(app.current_event.request_context.authorizer.claims)
    auth.require_ops(staff)
    return staff.subject


@app.get("/ops/cases")
def ops_cases(status: Annotated[CaseStatus | None, Query()] = None) -> list[OpsCase]:
    _ops()
    return logic.ops_cases(status, stores=_stores(), at_risk_fraction=get_settings().sla_at_risk_fraction)


@app.get("/ops/cases/<case_id>")
def ops_case(case_id: str) -> OpsCaseDetail:
    _ops()
    return logic.ops_case(case_id, stores=_stores(), at_risk_fraction=get_settings().sla_at_risk_fraction)


@app.post("/ops/cases/<case_id>/reassign")
def reassign(case_id: str, request: ReassignRequest) -> OpsCaseDetail:
    return logic.reassign(
        case_id, request, _ops(), stores=_stores(), at_risk_fraction=get_settings().sla_at_risk_fraction
    )


@app.get("/ops/radiologists")
def radiologists() -> list[Radiologist]:
    _ops()
    return logic.radiologists(stores=_stores())


@app.put("/ops/radiologists/<radiologist_id>")
def put_radiologist(radiologist_id: str, entry: RosterEntry) -> Radiologist:
    _ops()
    return logic.put_radiologist(radiologist_id, entry, stores=_stores())


def _task(event: dict[str, Any]) -> Any:
    """The workflow's tasks (and the deadline watch), selected by the `action` they send."""
    action, request, settings, stores = (
        event.get("action"),
        event.get("request", {}),
        get_settings(),
        _stores(),
    )
    case_id, assignment_id = request.get("case_id"), request.get("assignment_id")
    if case_id is None and assignment_id is not None:  # a wait hands over only its assignment
        case_id = stores.assignments.case_of(assignment_id)
    logger.append_keys(case_id=case_id, assignment_id=assignment_id)
    if action == "assign":
        assigned = logic.assign(AssignRequest.model_validate(request), stores=stores, metrics=metrics)
        logger.info("offered", extra=assigned.model_dump())
        return assigned.model_dump()
    if action == "offer":
        return logic.hold_token(OfferRequest.model_validate(request), settings, stores=stores)
    if action == "translate":
        translator = translator_for(settings.translator, settings.translate_region)
        return translation.assign_translation(
            TranslationRequest.model_validate(request), stores=stores, translator=translator
        ).model_dump()
    if action == "compare":
        return logic.compare(CompareRequest.model_validate(request), stores=stores).model_dump()
    if action == "release":
        metrics.add_metric(name="Reassignments", unit="Count", value=1)
        return logic.release(ReleaseRequest.model_validate(request), stores=stores).model_dump()
    if action == "escalate":
        escalation = EscalateRequest.model_validate(request)
        told = logic.escalate(escalation, settings, stores=stores)
        logger.info("escalated" if told else "already escalated", extra={"reason": escalation.reason})
        metrics.add_metric(name="Escalations", unit="Count", value=int(told))
        return None
    if action == "watch":
        watched = logic.watch_deadlines(settings, stores=stores)
        metrics.add_metric(name="SlaAtRisk", unit="Count", value=watched.at_risk)
        metrics.add_metric(name="SlaBreached", unit="Count", value=watched.breached)
        for (status, sla), count in watched.open.items():
            measures.with_dimensions("assign", "OpenCases", count, status=status.value, sla=sla.value)
        return {"at_risk": watched.at_risk, "breached": watched.breached}
    raise ValueError(f"unknown action {action!r}")


@logger.inject_lambda_context(clear_state=True)
@masking.failures_logged(logger)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "httpMethod" in event:
        return app.resolve(event, context)
    return _task(event)
