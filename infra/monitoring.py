"""Alarms that page ops: function errors, failed executions, dead letters, escalations."""

from __future__ import annotations

from aws_cdk import Duration
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


class Monitoring(Construct):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, config: DeploymentConfig) -> None:
        super().__init__(scope, id)
        self.ops_topic = sns.Topic(
            self, "OpsTopic", display_name="Second opinion ops", master_key=key, enforce_ssl=True
        )
        for address in config.ops_emails:
            self.ops_topic.add_subscription(subscriptions.EmailSubscription(address))
        self._action = actions.SnsAction(self.ops_topic)

    def _alarm(self, id: str, metric: cw.IMetric, description: str, threshold: float = 1) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        return alarm

    def watch_functions(self, functions: dict[str, lambda_.IFunction]) -> None:
        for step, fn in functions.items():
            self._alarm(
                f"{step.capitalize()}Errors",
                fn.metric_errors(period=Duration.minutes(5)),
                f"The {step} function failed; see its logs by case id.",
            )

    def watch_workflow(self, machine: sfn.StateMachine) -> None:
        for name, metric in (
            ("Failed", machine.metric_failed(period=Duration.minutes(5))),
            ("TimedOut", machine.metric_timed_out(period=Duration.minutes(5))),
            ("Aborted", machine.metric_aborted(period=Duration.minutes(5))),
        ):
            self._alarm(f"Executions{name}", metric, f"A review execution ended {name.lower()}.")

    def watch_dead_letters(self, queue: sqs.IQueue) -> None:
        self._alarm(
            "UploadDeadLetters",
            queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            "Upload events could not be validated; replay them after a fix.",
        )

    def watch_escalations(self) -> None:
        metric = cw.Metric(
            namespace="SecondOpinion",
            metric_name="Escalations",
            statistic="Sum",
            dimensions_map={"service": "assign"},
            period=Duration.minutes(5),
        )
        self._alarm("Escalations", metric, "A case was escalated to ops; see GET /ops/cases.")
