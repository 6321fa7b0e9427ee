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
        for name, handler in (("echo", "adapter_target.echo"), ("fail", "adapter_target.fail")):
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
