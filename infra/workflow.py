"""The review workflow: assign -> wait for the radiologist -> (translation) -> report -> deliver.

Every duration comes from the execution input (written by intake from the case's SLA), so the
same definition runs in AWS and, with compressed time, in the local stack.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .config import DeploymentConfig
from .functions import log_retention

WATCH_MINUTES = 5

TIMED_OUT = ["States.Timeout", "States.HeartbeatTimeout"]
"""moto raises States.Timeout for a missed heartbeat where AWS raises States.HeartbeatTimeout, so
both names are caught together."""
REVIEW_ENDED = [*TIMED_OUT, "Review.Declined"]
"""A read that ends without a report."""
WAIT_RESULTS = {"offer": "$.accepted", "translation": "$.signed_off"}
"""Where a wait keeps what it resumes with, when not under its phase's name."""

TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "Sandbox.Timedout",
    "ClientError",
]
"""Errors worth another try: Lambda's own, a function timeout, and AWS errors seen by our code
(throttling surfaces as botocore's ClientError). Domain errors are never retried."""


def _task(scope: Construct, name: str, fn: lambda_.IFunction, **kwargs: Any) -> tasks.LambdaInvoke:
    """A Lambda task with one retry policy (CDK's default retrier would shadow it)."""
    task = tasks.LambdaInvoke(scope, name, lambda_function=fn, retry_on_service_exceptions=False, **kwargs)
    task.add_retry(errors=TRANSIENT, interval=Duration.seconds(2), max_attempts=3, backoff_rate=2)
    return task


def _request(action: str, **fields: Any) -> sfn.TaskInput:
    return sfn.TaskInput.from_object({"action": action, "request": fields})


