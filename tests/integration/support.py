"""Helpers of the integration tier: the events AWS sends the handlers, and short ways to send them.

Each helper builds what the real caller would send (API Gateway's REST proxy event, SQS carrying an
S3 notification, a Step Functions task payload) and calls the function's handler with it.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
from botocore.exceptions import ClientError
from pydicom.data import get_testdata_file

from functions.assign import handler as assign_handler
from functions.deliver import handler as deliver_handler
from functions.intake import handler as intake_handler
from functions.report import handler as report_handler
from functions.validate import handler as validate_handler
from local import cloud

REGION = "eu-central-2"
HANDLERS: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    "intake": intake_handler.handler,
    "validate": validate_handler.handler,
    "assign": assign_handler.handler,
    "report": report_handler.handler,
    "deliver": deliver_handler.handler,
}


@dataclass(frozen=True)
class Stack:
    """The stack deployed into moto: its resources and the environment the functions share."""

    session: boto3.session.Session
    template: dict[str, Any]
    resources: dict[str, str]
    environment: dict[str, str]

    def of_type(self, resource_type: str) -> list[str]:
        return [
            self.resources[logical]
            for logical, r in self.template["Resources"].items()
            if r["Type"] == resource_type and logical in self.resources
        ]

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)

    def item(self, table_variable: str, key: dict[str, str]) -> dict[str, Any]:
        """The raw DynamoDB item as stored, read past the production store."""
        table = self.session.resource("dynamodb", region_name=REGION).Table(self.environment[table_variable])
        return dict(table.get_item(Key=key, ConsistentRead=True).get("Item") or {})

    def items(self, table_variable: str, case_id: str) -> list[dict[str, Any]]:
        """Every raw item of a table keyed by case id (the files table)."""
        table = self.session.resource("dynamodb", region_name=REGION).Table(self.environment[table_variable])
        return list(
            table.query(
                KeyConditionExpression="case_id = :c",
                ExpressionAttributeValues={":c": case_id},
                ConsistentRead=True,
            )["Items"]
        )

    @property
    def upload_queue_arn(self) -> str:
        sqs = self.client("sqs")
        (url,) = [u for u in self.of_type("AWS::SQS::Queue") if "DLQ" not in u]
        return str(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        )


# --- calling the handlers --------------------------------------------------------------------------


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:{REGION}:{cloud.ACCOUNT}:function:{self.function_name}"
            )

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def invoke(step: str, event: dict[str, Any]) -> Any:
    """Call a function's handler as Lambda would, with a fresh context."""
    return HANDLERS[step](event, FakeLambdaContext(function_name=f"secondopinion-{step}"))


RADIOLOGIST = "rad-body-1"
OPS_CLAIMS = {"sub": "sub-ops-1", "cognito:groups": "ops"}


def radiologist_claims(radiologist_id: str = RADIOLOGIST) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes on for a radiologist."""
    return {
        "sub": f"sub-{radiologist_id}",
        "cognito:groups": "radiologists",
        "custom:radiologist_id": radiologist_id,
    }


def rest_event(
    method: str,
    resource: str,
    *,
    path_parameters: dict[str, str] | None = None,
    body: Any = None,
    token: str | None = None,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for `resource` (e.g. "/cases/{case_id}")."""
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", value)
    headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/v1{path}",
        "stage": "v1",
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "192.0.2.10"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": context,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class ApiResponse:
    status: int
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def call_api(step: str, method: str, resource: str, **kwargs: Any) -> ApiResponse:
    """One API request to a function's handler; the response as API Gateway passes it on."""
    response = invoke(step, rest_event(method, resource, **kwargs))
    return ApiResponse(status=int(response["statusCode"]), text=response.get("body") or "")


def s3_created_event(bucket: str, key: str, size: int, version_id: str | None, etag: str) -> dict[str, Any]:
    """An S3 ObjectCreated notification as S3 writes it into the queue (the key form-encoded)."""
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
        "sequencer": "0065A1",
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2025-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:patient-upload"},
                "requestParameters": {"sourceIPAddress": "192.0.2.10"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "upload-events",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


def s3_test_event(bucket: str) -> dict[str, Any]:
    """What S3 sends once when a notification configuration is put on the bucket."""
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2025-01-01T00:00:00.000Z",
        "Bucket": bucket,
        "RequestId": "EXAMPLE",
        "HostId": "EXAMPLE",
    }


