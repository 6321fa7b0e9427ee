"""What ops watch: alarms to the ops topic, and one dashboard of cases, files, turnaround, functions,
queues and the review workflow.

The business metrics come from the functions in CloudWatch's embedded metric format (namespace
SecondOpinion, dimension `service`: the function that wrote them); see README.md, "Operating".
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .config import DeploymentConfig

NAMESPACE = "SecondOpinion"
PERIOD = Duration.minutes(5)
"""The deadline watch's rate, so a gauge it writes has one value per period."""
RUNNING = ("in_review", "reporting")
SLA_STATES = ("on_track", "at_risk", "breached")
WIDTH = 24


def business(name: str, service: str, statistic: str = "Sum", **dimensions: str) -> cw.Metric:
    """A metric the functions write, under the function (`service`) that writes it."""
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        statistic=statistic,
        dimensions_map={"service": service, **dimensions},
        period=PERIOD,
    )


class Monitoring(Construct):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, config: DeploymentConfig) -> None:
        super().__init__(scope, id)
        self.ops_topic = sns.Topic(
            self, "OpsTopic", display_name="Second opinion ops", master_key=key, enforce_ssl=True
        )
        for address in config.ops_emails:
            self.ops_topic.add_subscription(subscriptions.EmailSubscription(address))
        self._action = actions.SnsAction(self.ops_topic)
        self.alarms: list[cw.Alarm] = []
        self.dashboard_name = f"SecondOpinion-{config.env_name}"
        self.dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.dashboard_name,
            default_interval=Duration.days(1),
        )

    def _alarm(self, id: str, metric: cw.IMetric, description: str, threshold: float = 1) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            id,
            alarm_name=f"{self.dashboard_name}-{id}",  # what the ops e-mail's subject names
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    # --- alarms --------------------------------------------------------------------------------

    def watch_functions(self, functions: dict[str, lambda_.Function]) -> None:
        for step, fn in functions.items():
            self._alarm(
                f"{step.capitalize()}Errors",
                fn.metric_errors(period=PERIOD),
                f"The {step} function failed; see its logs by case id (the dashboard's error lines).",
            )

    def watch_workflow(self, machine: sfn.StateMachine) -> None:
        for name, metric in (
            ("Failed", machine.metric_failed(period=PERIOD)),
            ("TimedOut", machine.metric_timed_out(period=PERIOD)),
            ("Aborted", machine.metric_aborted(period=PERIOD)),
        ):
            self._alarm(f"Executions{name}", metric, f"A review execution ended {name.lower()}.")

    def watch_dead_letters(self, queue: sqs.IQueue) -> None:
        self._alarm(
            "UploadDeadLetters",
            queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            "Upload events could not be validated: fix the cause, then `secondopinion ops replay` "
            "(docs/runbook.md).",
        )

    def watch_escalations(self) -> None:
        self._alarm(
            "Escalations",
            business("Escalations", "assign"),
            "A case was escalated to ops; see GET /ops/cases.",
        )

    def watch_deadlines(self) -> None:
        """The deadline watch's findings: each case at risk and each breach, once per case."""
        self._alarm(
            "SlaAtRisk",
            business("SlaAtRisk", "assign"),
            "A case is at risk of missing its SLA: reassign it or find a reader (docs/runbook.md).",
        )
        self._alarm(
            "SlaBreached",
            business("SlaBreached", "assign"),
            "A case missed its SLA: tell the patient and finish it first (docs/runbook.md).",
        )

    # --- the dashboard -------------------------------------------------------------------------

    def build_dashboard(
        self,
        *,
        functions: dict[str, lambda_.Function],
        machine: sfn.StateMachine,
        queue: sqs.IQueue,
        dead_letters: sqs.IQueue,
    ) -> None:
        """One page: where every case stands, what flowed, how fast, and the machinery under it."""
        self.dashboard.add_widgets(
            cw.TextWidget(
                markdown="# Second opinion\nCases against their SLA, the pipeline's counts and times, "
                "and the functions, queues and workflow under them. Runbook: docs/runbook.md.",
                width=WIDTH,
                height=2,
            ),
            # By name rather than by reference: the widget then depends on no alarm resource (the
            # local stack's CloudFormation does not create alarms).
            cw.AlarmStatusWidget(
                title="Alarms",
                alarms=[
                    cw.Alarm.from_alarm_name(
                        self, f"{alarm.node.id}Status", f"{self.dashboard_name}-{alarm.node.id}"
                    )
                    for alarm in self.alarms
                ],
                width=WIDTH,
                height=4,
            ),
        )
        self.dashboard.add_widgets(*self._cases())
        self.dashboard.add_widgets(*self._files())
        self.dashboard.add_widgets(*self._turnaround())
        self.dashboard.add_widgets(*self._functions(functions))
        self.dashboard.add_widgets(*self._queues(queue, dead_letters))
        self.dashboard.add_widgets(*self._workflow(machine))

    def _open(self, status: str, sla: str) -> cw.Metric:
        return business("OpenCases", "assign", "Maximum", status=status, sla=sla)

    def _cases(self) -> list[cw.IWidget]:
        gauges = {f"{status}_{sla}": self._open(status, sla) for status in RUNNING for sla in SLA_STATES}
        by_sla = [
            cw.MathExpression(
                expression=" + ".join(f"{status}_{sla}" for status in RUNNING),
                using_metrics={f"{status}_{sla}": gauges[f"{status}_{sla}"] for status in RUNNING},
                label=sla.replace("_", " "),
                period=PERIOD,
            )
            for sla in SLA_STATES
        ]
        by_status = [
            cw.MathExpression(
                expression=" + ".join(f"{status}_{sla}" for sla in SLA_STATES),
                using_metrics={f"{status}_{sla}": gauges[f"{status}_{sla}"] for sla in SLA_STATES},
                label=status.replace("_", " "),
                period=PERIOD,
            )
            for status in RUNNING
        ]
        return [
            cw.GraphWidget(
                title="Open cases by SLA status", left=by_sla, stacked=True, width=8, left_y_axis=_count()
            ),
            cw.GraphWidget(
                title="Open cases by status", left=by_status, stacked=True, width=8, left_y_axis=_count()
            ),
            cw.GraphWidget(
                title="Cases",
                left=[
                    business("CasesCreated", "intake"),
                    business("CasesSubmitted", "intake"),
                    business("Deliveries", "deliver"),
                    business("ReportDownloads", "deliver"),
                    business("CasesErased", "intake"),
                    business("CasesAbandonedErased", "intake"),
                ],
                width=8,
                left_y_axis=_count(),
            ),
        ]

    def _files(self) -> list[cw.IWidget]:
        rejected_by_reason = cw.MathExpression(
            expression=f"SEARCH('{{{NAMESPACE},service,reason}} MetricName=\"FilesRejected\"', 'Sum', 300)",
            label="${PROP('Dim.reason')}",  # each series named by its reason code
            period=PERIOD,
        )
        return [
            cw.GraphWidget(
                title="Files validated",
                left=[
                    business("FilesValidated", "validate"),
                    business("FilesAccepted", "validate"),
                    business("FilesSkipped", "validate"),
                    business("FilesRejected", "validate"),
                ],
                width=12,
                left_y_axis=_count(),
            ),
            cw.GraphWidget(
                title="Files rejected by reason", left=[rejected_by_reason], width=12, left_y_axis=_count()
            ),
        ]

    def _turnaround(self) -> list[cw.IWidget]:
        durations = [
            business(name, service, statistic)
            for name, service in (
                ("TimeToAssignment", "assign"),
                ("TimeToAccept", "assign"),
                ("TimeToReport", "report"),
            )
            for statistic in ("p50", "p90")
        ]
        return [
            cw.GraphWidget(
                title="Time to assignment, to accept, to report (seconds, p50 and p90)",
                left=durations,
                width=12,
                left_y_axis=cw.YAxisProps(min=0, label="seconds", show_units=False),
            ),
            cw.GraphWidget(
                title="Reassignments, escalations, SLA at risk and breached, restarts",
                left=[
                    business("Reassignments", "assign"),
                    business("Escalations", "assign"),
                    business("SlaAtRisk", "assign"),
                    business("SlaBreached", "assign"),
                    business("CriticalFindings", "assign"),
                    business("ReviewsRestarted", "intake"),
                ],
                width=12,
                left_y_axis=_count(),
            ),
        ]

    def _functions(self, functions: dict[str, lambda_.Function]) -> list[cw.IWidget]:
        log_groups = [fn.log_group.log_group_name for fn in functions.values()]
        return [
            cw.GraphWidget(
                title="Function errors",
                left=[fn.metric_errors(period=PERIOD, label=step) for step, fn in functions.items()],
                width=8,
                left_y_axis=_count(),
            ),
            cw.GraphWidget(
                title="Function duration (p95, ms)",
                left=[
                    fn.metric_duration(period=PERIOD, statistic="p95", label=step)
                    for step, fn in functions.items()
                ],
                width=8,
            ),
            cw.GraphWidget(
                title="Function throttles",
                left=[fn.metric_throttles(period=PERIOD, label=step) for step, fn in functions.items()],
                width=8,
                left_y_axis=_count(),
            ),
            cw.LogQueryWidget(
                title="Warnings and errors, by case id",
                log_group_names=log_groups,
                query_lines=[
                    "fields @timestamp, service, case_id, message, error_code, exception_name",
                    'filter level in ["WARNING", "ERROR", "CRITICAL"]',
                    "sort @timestamp desc",
                    "limit 50",
                ],
                width=WIDTH,
                height=6,
                region=Stack.of(self).region,
            ),
        ]

    def _queues(self, queue: sqs.IQueue, dead_letters: sqs.IQueue) -> list[cw.IWidget]:
        return [
            cw.GraphWidget(
                title="Upload events waiting",
                left=[
                    queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
                ],
                right=[queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")],
                width=12,
            ),
            cw.GraphWidget(
                title="Upload dead letters (replay: secondopinion ops replay)",
                left=[
                    dead_letters.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum"
                    )
                ],
                width=12,
                left_y_axis=_count(),
            ),
        ]

    def _workflow(self, machine: sfn.StateMachine) -> list[cw.IWidget]:
        return [
            cw.GraphWidget(
                title="Review executions",
                left=[
                    machine.metric_started(period=PERIOD),
                    machine.metric_succeeded(period=PERIOD),
                    machine.metric_failed(period=PERIOD),
                    machine.metric_timed_out(period=PERIOD),
                    machine.metric_aborted(period=PERIOD),
                ],
                width=12,
                left_y_axis=_count(),
            ),
            cw.GraphWidget(
                title="Review execution time (p50, p90)",
                left=[machine.metric_time(period=PERIOD, statistic=s) for s in ("p50", "p90")],
                width=12,
            ),
        ]


def _count() -> cw.YAxisProps:
    return cw.YAxisProps(min=0, show_units=False)
