"""The five pipeline functions, built by one factory, and the shared layer they import."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, IgnoreMode
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .config import DeploymentConfig
from .storage import Storage

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
LAYER_DIR = ROOT / "build" / "layer"
RUNTIME = lambda_.Runtime.PYTHON_3_13

STEPS = ("intake", "validate", "assign", "report", "deliver")
"""Pipeline steps, each a package under functions/ and a Lambda function of its own."""

SIZES: dict[str, tuple[int, int]] = {
    # step: (memory MB, timeout s). Validation reads headers with ranged GETs; report renders a PDF.
    "intake": (512, 20),
    "validate": (1024, 120),
    "assign": (512, 20),
    "report": (1024, 60),
    "deliver": (512, 20),
}


def layer_code() -> lambda_.Code:
    """The shared package and third-party dependencies, built for arm64 by `make layer`."""
    if not (LAYER_DIR / "python" / "secondopinion").is_dir():
        raise SystemExit(f"The shared layer is not built: run `make layer` (expected {LAYER_DIR}).")
    return lambda_.Code.from_asset(str(LAYER_DIR))


def function_code(step: str) -> lambda_.Code:
    """Only this step's package: the asset root is functions/, so the handler is '<step>.handler'."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        ignore_mode=IgnoreMode.GLOB,
        exclude=["*", f"!{step}", f"!{step}/**", "**/__pycache__", "**/*.pyc"],
    )


RETENTION_DAYS = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest retention CloudWatch offers that keeps logs at least `days` days."""
    chosen = next((d for d in sorted(RETENTION_DAYS) if d >= days), max(RETENTION_DAYS))
    return getattr(logs.RetentionDays, RETENTION_DAYS[chosen])  # type: ignore[no-any-return]


class Functions(Construct):
    def __init__(self, scope: Construct, id: str, *, storage: Storage, config: DeploymentConfig) -> None:
        super().__init__(scope, id)
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=layer_code(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="secondopinion shared package with pydantic, Powertools, pydicom and fpdf2",
        )
        self.environment = {
            "CASES_TABLE": storage.cases.table_name,
            "FILES_TABLE": storage.files.table_name,
            "ASSIGNMENTS_TABLE": storage.assignments.table_name,
            "ROSTER_TABLE": storage.roster.table_name,
            "UPLOADS_BUCKET": storage.uploads.bucket_name,
            "REPORTS_BUCKET": storage.reports.bucket_name,
            "KMS_KEY_ID": storage.key.key_arn,
            "POWERTOOLS_METRICS_NAMESPACE": "SecondOpinion",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        self.by_step = {step: self._function(step, storage, config) for step in STEPS}

    def _function(self, step: str, storage: Storage, config: DeploymentConfig) -> lambda_.Function:
        memory, timeout = SIZES[step]
        log_group = logs.LogGroup(
            self,
            f"{step.capitalize()}Logs",
            retention=log_retention(config.log_retention_days),
            encryption_key=storage.key,
        )
        role = iam.Role(
            self,
            f"{step.capitalize()}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {step} function",
        )
        log_group.grant_write(role)
        fn = lambda_.Function(
            self,
            step.capitalize(),
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"{step}.handler.handler",
            code=function_code(step),
            layers=[self.layer],
            memory_size=memory,
            timeout=Duration.seconds(timeout),
            role=role,
            environment={**self.environment, "POWERTOOLS_SERVICE_NAME": step},
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        return fn