class Workflow(Construct):
    """Single reads: Assign -> WaitForAcceptance -> WaitForReport -> Report -> Deliver.
    Consensus reads: two such review loops in parallel (each reader blinded to the other), then
    CompareReads; discordant reads go to WaitForAgreement (the primary writes the agreed reading)
    and WaitForCosign (the second reader co-signs) before the report. A reading written in another
    language than the patient's goes through AssignTranslation -> WaitForTranslation (sign-off)
    before the report."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        assign: lambda_.IFunction,
        report: lambda_.IFunction,
        deliver: lambda_.IFunction,
        key: kms.IKey,
        config: DeploymentConfig,
    ) -> None:
        super().__init__(scope, id)
        self._assign = assign
        case_id = sfn.JsonPath.string_at("$.case_id")

        stop = sfn.Fail(self, "Failed", error="Pipeline.StepFailed", cause="see the case timeline")
        failed = self._escalation(self, "EscalateFailure", "step_failed")
        failed.add_catch(stop, errors=["States.ALL"], result_path="$.escalation_error")
        failed.next(stop)

        single = self._review_loop(self, "", reader=1, on_failure=failed)
        one_reader = sfn.Pass(
            self,
            "OneReader",
            result_path="$.reading",
            parameters={"assignment_id.$": "$.review.assignment_id"},
        )

        readers = sfn.Parallel(self, "TwoReaders", result_path="$.reads")
        for reader in (1, 2):
            branch_failed = sfn.Fail(
                self, f"Reader{reader}Failed", error="Pipeline.StepFailed", cause="see the case timeline"
            )
            # Each branch hands back only its reading's outcome, so the Parallel yields [first, second].
            readers.branch(
                self._review_loop(self, f"Reader{reader}", reader=reader, on_failure=branch_failed).next(
                    sfn.Pass(self, f"Reader{reader}Read", input_path="$.review")
                )
            )
        readers.add_catch(failed, errors=["States.ALL"], result_path="$.failure")
        compare = _task(
            self,
            "CompareReads",
            assign,
            result_path="$.comparison",
            payload=_request(
                "compare",
                case_id=case_id,
                reads=sfn.JsonPath.list_at("$.reads"),
            ),
            result_selector={
                "concordant.$": "$.Payload.concordant",
                "primary_assignment_id.$": "$.Payload.primary_assignment_id",
                "second_assignment_id.$": "$.Payload.second_assignment_id",
            },
        )
        compare.add_catch(failed, errors=["States.ALL"], result_path="$.failure")
        concordant = sfn.Pass(
            self,
            "Concordant",
            result_path="$.reading",
            parameters={
                "assignment_id.$": "$.comparison.primary_assignment_id",
                "second_assignment_id.$": "$.comparison.second_assignment_id",
            },
        )
        agreement = self._wait_on(self, "WaitForAgreement", "$.comparison.primary_assignment_id", "consensus")
        cosign = self._wait_on(self, "WaitForCosign", "$.comparison.second_assignment_id", "cosign")
        for wait in (agreement, cosign):
            wait.add_catch(failed, errors=["States.ALL"], result_path="$.failure")
        agreed = sfn.Pass(
            self,
            "Agreed",
            result_path="$.reading",
            parameters={
                "assignment_id.$": "$.comparison.primary_assignment_id",
                "second_assignment_id.$": "$.comparison.second_assignment_id",
                "agreed": True,
            },
        )

        report_task = _task(
            self,
            "Report",
            report,
            result_path="$.report",
            payload=sfn.TaskInput.from_object(
                {
                    "case_id": case_id,
                    "reading": sfn.JsonPath.object_at("$.reading"),
                    "translation_assignment_id": sfn.JsonPath.string_at("$.translation.assignment_id"),
                }
            ),
            result_selector={
                "case_id.$": "$.Payload.case_id",
                "report_key.$": "$.Payload.report_key",
                "html_key.$": "$.Payload.html_key",
            },
        )
        deliver_task = _task(
            self,
            "Deliver",
            deliver,
            result_path="$.delivery",
            payload=sfn.TaskInput.from_json_path_at("$.report"),
            result_selector={"delivered_at.$": "$.Payload.delivered_at"},
        )
        report_task.add_catch(failed, errors=["States.ALL"], result_path="$.failure")
        deliver_task.add_catch(failed, errors=["States.ALL"], result_path="$.failure")
        report_task.next(deliver_task).next(sfn.Succeed(self, "Delivered"))
        translation = self._translation(self, on_failure=failed, then=report_task)

        single.next(one_reader).next(translation)
        readers.next(compare).next(
            sfn.Choice(self, "ReadsAgree?")
            .when(sfn.Condition.boolean_equals("$.comparison.concordant", True), concordant.next(translation))
            .otherwise(agreement.next(cosign).next(agreed).next(translation))
        )
        definition = (
            sfn.Choice(self, "ConsensusRead?")
            .when(sfn.Condition.boolean_equals("$.consensus", True), readers)
            .otherwise(single)
        )
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention(config.log_retention_days), encryption_key=key
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Review",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
            timeout=Duration.days(30),
        )
        # The deadline watch: cases at risk of missing their SLA are escalated, breaches recorded.
        events.Rule(
            self,
            "DeadlineWatch",
            schedule=events.Schedule.rate(Duration.minutes(WATCH_MINUTES)),
            description="Escalates cases at risk of missing their deadline",
            targets=[
                targets.LambdaFunction(
                    assign, event=events.RuleTargetInput.from_object({"action": "watch"}), retry_attempts=2
                )
            ],
        )

    def _escalation(self, scope: Construct, name: str, reason: str) -> tasks.LambdaInvoke:
        return _task(
            scope,
            name,
            self._assign,
            result_path=sfn.JsonPath.DISCARD,
            payload=_request("escalate", case_id=sfn.JsonPath.string_at("$.case_id"), reason=reason),
        )

    def _wait_on(
        self, scope: Construct, name: str, assignment_path: str, phase: str, **timeouts: Any
    ) -> tasks.LambdaInvoke:
        """A task that hands its token to the assign function and waits for the radiologist."""
        return _task(
            scope,
            name,
            self._assign,
            result_path=WAIT_RESULTS.get(phase, f"$.{phase}"),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=_request(
                "offer",
                assignment_id=sfn.JsonPath.string_at(assignment_path),
                task_token=sfn.JsonPath.task_token,
                phase=phase,
            ),
            task_timeout=timeouts.get("task_timeout", sfn.Timeout.at("$.timeouts.review_seconds")),
            **{k: v for k, v in timeouts.items() if k != "task_timeout"},
        )

    def _translation(
        self, scope: Construct, *, on_failure: sfn.IChainable, then: sfn.IChainable
    ) -> sfn.Chain:
        """A reading in another language than the patient's waits for a radiologist who reads
        both to sign off its translation; a timeout escalates and, like a decline, asks the next
        one; nobody who reads both waits in the queue. Any other reading goes straight on."""
        case_id = sfn.JsonPath.string_at("$.case_id")
        start = sfn.Pass(
            scope,
            "StartTranslation",
            result=sfn.Result.from_object({"attempt": 0}),
            result_path="$.translation",
        )
        assign_translation = _task(
            scope,
            "AssignTranslation",
            self._assign,
            result_path="$.translation",
            payload=_request(
                "translate",
                case_id=case_id,
                reading=sfn.JsonPath.object_at("$.reading"),
                run=sfn.JsonPath.number_at("$.run"),
                attempt=sfn.JsonPath.number_at("$.translation.attempt"),
                timeouts=sfn.JsonPath.object_at("$.timeouts"),
            ),
            result_selector={
                "needed.$": "$.Payload.needed",
                "attempt.$": "$.Payload.attempt",
                "assignment_id.$": "$.Payload.assignment_id",
            },
        )
        wait = self._wait_on(scope, "WaitForTranslation", "$.translation.assignment_id", "translation")
        release = _task(
            scope,
            "ReleaseTranslation",
            self._assign,
            result_path="$.translation",
            payload=_request(
                "release",
                case_id=case_id,
                assignment_id=sfn.JsonPath.string_at("$.translation.assignment_id"),
                error=sfn.JsonPath.string_at("$.translation_error.Error"),
                attempt=sfn.JsonPath.number_at("$.translation.attempt"),
            ),
            result_selector={"attempt.$": "$.Payload.attempt"},
        )
        overdue = self._escalation(scope, "EscalateTranslationOverdue", "translation_overdue")
        nobody = self._escalation(scope, "EscalateNoTranslator", "no_translator_available")
        wait_in_queue = sfn.Wait(
            scope, "WaitForTranslator", time=sfn.WaitTime.seconds_path("$.timeouts.queue_seconds")
        )

        assign_translation.add_catch(nobody, errors=["NoRadiologistAvailable"], result_path="$.assign_error")
        assign_translation.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        nobody.add_catch(wait_in_queue, errors=["States.ALL"], result_path="$.escalation_error")
        nobody.next(wait_in_queue)
        wait_in_queue.next(assign_translation)
        wait.add_catch(overdue, errors=TIMED_OUT, result_path="$.translation_error")
        wait.add_catch(release, errors=["Review.Declined"], result_path="$.translation_error")
        wait.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        overdue.add_catch(release, errors=["States.ALL"], result_path="$.escalation_error")
        overdue.next(release)
        release.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        release.next(assign_translation)
        wait.next(then)
        return start.next(assign_translation).next(
            sfn.Choice(scope, "TranslationNeeded?")
            .when(sfn.Condition.boolean_equals("$.translation.needed", True), wait)
            .otherwise(then)
        )

    def _review_loop(
        self, scope: Construct, prefix: str, *, reader: int, on_failure: sfn.IChainable
    ) -> sfn.Chain:
        """One reader's loop: assign, offer, read; a miss or a decline releases the case and
        assigns it again (escalating once attempts run out); nobody available waits in a queue."""
        case_id = sfn.JsonPath.string_at("$.case_id")
        assign_task = _task(
            scope,
            f"{prefix}Assign",
            self._assign,
            result_path="$.assignment",
            payload=_request(
                "assign",
                case_id=case_id,
                run=sfn.JsonPath.number_at("$.run"),
                attempt=sfn.JsonPath.number_at("$.attempt"),
                reader=reader,
                timeouts=sfn.JsonPath.object_at("$.timeouts"),
            ),
            result_selector={
                "assignment_id.$": "$.Payload.assignment_id",
                "radiologist_id.$": "$.Payload.radiologist_id",
                "carried.$": "$.Payload.carried",
            },
        )
        # A restarted run keeps the reading its failed run got: no offer, no read.
        carried = sfn.Pass(
            scope,
            f"{prefix}CarriedReading",
            result_path="$.review",
            parameters={
                "assignment_id.$": "$.assignment.assignment_id",
                "radiologist_id.$": "$.assignment.radiologist_id",
            },
        )
        offer = self._wait_on(
            scope,
            f"{prefix}WaitForAcceptance",
            "$.assignment.assignment_id",
            "offer",
            task_timeout=sfn.Timeout.at("$.timeouts.offer_seconds"),
        )
        review = _task(
            scope,
            f"{prefix}WaitForReport",
            self._assign,
            result_path="$.review",
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=_request(
                "offer",
                assignment_id=sfn.JsonPath.string_at("$.assignment.assignment_id"),
                task_token=sfn.JsonPath.task_token,
                phase="read",
            ),
            task_timeout=sfn.Timeout.at("$.accepted.read_seconds"),
            heartbeat_timeout=sfn.Timeout.at("$.timeouts.heartbeat_seconds"),
        )
        release = _task(
            scope,
            f"{prefix}ReleaseReview",
            self._assign,
            result_path="$.released",
            payload=_request(
                "release",
                case_id=case_id,
                assignment_id=sfn.JsonPath.string_at("$.assignment.assignment_id"),
                error=sfn.JsonPath.string_at("$.review_error.Error"),
                attempt=sfn.JsonPath.number_at("$.attempt"),
            ),
            result_selector={"attempt.$": "$.Payload.attempt"},
        )
        count_attempt = sfn.Pass(
            scope, f"{prefix}CountAttempt", input_path="$.released.attempt", result_path="$.attempt"
        )
        wait_in_queue = sfn.Wait(
            scope, f"{prefix}WaitInQueue", time=sfn.WaitTime.seconds_path("$.timeouts.queue_seconds")
        )
        nobody = self._escalation(scope, f"{prefix}EscalateNobodyAvailable", "nobody_available")
        too_many = self._escalation(scope, f"{prefix}EscalateAttempts", "attempts_exhausted")

        assign_task.add_catch(nobody, errors=["NoRadiologistAvailable"], result_path="$.assign_error")
        assign_task.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        # An escalation that cannot be sent must not stop the case: its function's alarm tells ops.
        nobody.add_catch(wait_in_queue, errors=["States.ALL"], result_path="$.escalation_error")
        nobody.next(wait_in_queue)
        wait_in_queue.next(assign_task)
        for wait in (offer, review):
            wait.add_catch(release, errors=REVIEW_ENDED, result_path="$.review_error")
            wait.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        release.add_catch(on_failure, errors=["States.ALL"], result_path="$.failure")
        release.next(count_attempt)
        too_many.add_catch(assign_task, errors=["States.ALL"], result_path="$.escalation_error")
        count_attempt.next(
            sfn.Choice(scope, f"{prefix}AttemptsExhausted?")
            .when(
                sfn.Condition.number_greater_than_equals_json_path("$.attempt", "$.max_attempts"),
                too_many.next(assign_task),
            )
            .otherwise(assign_task)
        )
        offer.next(review)
        return assign_task.next(
            sfn.Choice(scope, f"{prefix}ReadingCarriedOver?")
            .when(sfn.Condition.boolean_equals("$.assignment.carried", True), carried)
            .otherwise(offer)
            .afterwards()
        )
