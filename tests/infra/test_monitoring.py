"""What ops see and hear: the dashboard's widgets and the alarms to the ops topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from infra.functions import STEPS
from tests.infra.cfn import dashboard_body, of_type
from tests.infra.synthesis import Synthesized


@dataclass(frozen=True)
class Graphed:
    """One metric a dashboard widget draws."""

    widget: str
    namespace: str
    name: str
    dimensions: dict[str, str]
    options: dict[str, Any]


@pytest.fixture(scope="module")
def body(dev: Synthesized) -> dict[str, Any]:
    (dashboard,) = of_type(dev.resources, "AWS::CloudWatch::Dashboard").values()
    return dashboard_body(dashboard)


@pytest.fixture(scope="module")
def graphed(body: dict[str, Any]) -> list[Graphed]:
    found = []
    for widget in body["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if isinstance(metric[0], dict):
                continue  # an expression over the metrics listed beside it
            options = metric[-1] if isinstance(metric[-1], dict) else {}
            values = [m for m in metric if not isinstance(m, dict)]
            namespace, name, *pairs = values
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            found.append(Graphed(widget["properties"].get("title", ""), namespace, name, dimensions, options))
    return found


def expressions(body: dict[str, Any]) -> list[str]:
    return [
        metric[0]["expression"]
        for widget in body["widgets"]
        for metric in widget["properties"].get("metrics", [])
        if isinstance(metric[0], dict) and "expression" in metric[0]
    ]


def drawn(graphed: list[Graphed], name: str, **dimensions: str) -> list[Graphed]:
    return [g for g in graphed if g.name == name and dimensions.items() <= g.dimensions.items()]


def test_the_dashboard_is_named_by_its_environment(dev: Synthesized) -> None:
    (dashboard,) = of_type(dev.resources, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "SecondOpinion-dev"


@pytest.mark.parametrize(
    ("metric", "service"),
    [
        ("CasesCreated", "intake"),
        ("CasesSubmitted", "intake"),
        ("FilesValidated", "validate"),
        ("FilesRejected", "validate"),
        ("Reassignments", "assign"),
        ("SlaAtRisk", "assign"),
        ("SlaBreached", "assign"),
        ("Escalations", "assign"),
        ("Deliveries", "deliver"),
        ("ReportDownloads", "deliver"),
        ("ReviewsRestarted", "intake"),
        ("CasesAbandonedErased", "intake"),
    ],
)
def test_each_business_count_is_drawn_under_the_function_that_writes_it(
    graphed: list[Graphed], metric: str, service: str
) -> None:
    (found,) = drawn(graphed, metric, service=service)
    assert found.namespace == "SecondOpinion" and found.options["stat"] == "Sum"


@pytest.mark.parametrize(
    ("metric", "service"),
    [("TimeToAssignment", "assign"), ("TimeToAccept", "assign"), ("TimeToReport", "report")],
)
def test_each_duration_is_drawn_as_median_and_90th_percentile(
    graphed: list[Graphed], metric: str, service: str
) -> None:
    assert sorted(g.options["stat"] for g in drawn(graphed, metric, service=service)) == ["p50", "p90"]


def test_rejected_files_are_drawn_by_their_reason(body: dict[str, Any]) -> None:
    assert any("{SecondOpinion,service,reason}" in e and "FilesRejected" in e for e in expressions(body))


@pytest.mark.parametrize("status", ["in_review", "reporting"])
@pytest.mark.parametrize("sla", ["on_track", "at_risk", "breached"])
def test_open_cases_are_drawn_for_every_status_and_sla_status(
    graphed: list[Graphed], status: str, sla: str
) -> None:
    # Given the deadline watch's gauge / Then each combination feeds both the by-SLA and by-status graphs
    widgets = {g.widget for g in drawn(graphed, "OpenCases", service="assign", status=status, sla=sla)}
    assert widgets == {"Open cases by SLA status", "Open cases by status"}


@pytest.mark.parametrize("metric", ["Errors", "Duration", "Throttles"])
@pytest.mark.parametrize("step", STEPS)
def test_each_function_s_errors_durations_and_throttles_are_drawn(
    dev: Synthesized, graphed: list[Graphed], metric: str, step: str
) -> None:
    function = dev.logical_id(dev.stack.functions.by_step[step])
    assert drawn(graphed, metric, FunctionName=f"${{{function}}}")


def test_warnings_and_errors_of_every_function_are_listed_by_case_id(
    dev: Synthesized, body: dict[str, Any]
) -> None:
    (logs,) = [w["properties"] for w in body["widgets"] if w["type"] == "log"]
    for step in STEPS:
        group = dev.logical_id(dev.stack.functions.by_step[step].log_group)
        assert f"SOURCE '${{{group}}}'" in logs["query"]
    assert "case_id" in logs["query"] and "WARNING" in logs["query"]


@pytest.mark.parametrize("queue", ["upload_events", "upload_dead_letters"])
def test_both_upload_queues_depths_are_drawn(dev: Synthesized, graphed: list[Graphed], queue: str) -> None:
    name = (
        dev.stack.storage.upload_events if queue == "upload_events" else dev.stack.storage.upload_dead_letters
    )
    assert drawn(graphed, "ApproximateNumberOfMessagesVisible", QueueName=f"${{{dev.logical_id(name)}}}")


@pytest.mark.parametrize(
    "metric",
    [
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
    ],
)
def test_the_review_executions_are_drawn(dev: Synthesized, graphed: list[Graphed], metric: str) -> None:
    machine = dev.logical_id(dev.stack.workflow.state_machine)
    assert drawn(graphed, metric, StateMachineArn=f"${{{machine}}}")


def test_the_dashboard_shows_every_alarm(dev: Synthesized, body: dict[str, Any]) -> None:
    (status,) = [w["properties"] for w in body["widgets"] if w["type"] == "alarm"]
    names = {a["Properties"]["AlarmName"] for a in of_type(dev.resources, "AWS::CloudWatch::Alarm").values()}
    assert {arn.rsplit(":alarm:", 1)[1] for arn in status["alarms"]} == names


# --- Alarms ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["SlaAtRisk", "SlaBreached", "Escalations"])
def test_a_case_at_risk_breached_or_escalated_alarms_at_once(dev: Synthesized, metric: str) -> None:
    (alarm,) = [
        a["Properties"]
        for a in of_type(dev.resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
    ]
    assert alarm["Namespace"] == "SecondOpinion"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "assign"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["EvaluationPeriods"]) == ("Sum", 1, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


def test_each_alarm_is_named_by_its_environment(dev: Synthesized) -> None:
    for alarm in of_type(dev.resources, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmName"].startswith("SecondOpinion-dev-")


def test_one_dead_letter_alarms(dev: Synthesized) -> None:
    dlq = dev.logical_id(dev.stack.storage.upload_dead_letters)
    (alarm,) = [
        a["Properties"]
        for a in of_type(dev.resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [dlq, "QueueName"]}
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", 1)
    assert "secondopinion ops replay" in alarm["AlarmDescription"]


@pytest.mark.parametrize("output", ["DashboardUrl", "OpsTopicArn"])
def test_the_outputs_lead_ops_to_the_dashboard_and_the_topic(dev: Synthesized, output: str) -> None:
    assert output in dev.raw["Outputs"]


def test_the_dashboard_url_names_the_region_and_the_dashboard(dev: Synthesized) -> None:
    url = dev.raw["Outputs"]["DashboardUrl"]["Value"]
    assert url.startswith("https://eu-central-2.console.aws.amazon.com/cloudwatch/")
    assert url.endswith("#dashboards/dashboard/SecondOpinion-dev")
