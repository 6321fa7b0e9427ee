"""Encrypted storage: the key, the buckets, the upload queue and the tables."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .config import DeploymentConfig


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.is_production else RemovalPolicy.DESTROY
        self.key = kms.Key(
            self,
            "DataKey",
            description="Encrypts every piece of case data at rest",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        # S3 publishes upload events to the KMS-encrypted queue.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
            )
        )
        # CloudWatch Logs encrypts the log groups with the same key.
        stack = Stack.of(self)
        log_groups = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery cannot use SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            removal_policy=removal,
        )
        self.uploads = self._bucket("Uploads", removal, retention_days=config.upload_retention_days)
        self.reports = self._bucket("Reports", removal, retention_days=config.report_retention_days)
        self.upload_dead_letters = sqs.Queue(
            self,
            "UploadEventsDLQ",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.upload_events = sqs.Queue(
            self,
            "UploadEvents",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(6 * 120),  # six times the validate timeout
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.upload_dead_letters, max_receive_count=5),
        )
        self._notify_uploads()

        self.restored: dict[str, str] = {name: table for name, table in config.restored_tables.items()}
        self._all_tables: list[ddb.ITable] = []
        self.cases = self._table(
            "Cases",
            "case_id",
            removal,
            indexes=(("by_status", "status", "created_at"),),
        )
        self.files = self._table("Files", "case_id", removal, sort_key="file_id")
        self.assignments = self._table(
            "Assignments",
            "assignment_id",
            removal,
            indexes=(("by_radiologist", "radiologist_id", "due_at"), ("by_case", "case_id", "offered_at")),
        )
        self.roster = self._table("Roster", "radiologist_id", removal)
        plan = backup.BackupPlan.daily35_day_retention(self, "Backups")
        plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(t) for t in self._all_tables],
        )

    def allow_browsers(self, origins: list[str]) -> None:
        """The pages upload straight to S3 (presigned POST, multipart PUTs whose ETag they read)
        and the workstation reads images: only from the portal's origins."""
        self.uploads.add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.PUT, s3.HttpMethods.GET],
            allowed_origins=origins,
            allowed_headers=["*"],
            exposed_headers=["ETag", "Location"],
            max_age=3000,
        )
        self.reports.add_cors_rule(
            allowed_methods=[s3.HttpMethods.GET], allowed_origins=origins, allowed_headers=["*"]
        )

    def _bucket(self, id: str, removal: RemovalPolicy, *, retention_days: int) -> s3.Bucket:
        return s3.Bucket(
            self,
            id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{id.lower()}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="retention",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal,
        )

    def _notify_uploads(self) -> None:
        """Uploads bucket -> queue, set on the bucket itself (no custom resource, no cycle).

        The queue policy names the account rather than the bucket's ARN so that the bucket can
        depend on the policy; S3 checks the destination's policy when the bucket is created.
        """
        self.upload_events.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.upload_events.queue_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.upload_events.env.account}},
            )
        )
        cfn = self.uploads.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    queue=self.upload_events.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value="cases/")]
                        )
                    ),
                )
            ]
        )
        policy = self.upload_events.node.try_find_child("Policy")
        if policy is not None:
            cfn.node.add_dependency(policy)

    def _table(
        self,
        id: str,
        partition: str,
        removal: RemovalPolicy,
        *,
        sort_key: str | None = None,
        indexes: tuple[tuple[str, str, str], ...] = (),
    ) -> ddb.ITable:
        """The stack's table; or, once the operator names a table restored from point-in-time
        recovery in its stead, that one (the stack's own stays as it is, retained in production)."""
        table = ddb.Table(
            self,
            id,
            partition_key=ddb.Attribute(name=partition, type=ddb.AttributeType.STRING),
            sort_key=ddb.Attribute(name=sort_key, type=ddb.AttributeType.STRING) if sort_key else None,
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            encryption=ddb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=removal == RemovalPolicy.RETAIN,
            removal_policy=removal,
        )
        for name, pk, sk in indexes:
            table.add_global_secondary_index(
                index_name=name,
                partition_key=ddb.Attribute(name=pk, type=ddb.AttributeType.STRING),
                sort_key=ddb.Attribute(name=sk, type=ddb.AttributeType.STRING),
            )
        self._all_tables.append(table)
        restored_name = self.restored.get(id.lower())
        if restored_name is None:
            return table
        # A restore keeps the indexes and, restored with this key, the encryption; grants on the
        # restored table then cover its indexes and the key as they do for the stack's own.
        restored = ddb.Table.from_table_attributes(
            self,
            f"{id}Restored",
            table_name=restored_name,
            encryption_key=self.key,
            global_indexes=[name for name, _, _ in indexes],
        )
        self._all_tables.append(restored)
        return restored
