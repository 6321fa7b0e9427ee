"""The handlers against moto, in this process, with the synthesized template deployed once.

moto's CloudFormation creates the tables, buckets, key, queues, functions and state machine from
cdk.out, as `cdk deploy` would. The handlers are then called with the events API Gateway, SQS and
Step Functions would send them. No state machine runs (execution is off): a test plays the
workflow by calling the assign handler's actions itself.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from secondopinion import clients
from secondopinion.store import RosterStore

from functions.assign import settings as assign_settings
from functions.deliver import settings as deliver_settings
from functions.intake import settings as intake_settings
from functions.report import settings as report_settings
from functions.validate import settings as validate_settings
from local import cloud
from local.roster import DEMO_ROSTER

from .support import (
    REGION,
    TASK_TOKEN,
    Offer,
    RecordingStepFunctions,
    Stack,
    Uploads,
    assign,
    create_case,
    ct_small,
    offer,
    submit,
)

ASSEMBLY = Path("cdk.out")
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": False}, "lambda": {"use_docker": False}}
PER_FUNCTION_VARIABLES = {"POWERTOOLS_SERVICE_NAME"}
"""Variables whose value differs per function; the shared process takes none of them."""
SETTINGS_CACHES = (
    intake_settings.get_settings,
    validate_settings.get_settings,
    assign_settings.get_settings,
    report_settings.get_settings,
    deliver_settings.get_settings,
)


def _forget_cached_clients_and_settings() -> None:
    """Clients and settings cached outside this mock (another suite) must not be used inside it."""
    clients.client.cache_clear()
    clients.table.cache_clear()
    for get_settings in SETTINGS_CACHES:
        get_settings.cache_clear()


def _shared_environment(session: boto3.session.Session, function_names: list[str]) -> dict[str, str]:
    """The union of the functions' variables (as local/system.py's _share_function_environment)."""
    lam = session.client("lambda", region_name=REGION)
    merged: dict[str, str] = {}
    for name in function_names:
        variables = (
            lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        )
        for key, value in variables.items():
            if key in PER_FUNCTION_VARIABLES:
                continue
            assert merged.get(key, value) == value, f"functions disagree on {key}"
            merged[key] = value
    return merged


def _apply_what_moto_skips(stack: Stack) -> None:
    """Template properties moto's CloudFormation ignores, applied as CloudFormation would.

    moto 5.2.5 creates the buckets without their VersioningConfiguration (uploads would have no
    version ids), and skips AWS::SES::EmailIdentity (the sender would be unverified).
    """
    s3, ses = stack.client("s3"), stack.client("sesv2")
    for logical, r in stack.template["Resources"].items():
        props = r.get("Properties", {})
        versioning = props.get("VersioningConfiguration", {}).get("Status")
        if r["Type"] == "AWS::S3::Bucket" and versioning:
            s3.put_bucket_versioning(
                Bucket=stack.resources[logical], VersioningConfiguration={"Status": versioning}
            )
        if r["Type"] == "AWS::SES::EmailIdentity":
            ses.create_email_identity(EmailIdentity=props["EmailIdentity"])


@pytest.fixture(scope="package", autouse=True)
def stack() -> Iterator[Stack]:
    """moto in-process with the synthesized stack, built once for the tier.

    Package scope rather than session: built once all the same, but the mock, the environment
    and the cached clients are gone again before the next suite of the same pytest run.
    """
    if not (ASSEMBLY / "manifest.json").exists():
        pytest.fail("cdk.out is missing: run `make synth` before the integration tests")
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE"))]:
        del os.environ[name]  # an endpoint would send boto3 past the in-process mock
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
        }
    )
    _forget_cached_clients_and_settings()
    try:
        with mock_aws(config=MOTO_CONFIG):
            session = boto3.session.Session(region_name=REGION)
            assembly = cloud.Assembly.find(ASSEMBLY)
            with warnings.catch_warnings():
                # moto names each template type it skips (Cognito, alarms, backups, SES identity).
                warnings.filterwarnings("ignore", message="Tried to parse AWS::")
                resources = cloud.deploy(assembly, session)
            functions = [
                resources[logical]
                for logical, r in assembly.template["Resources"].items()
                if r["Type"] == "AWS::Lambda::Function"
            ]
            deployed = Stack(session, assembly.template, resources, _shared_environment(session, functions))
            _apply_what_moto_skips(deployed)
            os.environ.update(deployed.environment)
            roster = RosterStore(deployed.environment["ROSTER_TABLE"])
            for radiologist in DEMO_ROSTER:
                roster.put(radiologist)
            yield deployed
    finally:
        _forget_cached_clients_and_settings()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def fresh_roster(stack: Stack) -> RosterStore:
    """The demo roster with nobody reading anything, so that every test ranks the same way."""
    roster = RosterStore(stack.environment["ROSTER_TABLE"])
    for radiologist in DEMO_ROSTER:
        roster.put(radiologist)
    return roster


@pytest.fixture
def new_case() -> Callable[..., tuple[str, str]]:
    """A factory: open a case through the intake handler, returning (case_id, access token)."""
    return create_case


@pytest.fixture
def uploads(stack: Stack) -> Uploads:
    return Uploads(stack)


@pytest.fixture
def submitted_case(uploads: Uploads) -> Callable[..., tuple[str, str]]:
    """A factory: a case with an accepted CT image, submitted for review -> (case_id, token)."""

    def create(**overrides: Any) -> tuple[str, str]:
        case_id, token = create_case(**overrides)
        uploads.upload(case_id, token, ct_small())
        response = submit(case_id, token)
        assert response.status == 200 and response.json["status"] == "in_review", response.text
        return case_id, token

    return create


@pytest.fixture
def offered(
    fresh_roster: RosterStore, submitted_case: Callable[..., tuple[str, str]]
) -> Callable[..., Offer]:
    """A factory: a submitted case assigned and offered, the workflow waiting on TASK_TOKEN."""

    def create(**overrides: Any) -> Offer:
        case_id, token = submitted_case(**overrides)
        assigned = assign(case_id)
        offer(assigned["assignment_id"], TASK_TOKEN)
        return Offer(case_id, token, assigned["assignment_id"], assigned["radiologist_id"])

    return create


@pytest.fixture
def step_functions(monkeypatch: pytest.MonkeyPatch) -> RecordingStepFunctions:
    """The functions' Step Functions client, recording the task-token calls."""
    real_client = clients.client
    fake = RecordingStepFunctions(real_client("stepfunctions"))
    monkeypatch.setattr(
        clients, "client", lambda service: fake if service == "stepfunctions" else real_client(service)
    )
    return fake
