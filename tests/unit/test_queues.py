"""The local stack's repair of moto's SQS: a delete never loses a message sent meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message, Queue, sqs_backends

from local import cloud, queues

REGION = "eu-central-2"


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Queue]]:
    monkeypatch.setattr(Queue, "delete_message", Queue.delete_message)  # undone after the test
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        sqs.create_queue(QueueName="events")
        yield sqs, sqs_backends[cloud.ACCOUNT][REGION].queues["events"]


def test_a_delete_waits_for_the_lock_that_sending_holds(queue: tuple[Any, Queue]) -> None:
    # Given a received message, and the lock add_message takes held by a sender
    sqs, backend_queue = queue
    url = sqs.get_queue_url(QueueName="events")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first")
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    queues.make_deletes_atomic()
    with backend_queue._messages_lock:
        deleting = threading.Thread(target=backend_queue.delete_message, args=(message["ReceiptHandle"],))
        deleting.start()
        deleting.join(timeout=0.3)
        # Then the delete cannot rebuild the message list while a message is being added
        assert deleting.is_alive()
        backend_queue._messages.append(Message("m2", "second"))  # what add_message does under the lock
    deleting.join(timeout=5)
    # and once the sender is done, it deletes its message and keeps the one sent meanwhile
    assert not deleting.is_alive()
    assert [m.body for m in backend_queue._messages] == ["second"]


def test_patching_twice_wraps_once(queue: tuple[Any, Queue]) -> None:
    queues.make_deletes_atomic()
    patched = Queue.delete_message
    queues.make_deletes_atomic()
    assert Queue.delete_message is patched
