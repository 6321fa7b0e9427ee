"""What the handlers write for ops against moto: log lines correlated by case id and free of personal
and health data, and the business metrics in CloudWatch's embedded metric format (EMF).

One case runs from request to download with a marker in every personal and health field; every
line the five functions log and every EMF blob they print is collected while it runs.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from secondopinion.clock import now
from secondopinion.errors import ReportNotReady
from secondopinion.store import RosterStore

from functions.assign import handler as assign_handler
from functions.assign.settings import get_settings as assign_settings
from functions.deliver import handler as deliver_handler
from functions.intake import handler as intake_handler
from functions.report import handler as report_handler
from functions.validate import handler as validate_handler
from local.roster import DEMO_ROSTER

from .support import (
    PNG,
    TASK_TOKEN,
    FakeLambdaContext,
    Stack,
    Uploads,
    accept,
    assign,
    call_api,
    case_request,
    ct_small,
    invoke,
    offer,
    report_body,
    rest_event,
    send_report,
    submit,
)

MODULES = {
    "intake": intake_handler,
    "validate": validate_handler,
    "assign": assign_handler,
    "report": report_handler,
    "deliver": deliver_handler,
}
MARK = f"zqxobs{secrets.token_hex(4)}"
"""In every personal and health field of the observed case; in no log line and no metric."""


@dataclass
class Observed:
    """Everything the functions logged (by function) and every EMF blob they printed."""

    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: list[dict[str, Any]] = field(default_factory=list)
    case_id: str = ""

    @property
    def all_lines(self) -> list[dict[str, Any]]:
        return [line for lines in self.lines.values() for line in lines]

    def values(self, name: str, **dimensions: str) -> list[float]:
        """Every value of metric `name` among the blobs whose dimensions include `dimensions`."""
        found: list[float] = []
        for blob in self.blobs:
            if name in blob and all(blob.get(k) == v for k, v in dimensions.items()):
                found.extend(blob[name] if isinstance(blob[name], list) else [blob[name]])
        return found

    def unit(self, name: str) -> str:
        units = {
            m["Unit"]
            for blob in self.blobs
            for directive in blob["_aws"]["CloudWatchMetrics"]
            for m in directive["Metrics"]
            if m["Name"] == name
        }
        (only,) = units
        return str(only)


class Watching:
    """Collects the five loggers' lines and the EMF printed while it is open."""

    def __init__(self) -> None:
        self._streams = {step: io.StringIO() for step in MODULES}
        self._stdout = io.StringIO()
        self._exit = ExitStack()

    def __enter__(self) -> Watching:
        for step, module in MODULES.items():
            handler = module.logger.registered_handler
            previous = handler.setStream(self._streams[step])  # type: ignore[attr-defined]
            self._exit.callback(handler.setStream, previous)  # type: ignore[attr-defined]
        self._exit.enter_context(redirect_stdout(self._stdout))
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def observed(self) -> Observed:
        lines = {
            step: [json.loads(x) for x in s.getvalue().splitlines()] for step, s in self._streams.items()
        }
        blobs = [json.loads(x) for x in self._stdout.getvalue().splitlines() if '"_aws"' in x]
        return Observed(lines=lines, blobs=blobs)


def marked_request() -> dict[str, Any]:
    return case_request(
        email=f"{MARK}@radiologie-beispiel.ch",
        symptoms=f"Pain {MARK}-symptom.",
        questions=[f"Is {MARK}-question serious?"],
        clinical_history=f"History {MARK}-history.",
        original_institution=f"Spital {MARK}-institution",
        original_radiologist=f"Dr. {MARK}-radiologist",
    )


@pytest.fixture(scope="module")
def case(stack: Stack) -> Observed:
    """One marked case from its request to the patient's download, watched throughout."""
    roster = RosterStore(stack.environment["ROSTER_TABLE"])
    for radiologist in DEMO_ROSTER:
        roster.put(radiologist)  # nobody reading anything, as in a fresh roster
    uploads = Uploads(stack)
    with Watching() as watching:
        opened = call_api("intake", "POST", "/cases", body=marked_request())
        assert opened.status == 201, opened.text
        case_id, token = opened.json["case_id"], opened.json["access_token"]
        uploads.upload(case_id, token, ct_small(), name=f"{MARK}-scan.dcm")
        uploads.upload(case_id, token, PNG, name=f"{MARK}-photo.dcm")
        submitted = submit(case_id, token)
        assert submitted.status == 200 and submitted.json["status"] == "in_review", submitted.text
        assert submit(case_id, token).status == 200  # a repeated submit starts nothing new
        assigned = assign(case_id)
        offer(assigned["assignment_id"], TASK_TOKEN)
        assert accept(assigned["assignment_id"], assigned["radiologist_id"]).status == 200
        question = marked_request()["questions"][0]
        reading = report_body(
            [question],
            findings=f"Findings {MARK}-findings.",
            summary=f"Your {MARK}-summary.",
            confirm_readability=True,
        )
        reported = send_report(assigned["assignment_id"], reading, radiologist_id=assigned["radiologist_id"])
        assert reported.status == 200, reported.text
        report = {"case_id": case_id, "reading": {"assignment_id": assigned["assignment_id"]}}
        invoke("deliver", invoke("report", report))
        link = call_api(
            "deliver",
            "POST",
            "/cases/{case_id}/report/link",
            path_parameters={"case_id": case_id},
            token=token,
        )
        assert link.status == 200, link.text
    observed = watching.observed()
    observed.case_id = case_id
    return observed