def sqs_event(queue_arn: str, *bodies: dict[str, Any]) -> dict[str, Any]:
    """The event Lambda's SQS poller hands the validate function, one record per body."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": base64.b64encode(uuid.uuid4().bytes).decode(),
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1735689600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1735689600001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


# --- the patient's side ----------------------------------------------------------------------------


def case_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tier": "standard",
        "language": "en",
        "email": "patient@example.org",
        "symptoms": "Pain in the lower right abdomen for three weeks.",
        "questions": ["Is the finding in my liver serious?"],
        "clinical_history": "Appendectomy in 2010.",
        "consent": True,
    }
    body.update(overrides)
    return body


def create_case(**overrides: Any) -> tuple[str, str]:
    """Open a case through the intake handler; returns (case_id, access token)."""
    response = call_api("intake", "POST", "/cases", body=case_request(**overrides))
    assert response.status == 201, response.text
    return response.json["case_id"], response.json["access_token"]


def get_case(case_id: str, token: str | None) -> ApiResponse:
    return call_api("intake", "GET", "/cases/{case_id}", path_parameters={"case_id": case_id}, token=token)


def submit(case_id: str, token: str) -> ApiResponse:
    return call_api(
        "intake", "POST", "/cases/{case_id}/submit", path_parameters={"case_id": case_id}, token=token
    )


def declare(case_id: str, token: str, files: list[dict[str, Any]]) -> ApiResponse:
    return call_api(
        "intake",
        "POST",
        "/cases/{case_id}/files",
        path_parameters={"case_id": case_id},
        body={"files": files},
        token=token,
    )


def ct_small() -> bytes:
    """A real CT slice from pydicom's test data."""
    path = get_testdata_file("CT_small.dcm", download=False)
    assert path is not None, "pydicom's CT_small.dcm is missing"
    return Path(str(path)).read_bytes()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
"""A screenshot's first bytes and some more: not a DICOM object."""


@dataclass(frozen=True)
class Upload:
    case_id: str
    file_id: str
    key: str
    version_id: str | None


@dataclass(frozen=True)
class Uploads:
    """Declaring files, putting their bytes where the presigned POST would, and validating them."""

    stack: Stack

    @property
    def bucket(self) -> str:
        return self.stack.environment["UPLOADS_BUCKET"]

    def declare_one(
        self, case_id: str, token: str, size: int, *, name: str = "IM0001", kind: str = "dicom"
    ) -> str:
        """Declare one file; its key."""
        declared = declare(case_id, token, [{"name": name, "size": size, "kind": kind}])
        assert declared.status == 201, declared.text
        return f"cases/{case_id}/files/{declared.json['uploads'][0]['file_id']}"

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        return dict(self.stack.client("s3").put_object(Bucket=self.bucket, Key=key, Body=data))

    def notify(self, key: str, size: int, put: dict[str, Any]) -> Any:
        """Run the validate function on the queue message S3 sends for `put`."""
        body = s3_created_event(self.bucket, key, size, put.get("VersionId"), put["ETag"])
        return invoke("validate", sqs_event(self.stack.upload_queue_arn, body))

    def upload(
        self, case_id: str, token: str, data: bytes, *, name: str = "IM0001", kind: str = "dicom"
    ) -> Upload:
        """Declare one file, store its bytes under the declared key and validate it."""
        key = self.declare_one(case_id, token, len(data), name=name, kind=kind)
        put = self.put(key, data)
        assert self.notify(key, len(data), put) == {"batchItemFailures": []}
        return Upload(case_id, key.rsplit("/", 1)[1], key, put.get("VersionId"))


# --- the workflow and the radiologist --------------------------------------------------------------


TIMEOUTS = {
    "offer_seconds": 600,
    "review_seconds": 3600,
    "heartbeat_seconds": 900,
    "queue_seconds": 60,
    "report_margin_seconds": 300,
}


def assign(case_id: str, attempt: int = 0, offer_seconds: int = 600, run: int = 0) -> dict[str, Any]:
    """The workflow's Assign task."""
    timeouts = {**TIMEOUTS, "offer_seconds": offer_seconds}
    request = {"case_id": case_id, "run": run, "attempt": attempt, "timeouts": timeouts}
    event = {"action": "assign", "request": request}
    return dict(invoke("assign", event))


def offer(assignment_id: str, task_token: str, phase: str = "offer") -> None:
    """The workflow's WaitForAcceptance (or, with phase "read", WaitForReport) task, which hands
    over its task token."""
    request = {"assignment_id": assignment_id, "task_token": task_token, "phase": phase}
    invoke("assign", {"action": "offer", "request": request})


