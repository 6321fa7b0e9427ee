"""The HTTP API as clients see it through the local gateway: routes, document, error shape."""

from __future__ import annotations

import pytest

from cli.client import Api
from infra.api import ROUTES
from local.system import LocalSystem

from .conftest import staff_token


def test_the_openapi_document_describes_every_routed_path(api: Api) -> None:
    # Given the API's routes in the CDK app / When the document is fetched / Then each one is in it
    document = api.call("GET", "/openapi.json")
    for route in ROUTES:
        if route.path != "/openapi.json":
            assert route.method.lower() in document["paths"][route.path], route


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/cases", 404, "not_found"),
        ("GET", "/worklist", 401, "unauthorized"),
        ("GET", "/cases/0123456789abcdef0123456789abcdef", 401, "unauthorized"),
    ],
)
def test_errors_come_as_json_with_a_code_and_a_message(
    api: Api, method: str, path: str, status: int, code: str
) -> None:
    body = api.call(method, path, expect=(status,))
    assert body["error"] == code and body["message"]


def test_a_patient_token_does_not_open_radiologist_routes(api: Api) -> None:
    created = api.call(
        "POST",
        "/cases",
        json={"tier": "standard", "language": "fr", "email": "a@example.org", "consent": True},
    )
    body = api.call("GET", "/worklist", created["access_token"], expect=(401,))
    assert body["error"] == "unauthorized"


def test_a_radiologist_token_does_not_open_ops_routes(system: LocalSystem, api: Api) -> None:
    body = api.call("GET", "/ops/cases", staff_token(system, "rad-neuro-1"), expect=(403,))
    assert body["error"] == "forbidden"


def test_ops_see_cases_with_their_sla_status(system: LocalSystem, api: Api) -> None:
    from local import tokens

    ops = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    rows = api.call("GET", "/ops/cases?status=awaiting_upload", ops)
    assert rows and all(r["status"] == "awaiting_upload" and r["sla"] == "not_started" for r in rows)
