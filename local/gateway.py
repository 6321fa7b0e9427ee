"""API Gateway, played locally: the routes of the synthesized REST API, served on 127.0.0.1.

Routes, their functions and their authorization come from the template's AWS::ApiGateway
resources; each request becomes the proxy event API Gateway would send and is handed to the
function through moto's Lambda (and so to the real handler).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import tokens

STAGE = "v1"


@dataclass(frozen=True)
class LocalRoute:
    method: str
    resource: str
    function: str  # logical id of the Lambda function
    cognito: bool

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.resource)
        return re.compile(f"^{regex}$")


def routes_from_template(template: dict[str, Any]) -> list[LocalRoute]:
    """Every non-OPTIONS method of the REST API with its full path and target function."""
    resources = template["Resources"]
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            parent_path = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{parent_path}/{props['PathPart']}"
        return paths[logical_id]

    found = []
    for r in resources.values():
        if r["Type"] != "AWS::ApiGateway::Method" or r["Properties"]["HttpMethod"] == "OPTIONS":
            continue
        props = r["Properties"]
        resource_id = props["ResourceId"]
        resource = path_of(resource_id["Ref"]) if "Ref" in resource_id else "/"
        uri = json.dumps(props["Integration"]["Uri"])
        function = re.search(r'"Fn::GetAtt": \["(\w+)", "Arn"\]', uri)
        if not function:
            continue
        found.append(
            LocalRoute(
                props["HttpMethod"],
                resource,
                function.group(1),
                props.get("AuthorizationType") == "COGNITO_USER_POOLS",
            )
        )
    return found


def gateway_responses_from_template(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """API Gateway's own error answers (AWS::ApiGateway::GatewayResponse), by response type."""
    found = {}
    for r in template["Resources"].values():
        if r["Type"] == "AWS::ApiGateway::GatewayResponse":
            props = r["Properties"]
            found[props["ResponseType"]] = {
                "statusCode": int(props["StatusCode"]),
                "headers": {"Content-Type": "application/json"},
                "body": props.get("ResponseTemplates", {}).get("application/json", ""),
            }
    return found


Invoke = Callable[[str, dict[str, Any]], dict[str, Any] | None]

WAIT_SECONDS = 900
"""How long the local gateway waits for a function's answer before the caller gets API Gateway's
504: as long as a Lambda function may run, not API Gateway's 29 s, because a local function takes
one request at a time (see adapter.py) and requests queue for it as they never would in AWS."""


class IntegrationTimedOut(Exception):
    """The function did not answer within WAIT_SECONDS."""


"""Calls a function with a proxy event; None when the function failed."""


def _json_response(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


class Gateway:
    """Turns HTTP requests into proxy events for the functions and their answers into responses."""

    def __init__(
        self,
        routes: list[LocalRoute],
        responses: dict[str, dict[str, Any]],
        functions: dict[str, str],
        invoke: Invoke,
        key: bytes,
        openapi: Callable[[], dict[str, Any]],
        allowed_origins: list[str],
    ) -> None:
        self.routes = routes
        self.responses = responses
        self.functions = functions  # logical id -> function name
        self.invoke = invoke
        self.key = key
        self.openapi = openapi
        self.allowed_origins = allowed_origins

    def match(self, method: str, path: str) -> tuple[LocalRoute, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        if method == "GET" and path == "/openapi.json":
            return _json_response(200, self.openapi())
        found = self.match(method, path)
        if found is None:  # API Gateway answers an unknown path and an unknown method alike
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
        route, params = found
        context: dict[str, Any] = {
            "resourcePath": route.resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        }
        if route.cognito:
            claims = self._claims(headers)
            if claims is None:
                return self._gateway_response("UNAUTHORIZED", 401, "Unauthorized")
            context["authorizer"] = {"claims": claims}
        query = parse_qs(url.query)
        event = {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": context,
            "body": body.decode() if body else None,
            "isBase64Encoded": False,
        }
        try:
            response = self.invoke(self.functions[route.function], event)
        except IntegrationTimedOut:
            return self._gateway_response("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out")
        if response is None:
            return self._gateway_response("DEFAULT_5XX", 502, "Internal server error")
        return response

    def _gateway_response(self, response_type: str, status: int, message: str) -> dict[str, Any]:
        return self.responses.get(response_type) or _json_response(status, {"message": message})

    def _claims(self, headers: dict[str, str]) -> dict[str, Any] | None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return tokens.verify(token.strip(), self.key)

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        if origin and (origin in self.allowed_origins or "*" in self.allowed_origins):
            return {
                "Access-Control-Allow-Origin": origin,
                "Vary": "Origin",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
                "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
            }
        return {}


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many browsers at once: the default backlog of 5 resets connections


def serve(gateway: Gateway, port: int) -> ThreadingHTTPServer:
    """Start serving on 127.0.0.1:`port` in a background thread."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # request lines may carry ids only
            return

        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            cors = gateway.cors_headers(self.headers.get("Origin"))
            if self.command == "OPTIONS":
                response: dict[str, Any] = {"statusCode": 204, "headers": {}, "body": ""}
            else:
                response = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
            payload = (response.get("body") or "").encode()
            self.send_response(int(response.get("statusCode", 502)))
            for name, value in {**(response.get("headers") or {}), **cors}.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _respond

    server = _Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
    return server