# --- Logs ------------------------------------------------------------------------------------------


def test_each_step_of_the_case_is_logged_by_the_function_that_did_it(case: Observed) -> None:
    messages = {step: [line["message"] for line in lines] for step, lines in case.lines.items()}
    assert messages["intake"] == ["case opened", "review started"]
    assert messages["validate"] == ["file judged", "file judged"]
    assert messages["assign"] == ["offered"]
    assert messages["report"] == ["report stored"]
    assert messages["deliver"] == ["patient notified", "download link minted"]


def test_every_line_of_the_case_carries_its_case_id(case: Observed) -> None:
    assert {line.get("case_id") for line in case.all_lines} == {case.case_id}


def test_no_personal_or_health_value_reaches_a_log_line_or_a_metric(case: Observed) -> None:
    assert MARK not in json.dumps(case.all_lines)
    assert MARK not in json.dumps(case.blobs)


def test_a_radiologist_s_refused_request_is_logged_with_the_case_it_concerns(
    stack: Stack, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a case offered to one radiologist
    case_id, _ = submitted_case()
    assigned = assign(case_id)

    # When another radiologist tries to accept it (refused: not theirs)
    with Watching() as watching:
        refused = accept(assigned["assignment_id"], "rad-neuro-1")

    # Then the refusal is logged with the assignment and its case
    assert refused.status == 404
    (line,) = watching.observed().lines["assign"]
    assert line["message"] == "request refused"
    assert (line["case_id"], line["assignment_id"]) == (case_id, assigned["assignment_id"])


def test_a_failed_workflow_step_is_logged_with_its_case_and_the_error_s_type_only(
    new_case: Callable[..., tuple[str, str]],
) -> None:
    # Given a case still awaiting its upload, which the Deliver step cannot deliver
    case_id, _ = new_case()
    result = {"case_id": case_id, "report_key": f"cases/{case_id}/report.pdf", "html_key": "x"}

    # When the step runs and fails
    with Watching() as watching, pytest.raises(ReportNotReady) as failed:
        invoke("deliver", result)

    # Then one line says so, with the case, and without the exception's message
    (line,) = watching.observed().lines["deliver"]
    assert (line["message"], line["case_id"], line["exception_name"]) == (
        "invocation failed",
        case_id,
        "ReportNotReady",
    )
    assert failed.value.message not in json.dumps(line)


def test_with_whole_events_logged_no_body_token_or_header_value_is_written(stack: Stack) -> None:
    # Given the intake function as an operator's debug switch makes it (POWERTOOLS_LOGGER_LOG_EVENT):
    # the same handler, every incoming event logged
    logger: Logger = intake_handler.logger
    logging_events = logger.inject_lambda_context(log_event=True, clear_state=True)(
        intake_handler.handler.__wrapped__  # type: ignore[attr-defined]
    )
    context = FakeLambdaContext(function_name="secondopinion-intake")

    # When a patient opens a case and then reads it with the access token
    with Watching() as watching:
        opened = logging_events(rest_event("POST", "/cases", body=marked_request()), context)
        case_id, token = (json.loads(opened["body"])[k] for k in ("case_id", "access_token"))
        read = rest_event("GET", "/cases/{case_id}", path_parameters={"case_id": case_id}, token=token)
        logging_events(read, context)

    # Then both events are in the log, with their routes, and neither the body nor the token is
    lines = watching.observed().lines["intake"]
    events = [line["message"] for line in lines if isinstance(line["message"], dict)]
    assert [e["resource"] for e in events] == ["/cases", "/cases/{case_id}"]
    assert MARK not in json.dumps(lines) and token not in json.dumps(lines)
    assert events[1]["headers"]["Authorization"] == "*****"


# --- Metrics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("CasesCreated", [1.0]),
        ("CasesSubmitted", [1.0]),
        ("FilesValidated", [1.0, 1.0]),
        ("FilesAccepted", [1.0]),
        ("ReportsGenerated", [1.0]),
        ("Deliveries", [1.0]),
        ("ReportDownloads", [1.0]),
    ],
)
def test_each_count_of_the_case_is_written_once(case: Observed, metric: str, expected: list[float]) -> None:
    assert case.values(metric) == expected


