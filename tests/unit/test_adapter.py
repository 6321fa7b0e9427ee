"""The adapter that runs real handlers for moto's Lambda invocations."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend

from local import adapter
from local.faults import Fault, FaultKind, FaultPlan

from . import adapter_target


@pytest.fixture
def lam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(LambdaBackend, "invoke", LambdaBackend.invoke)
    monkeypatch.setattr(LambdaSimpleBackend, "invoke", LambdaSimpleBackend.invoke)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    with mock_aws(config={"lambda": {"use_docker": False}}):
        iam = boto3.client("iam", region_name="eu-central-2")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("lambda", region_name="eu-central-2")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("adapter_target.py", "")
        for name, handler in (
            ("echo", "adapter_target.echo"),
            ("fail", "adapter_target.fail"),
            ("remember", "adapter_target.remember"),
        ):
            client.create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role,
                Handler=handler,
                Code={"ZipFile": code.getvalue()},
            )
        yield client


def test_an_invocation_runs_the_real_handler_with_a_lambda_context(lam: Any) -> None:
    # Given the adapter in place
    counts = adapter.install(package="tests.unit")
    # When moto's Lambda is invoked
    response = lam.invoke(FunctionName="echo", Payload=json.dumps({"case_id": "c1"}))
    # Then the handler's return value is the payload, and the call is counted
    assert json.loads(response["Payload"].read()) == {"got": {"case_id": "c1"}, "function": "echo"}
    assert "FunctionError" not in response
    assert counts.counts == {"echo": 1}


def test_a_raised_exception_becomes_a_function_error_named_by_its_class(lam: Any) -> None:
    counts = adapter.install(package="tests.unit")
    response = lam.invoke(FunctionName="fail", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "NoRadiologistAvailable"
    assert counts.errors == {"fail": 1}


def _error(response: Any) -> str:
    return str(json.loads(response["Payload"].read())["errorType"])


def test_a_planned_exception_fails_the_nth_matching_invocation_only(lam: Any) -> None:
    # Given the second invocation with action "assign" planned to raise
    plan = FaultPlan().inject(Fault("adapter_target", FaultKind.EXCEPTION, nth=2, trigger="assign"))
    adapter.install(package="tests.unit", faults=plan)
    # When four invocations come: another action, then three assigns
    answers = [
        lam.invoke(FunctionName="echo", Payload=json.dumps({"action": a})) for a in ("offer", *["assign"] * 3)
    ]
    # Then only the second assign failed, with an error the workflow does not retry
    assert ["FunctionError" in r for r in answers] == [False, False, True, False]
    assert _error(answers[2]) == "InjectedFault"
    assert [(i.invocation, i.trigger) for i in plan.injected] == [(2, "assign")]


def test_a_planned_timeout_does_the_work_and_loses_the_answer(lam: Any) -> None:
    plan = FaultPlan(time_scale=1000).inject(Fault("adapter_target", FaultKind.TIMEOUT))
    counts = adapter.install(package="tests.unit", faults=plan)
    adapter_target.RAN.clear()

    response = lam.invoke(FunctionName="remember", Payload=json.dumps({"case_id": "c1"}))

    assert adapter_target.RAN == [{"case_id": "c1"}]  # the handler ran
    assert _error(response) == "Sandbox.Timedout"  # as Lambda reports a function past its timeout
    (call,) = counts.calls
    assert call.failed and call.duration_ms == 3000  # billed in full: the function's 3 s timeout


def test_a_planned_throttle_fails_like_a_throttled_aws_call(lam: Any) -> None:
    adapter.install(
        package="tests.unit", faults=FaultPlan().inject(Fault("adapter_target", FaultKind.THROTTLE))
    )
    assert _error(lam.invoke(FunctionName="echo", Payload=b"{}")) == "ClientError"


def test_every_call_is_recorded_with_what_started_it_and_what_it_is_about(lam: Any) -> None:
    counts = adapter.install(package="tests.unit")
    lam.invoke(
        FunctionName="echo", Payload=json.dumps({"action": "offer", "request": {"assignment_id": "a1"}})
    )
    api = {"httpMethod": "POST", "resource": "/cases/{case_id}/submit", "pathParameters": {"case_id": "c9"}}
    lam.invoke(FunctionName="echo", Payload=json.dumps(api))
    assert [(c.function, c.trigger, c.subject) for c in counts.calls] == [
        ("echo", "offer", "a1"),
        ("echo", "POST /cases/{case_id}/submit", "c9"),
    ]
