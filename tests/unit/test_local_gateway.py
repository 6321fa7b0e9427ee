"""The local stand-ins: staff tokens and the gateway's reading of the template's routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local import tokens
from local.gateway import WAIT_SECONDS, Gateway, IntegrationTimedOut, routes_from_template

KEY = b"k" * 32

# A template fragment as CDK writes it
TEMPLATE = {
    "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "Cases": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "cases"},
        },
        "Case": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Ref": "Cases"}, "PathPart": "{case_id}"},
        },
        "Get": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "GET",
                "ResourceId": {"Ref": "Case"},
                "AuthorizationType": "NONE",
                "Integration": {
                    "Uri": {"Fn::Join": ["", ["arn:", {"Fn::GetAtt": ["IntakeFn", "Arn"]}, "/invocations"]]}
                },
            },
        },
        "Options": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "OPTIONS",
                "ResourceId": {"Ref": "Case"},
                "Integration": {"Type": "MOCK"},
            },
        },
        "Ops": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "GET",
                "ResourceId": {"Ref": "Cases"},
                "AuthorizationType": "COGNITO_USER_POOLS",
                "Integration": {"Uri": {"Fn::Join": ["", [{"Fn::GetAtt": ["OpsFn", "Arn"]}]]}},
            },
        },
    }
}


def test_a_minted_token_verifies_and_carries_its_claims() -> None:
    token = tokens.mint(tokens.radiologist_claims("rad-1"), KEY)
    claims = tokens.verify(token, KEY)
    assert claims is not None and claims["custom:radiologist_id"] == "rad-1"


def test_a_forged_expired_or_foreign_token_is_refused() -> None:
    token = tokens.mint(tokens.ops_claims(), KEY)
    body, _, _ = token.partition(".")
    assert tokens.verify(body + ".AAAA", KEY) is None
    assert tokens.verify(token, b"x" * 32) is None
    assert tokens.verify(tokens.mint(tokens.ops_claims(), KEY, seconds=-1), KEY) is None
    assert tokens.verify("garbage", KEY) is None


def test_the_signing_key_file_is_private(tmp_path: Path) -> None:
    key = tokens.signing_key(tmp_path)
    assert len(key) == 32 and tokens.signing_key(tmp_path) == key
    assert (tmp_path / "signing.key").stat().st_mode & 0o077 == 0


def test_routes_come_from_the_templates_methods_with_their_function_and_authorizer() -> None:
    # Given a template fragment as CDK writes it
    template = TEMPLATE
    # When the gateway reads it
    routes = {(r.method, r.resource): r for r in routes_from_template(template)}
    # Then it serves the same paths with the same functions and authorization, and no preflight mocks
    assert set(routes) == {("GET", "/cases/{case_id}"), ("GET", "/cases")}
    assert routes["GET", "/cases/{case_id}"].function == "IntakeFn"
    assert not routes["GET", "/cases/{case_id}"].cognito
    assert routes["GET", "/cases"].cognito
    assert routes["GET", "/cases/{case_id}"].pattern.match("/cases/abc").group("case_id") == "abc"


def test_a_function_that_does_not_answer_in_time_gets_the_caller_api_gateways_504() -> None:
    # Given the gateway in front of a function that does not answer in time
    def late(function: str, event: dict[str, Any]) -> dict[str, Any] | None:
        raise IntegrationTimedOut(function)

    gateway = Gateway(routes_from_template(TEMPLATE), {}, {"IntakeFn": "intake"}, late, KEY, dict, ["*"])
    # When a patient's request reaches it
    response = gateway.handle("GET", "/cases/abc", {}, b"")
    # Then the answer is API Gateway's: 504, with a message, which a browser retries
    assert response["statusCode"] == 504
    assert json.loads(response["body"]) == {"message": "Endpoint request timed out"}
    assert WAIT_SECONDS == 900  # a Lambda function's longest run: local requests queue (one at a time)