def release(
    case_id: str, assignment_id: str, attempt: int = 0, error: str = "States.Timeout"
) -> dict[str, Any]:
    """The workflow's ReleaseReview task, after a timeout or a decline."""
    event = {
        "action": "release",
        "request": {"case_id": case_id, "assignment_id": assignment_id, "error": error, "attempt": attempt},
    }
    return dict(invoke("assign", event))


def escalate(case_id: str, reason: str) -> None:
    """The workflow's escalation tasks (EscalateFailure with reason step_failed, and the others)."""
    invoke("assign", {"action": "escalate", "request": {"case_id": case_id, "reason": reason}})


def restart(case_id: str, claims: dict[str, str] = OPS_CLAIMS) -> ApiResponse:
    """Ops restart a failed case (POST /ops/cases/{case_id}/restart)."""
    return call_api(
        "intake", "POST", "/ops/cases/{case_id}/restart", path_parameters={"case_id": case_id}, claims=claims
    )


def radiologist_call(
    method: str, route: str, assignment_id: str, *, radiologist_id: str = RADIOLOGIST, **kwargs: Any
) -> ApiResponse:
    """A radiologist's request to an assignment route, signed in through Cognito."""
    kwargs.setdefault("claims", radiologist_claims(radiologist_id))
    return call_api("assign", method, route, path_parameters={"assignment_id": assignment_id}, **kwargs)


def accept_call(assignment_id: str, radiologist_id: str = RADIOLOGIST) -> ApiResponse:
    return radiologist_call(
        "POST", "/assignments/{assignment_id}/accept", assignment_id, radiologist_id=radiologist_id
    )


def accept(assignment_id: str, radiologist_id: str = RADIOLOGIST) -> ApiResponse:
    """Accept, then play the workflow's next step: WaitForReport hands over the read's token."""
    response = accept_call(assignment_id, radiologist_id)
    if response.status == 200:
        offer(assignment_id, READ_TOKEN, phase="read")
    return response


def decline(
    assignment_id: str, radiologist_id: str = RADIOLOGIST, reason: str = "Conflict of interest"
) -> ApiResponse:
    return radiologist_call(
        "POST",
        "/assignments/{assignment_id}/decline",
        assignment_id,
        radiologist_id=radiologist_id,
        body={"reason": reason},
    )


def send_report(assignment_id: str, body: dict[str, Any], radiologist_id: str = RADIOLOGIST) -> ApiResponse:
    return radiologist_call(
        "POST", "/assignments/{assignment_id}/report", assignment_id, radiologist_id=radiologist_id, body=body
    )


def report_body(questions: list[str], **overrides: Any) -> dict[str, Any]:
    """A complete reading that answers every one of `questions`."""
    body: dict[str, Any] = {
        "findings": "A 12 mm simple cyst in liver segment VI. No other focal lesion.",
        "impression": "Benign hepatic cyst.",
        "summary": "The spot on your liver is a small fluid-filled cyst. It is harmless.",
        "answers": [{"question": q, "answer": "No. It is a harmless cyst."} for q in questions],
        "radpeer": "1",
        "radpeer_reasoning": "The original report describes the same cyst.",
        "recommendations": [],
        "critical_finding": False,
    }
    body.update(overrides)
    return body


TASK_TOKEN = "TOKEN-XYZ"
READ_TOKEN = "TOKEN-READ-ABC"


@dataclass(frozen=True)
class Offer:
    """A case the workflow has assigned and now waits on with TASK_TOKEN."""

    case_id: str
    token: str
    assignment_id: str
    radiologist_id: str


class RecordingStepFunctions:
    """Stands in for Step Functions' task-token calls; every other call goes to moto.

    moto (with execution off) accepts any task token silently, so only a recording shows which
    token arrived. `fail_next` makes the next call of a method raise, as a failed call would.
    """

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: set[str] = set()
        self.on_success: Callable[[], None] | None = None

    def _record(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail_next:
            self.fail_next.discard(method)
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try again"}}, method)
        self.calls.append((method, kwargs))
        return {}

    def send_task_success(self, **kwargs: Any) -> dict[str, Any]:
        answer = self._record("send_task_success", kwargs)
        if self.on_success is not None:
            self.on_success()  # the workflow resuming, before this call returns to its caller
        return answer

    def send_task_failure(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("send_task_failure", kwargs)

    def send_task_heartbeat(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("send_task_heartbeat", kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]
