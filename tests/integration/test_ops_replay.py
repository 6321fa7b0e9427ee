"""`secondopinion ops replay` against moto: the stack's queues, dry runs and replays."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from cli import ops

from .support import Stack

STACK = "SecondOpinion-dev"


def s3_event(case_id: str, file_id: str) -> str:
    key = f"cases/{case_id}/files/{file_id}"
    return json.dumps(
        {"Records": [{"s3": {"bucket": {"name": "uploads"}, "object": {"key": key, "size": 1}}}]}
    )


@pytest.fixture
def queues(stack: Stack) -> tuple[Any, str, str]:
    """A queue and its dead-letter queue of our own (the stack's queue feeds the validate function)."""
    sqs = stack.client("sqs")
    name = uuid.uuid4().hex[:12]
    dead = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(
        QueueName=f"src-{name}",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    return sqs, source, dead


def drain(sqs: Any, url: str) -> list[str]:
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        bodies += [m["Body"] for m in batch]
    return bodies


def test_the_stack_outputs_name_the_upload_queue_and_its_dead_letter_queue(stack: Stack) -> None:
    # Given the synthesized stack deployed
    (events_queue,) = [
        stack.resources[k]
        for k, r in stack.template["Resources"].items()
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
    ]
    # When the replay looks the queues up by the stack's name
    queue, dead_letters = ops.queues_from_stack(stack.client("cloudformation"), STACK)
    # Then it finds the upload queue, and the dead-letter queue whose source that is
    assert queue == events_queue
    assert ops.source_of(stack.client("sqs"), dead_letters) == events_queue


def test_a_replay_moves_every_dead_letter_back_to_its_queue_once(queues: tuple[Any, str, str]) -> None:
    sqs, source, dead = queues
    bodies = [s3_event(uuid.uuid4().hex, uuid.uuid4().hex) for _ in range(13)]  # more than one batch
    for body in bodies:
        sqs.send_message(QueueUrl=dead, MessageBody=body)
    said: list[str] = []

    result = ops.replay(sqs, dead, source, dry_run=False, say=said.append)

    assert (result.waiting, result.listed, result.replayed, result.failed) == (13, 13, 13, 0)
    assert sorted(drain(sqs, source)) == sorted(bodies)
    assert drain(sqs, dead) == []
    assert all(line.startswith("replaying ") and "cases/" in line for line in said)


def test_a_dry_run_lists_the_dead_letters_and_moves_none(queues: tuple[Any, str, str]) -> None:
    sqs, source, dead = queues
    case_id, file_id = uuid.uuid4().hex, uuid.uuid4().hex
    sqs.send_message(QueueUrl=dead, MessageBody=s3_event(case_id, file_id))
    sqs.send_message(QueueUrl=dead, MessageBody="not json")
    said: list[str] = []

    result = ops.replay(sqs, dead, source, dry_run=True, say=said.append)

    assert (result.waiting, result.listed, result.replayed) == (2, 2, 0)
    assert drain(sqs, source) == []
    assert any(f"cases/{case_id}/files/{file_id}" in line for line in said)
    assert any("not an S3 event" in line for line in said)
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessagesNotVisible"
            ]
        )
        == 2
    )


def test_a_limit_replays_no_more_than_asked(queues: tuple[Any, str, str]) -> None:
    sqs, source, dead = queues
    for _ in range(4):
        sqs.send_message(QueueUrl=dead, MessageBody=s3_event(uuid.uuid4().hex, uuid.uuid4().hex))

    result = ops.replay(sqs, dead, source, dry_run=False, limit=3, say=lambda _: None)

    assert result.replayed == 3
    assert len(drain(sqs, source)) == 3


def test_an_unknown_stack_is_refused_with_what_to_give_instead(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ops.run_replay(
        stack="NoSuchStack",
        queue=None,
        dead_letters=None,
        dry_run=True,
        limit=None,
        region=None,
        endpoint_url=None,
    )
    assert code == 2
    assert "Cannot read stack NoSuchStack" in capsys.readouterr().out
