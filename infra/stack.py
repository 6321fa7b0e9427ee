"""The whole service as one stack, composed of one construct per concern."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from constructs import Construct

from .api import Api
from .auth import Auth
from .config import DeploymentConfig
from .functions import Functions
from .monitoring import Monitoring
from .portal import Portal
from .storage import Storage
from .workflow import Workflow

MIB = 1024**2


class SecondOpinionStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: DeploymentConfig, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        storage = Storage(self, "Storage", config=config)
        portal = Portal(self, "Portal", config=config, access_logs=storage.access_logs)
        origins = config.allowed_origins or [portal.url]
        storage.allow_browsers(origins)
        monitoring = Monitoring(self, "Monitoring", key=storage.key, config=config)
        functions = Functions(self, "Functions", storage=storage, config=config)
        fn = functions.by_step
        workflow = Workflow(
            self,
            "Workflow",
            assign=fn["assign"],
            report=fn["report"],
            deliver=fn["deliver"],
            key=storage.key,
            config=config,
        )
        auth = Auth(self, "Auth", config=config, portal_url=portal.url)
        api = Api(
            self,
            "Api",
            functions=dict(fn),
            user_pool=auth.user_pool,
            key=storage.key,
            config=config,
            origins=origins,
        )
        sender = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(config.sender_email))

        # intake: opens cases, signs upload policies, starts the review
        for key, value in {
            "STATE_MACHINE_ARN": workflow.state_machine.state_machine_arn,
            "SLA_HOURS_STANDARD": str(config.sla_hours_standard),
            "SLA_HOURS_EXPEDITED": str(config.sla_hours_expedited),
            "ACCEPTANCE_HOURS_STANDARD": str(config.acceptance_hours_standard),
            "ACCEPTANCE_HOURS_EXPEDITED": str(config.acceptance_hours_expedited),
            "REVIEW_HOURS_STANDARD": str(config.review_hours_standard),
            "REVIEW_HOURS_EXPEDITED": str(config.review_hours_expedited),
            "HEARTBEAT_HOURS_STANDARD": str(config.heartbeat_hours_standard),
            "HEARTBEAT_HOURS_EXPEDITED": str(config.heartbeat_hours_expedited),
            "MAX_ATTEMPTS": str(config.max_attempts),
            "MULTIPART_THRESHOLD_BYTES": str(config.multipart_threshold_mib * MIB),
            "MIN_PART_BYTES": str(config.min_part_mib * MIB),
            "ABANDONED_CASE_DAYS": str(config.abandoned_case_days),
        }.items():
            fn["intake"].add_environment(key, value)
        # intake: once a day, erase the cases nobody submitted in time (abandoned_case_days)
        events.Rule(
            self,
            "AbandonedCaseSweep",
            schedule=events.Schedule.rate(Duration.days(1)),
            description="Erases cases opened but not submitted within abandoned_case_days",
            targets=[
                targets.LambdaFunction(
                    fn["intake"],
                    event=events.RuleTargetInput.from_object({"action": "sweep_abandoned"}),
                    retry_attempts=2,
                )
            ],
        )
        storage.cases.grant_read_write_data(fn["intake"])
        storage.files.grant_read_write_data(fn["intake"])
        storage.uploads.grant_put(fn["intake"], "cases/*")
        storage.uploads.grant_delete(fn["intake"], "cases/*")
        workflow.state_machine.grant_start_execution(fn["intake"])
        # intake: erasure on request deletes every object version of a case in both buckets, its
        # assignments (giving back a radiologist's slot) and stops a review still running
        storage.reports.grant_delete(fn["intake"], "cases/*")
        fn["intake"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucketVersions", "s3:ListBucketMultipartUploads"],
                resources=[storage.uploads.bucket_arn, storage.reports.bucket_arn],
            )
        )
        storage.assignments.grant(
            fn["intake"], "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        storage.roster.grant(fn["intake"], "dynamodb:UpdateItem")
        workflow.state_machine.grant_execution(fn["intake"], "states:StopExecution")

        # validate: judges uploads from the queue
        storage.files.grant_read_write_data(fn["validate"])
        storage.uploads.grant_read(fn["validate"], "cases/*")
        storage.uploads.grant_put(fn["validate"], "cases/*")  # rewrites accepted objects' preamble
        storage.cases.grant_read_data(fn["validate"])  # the case's identity salt
        fn["validate"].add_event_source(
            sources.SqsEventSource(storage.upload_events, batch_size=10, report_batch_item_failures=True)
        )

        # assign: picks radiologists, holds task tokens, answers the radiologists' calls
        fn["assign"].add_environment("OPS_TOPIC_ARN", monitoring.ops_topic.topic_arn)
        fn["assign"].add_environment("SLA_AT_RISK_FRACTION", str(config.sla_at_risk_fraction))
        storage.cases.grant_read_write_data(fn["assign"])
        storage.files.grant_read_data(fn["assign"])
        storage.assignments.grant_read_write_data(fn["assign"])
        storage.roster.grant_read_write_data(fn["assign"])
        storage.uploads.grant_read(fn["assign"], "cases/*")
        storage.key.grant_encrypt_decrypt(fn["assign"])
        monitoring.ops_topic.grant_publish(fn["assign"])
        # A policy of its own: the function's default policy would make a cycle with the machine.
        assert fn["assign"].role is not None
        iam.Policy(
            self,
            "AssignTaskResponse",
            roles=[fn["assign"].role],
            statements=[
                iam.PolicyStatement(
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                    resources=[workflow.state_machine.state_machine_arn],
                )
            ],
        )

        # assign: a machine draft of translations, only where the operator chose it (cross-border)
        if config.translator == "amazon-translate":
            assert config.translate_region is not None  # the config insists
            fn["assign"].add_environment("TRANSLATOR", config.translator)
            fn["assign"].add_environment("TRANSLATE_REGION", config.translate_region)
            iam.Policy(
                self,
                "AssignTranslate",
                roles=[fn["assign"].role],
                statements=[
                    # TranslateText has no resource to scope to (no custom terminology is used);
                    # the condition keeps it to the one region the operator acknowledged.
                    iam.PolicyStatement(
                        actions=["translate:TranslateText"],
                        resources=["*"],
                        conditions={"StringEquals": {"aws:RequestedRegion": config.translate_region}},
                    )
                ],
            )

        # report: renders the report into the reports bucket
        storage.cases.grant_read_write_data(fn["report"])
        storage.assignments.grant_read_data(fn["report"])
        storage.roster.grant_read_data(fn["report"])
        storage.files.grant_read_data(fn["report"])  # the studies a longitudinal report compares
        storage.reports.grant_put(fn["report"], "cases/*")

        # deliver: e-mails the patient, mints short-lived download links on POST, revokes for ops
        fn["deliver"].add_environment("SENDER_EMAIL", config.sender_email)
        fn["deliver"].add_environment("PORTAL_URL", portal.url)
        fn["deliver"].add_environment("DELIVERY_DAYS", str(config.delivery_days))
        fn["deliver"].add_environment("DOWNLOAD_LINK_SECONDS", str(config.download_link_seconds))
        fn["deliver"].add_environment("UPLOAD_RETENTION_DAYS", str(config.upload_retention_days))
        fn["deliver"].add_environment("REPORT_RETENTION_DAYS", str(config.report_retention_days))
        storage.cases.grant_read_write_data(fn["deliver"])
        storage.reports.grant_read(fn["deliver"], "cases/*")
        sender.grant_send_email(fn["deliver"])

        monitoring.watch_functions(dict(fn))
        monitoring.watch_workflow(workflow.state_machine)
        monitoring.watch_dead_letters(storage.upload_dead_letters)
        monitoring.watch_escalations()
        monitoring.watch_deadlines()
        monitoring.build_dashboard(
            functions=dict(fn),
            machine=workflow.state_machine,
            queue=storage.upload_events,
            dead_letters=storage.upload_dead_letters,
        )

        portal.publish(
            {
                "apiUrl": api.rest_api.url,
                "auth": {
                    "kind": "cognito",
                    "domain": auth.domain.base_url(),
                    "clientId": auth.client.user_pool_client_id,
                    "redirectUri": auth.redirect_uri,
                },
                "upload": {
                    "multipartThresholdBytes": config.multipart_threshold_mib * MIB,
                    "minPartBytes": config.min_part_mib * MIB,
                },
            }
        )

        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "PortalUrl", value=portal.url)
        CfnOutput(self, "OpsTopicArn", value=monitoring.ops_topic.topic_arn)
        CfnOutput(
            self,
            "DashboardUrl",
            value=f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#dashboards/dashboard/{monitoring.dashboard_name}",
        )
        # The names the runbook's commands take: the roster import, a point-in-time restore, a key rotation.
        for output, table in (
            ("CasesTable", storage.cases),
            ("FilesTable", storage.files),
            ("AssignmentsTable", storage.assignments),
            ("RosterTable", storage.roster),
        ):
            CfnOutput(self, output, value=table.table_name)
        CfnOutput(self, "DataKeyArn", value=storage.key.key_arn)
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id)
        CfnOutput(self, "UploadsBucket", value=storage.uploads.bucket_name)
        CfnOutput(self, "StateMachineArn", value=workflow.state_machine.state_machine_arn)
        # `secondopinion ops replay --stack NAME` finds the queues by these two names.
        CfnOutput(self, "UploadEventsQueueUrl", value=storage.upload_events.queue_url)
        CfnOutput(self, "UploadDeadLettersQueueUrl", value=storage.upload_dead_letters.queue_url)
        self.storage, self.functions, self.workflow, self.api = storage, functions, workflow, api
        self.portal, self.monitoring = portal, monitoring