def test_a_rejected_file_is_counted_in_all_and_by_its_reason(case: Observed) -> None:
    # Given the photo named .dcm the patient uploaded / Then it is one rejection, under its code
    assert case.values("FilesRejected", service="validate") == [1.0, 1.0]  # the total and by reason
    (by_reason,) = [b for b in case.blobs if "FilesRejected" in b and "reason" in b]
    assert by_reason["reason"] == "not_dicom"
    assert by_reason["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "reason"]]


@pytest.mark.parametrize("metric", ["TimeToAssignment", "TimeToAccept", "TimeToReport"])
def test_each_duration_is_written_once_in_seconds(case: Observed, metric: str) -> None:
    (value,) = case.values(metric)
    assert case.unit(metric) == "Seconds"
    assert 0 <= value < 120  # the whole case ran in this test session


def test_the_time_to_report_spans_the_time_to_assignment_and_to_accept(case: Observed) -> None:
    (to_report,) = case.values("TimeToReport")
    (to_assignment,) = case.values("TimeToAssignment")
    (to_accept,) = case.values("TimeToAccept")
    assert to_report >= to_assignment + to_accept - 0.01


# --- The deadline watch ----------------------------------------------------------------------------


def _set_elapsed(stack: Stack, case_id: str, fraction: float, sla: timedelta = timedelta(hours=72)) -> None:
    """Move a case's submission back so that `fraction` of its SLA has elapsed."""
    submitted = now() - sla * fraction
    table = stack.session.resource("dynamodb").Table(stack.environment["CASES_TABLE"])
    table.update_item(
        Key={"case_id": case_id},
        UpdateExpression="SET submitted_at = :s, deadline = :d",
        ExpressionAttributeValues={":s": submitted.isoformat(), ":d": (submitted + sla).isoformat()},
    )


def _watch() -> tuple[dict[str, int], dict[tuple[str, str], float]]:
    """One round of the deadline watch: its answer and the open-case gauges it wrote."""
    with Watching() as watching:
        answer = invoke("assign", {"action": "watch"})
    gauges = {
        (b["status"], b["sla"]): b["OpenCases"][0] for b in watching.observed().blobs if "OpenCases" in b
    }
    return answer, gauges


def _alerts(stack: Stack, case_id: str) -> list[str]:
    return list(stack.item("CASES_TABLE", {"case_id": case_id}).get("alerts", []))


def test_the_watch_writes_every_status_and_sla_gauge_and_moves_a_breached_case(
    stack: Stack, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    # Given a case in review, and the gauges as the watch finds them
    case_id, _ = submitted_case()
    _, before = _watch()

    # When its deadline passes and the watch runs again
    _set_elapsed(stack, case_id, 1.1)
    answer, after = _watch()

    # Then every status and SLA combination is written, and the case moved from on track to breached
    assert set(after) == {
        (s, sla) for s in ("in_review", "reporting") for sla in ("on_track", "at_risk", "breached")
    }
    assert after["in_review", "breached"] == before["in_review", "breached"] + 1
    assert after["in_review", "on_track"] == before["in_review", "on_track"] - 1
    assert answer["breached"] >= 1 and "sla_breached" in _alerts(stack, case_id)


def test_a_breach_is_counted_once_however_often_the_watch_runs(
    stack: Stack, submitted_case: Callable[..., tuple[str, str]]
) -> None:
    case_id, _ = submitted_case()
    _set_elapsed(stack, case_id, 1.1)
    _watch()
    answer, gauges = _watch()
    assert answer["breached"] == 0 and gauges["in_review", "breached"] >= 1


@pytest.mark.parametrize(("fraction", "at_risk"), [("0.75", True), ("0.9", False)])
def test_the_watch_uses_the_operator_s_at_risk_fraction(
    stack: Stack,
    submitted_case: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    fraction: str,
    at_risk: bool,
) -> None:
    # Given a case 80 % into its SLA and the at-risk fraction the stack passes the function
    case_id, _ = submitted_case()
    _set_elapsed(stack, case_id, 0.8)
    monkeypatch.setenv("SLA_AT_RISK_FRACTION", fraction)
    assign_settings.cache_clear()
    try:
        # When the watch runs
        _watch()
    finally:
        monkeypatch.undo()
        assign_settings.cache_clear()

    # Then ops are told it is at risk only past the operator's threshold
    assert ("sla_at_risk" in _alerts(stack, case_id)) is at_risk


def test_the_stack_passes_the_default_at_risk_fraction(stack: Stack) -> None:
    assert stack.environment["SLA_AT_RISK_FRACTION"] == "0.75"
