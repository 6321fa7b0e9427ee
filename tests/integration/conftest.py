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

from local import cloud
from local.adapter import forget_cached_state
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
    forget_cached_state()
    try:
        with mock_aws(config=MOTO_CONFIG):
            session = boto3.session.Session(region_name=REGION)
            assembly = cloud.Assembly.find(ASSEMBLY)
            with warnings.catch_warnings():
                # moto names each template type it skips (Cognito, alarms, backups, SES identity).
                warnings.filterwarnings("ignore", message="Tried to parse AWS::")
                resources = cloud.deploy(assembly, session)
            functions = list(cloud.function_names(assembly.template, resources).values())
            deployed = Stack(
                session, assembly.template, resources, cloud.function_environment(session, functions)
            )
            cloud.apply_what_moto_skips(session, assembly.template, resources)
            os.environ.update(deployed.environment)
            roster = RosterStore(deployed.environment["ROSTER_TABLE"])
            for radiologist in DEMO_ROSTER:
                roster.put(radiologist)
            yield deployed
    finally:
        forget_cached_state()
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
