"""`secondopinion ops replay`: send the dead letters of the upload queue back to it.

Upload events that the validate function failed on five times wait in the dead-letter queue (14
days). Once the cause is fixed, replaying them sends each message back to the upload queue, where
validation judges the file as if it had just arrived (a file judged meanwhile is not judged again).
`--dry-run` lists what is there and changes nothing. Works against AWS (the queue URLs from the
stack's outputs, or given) and against the local stack (`--endpoint-url`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

OUTPUT_QUEUE = "UploadEventsQueueUrl"
OUTPUT_DEAD_LETTERS = "UploadDeadLettersQueueUrl"
PEEK_SECONDS = 30
"""How long a listed (dry-run) message stays hidden from the next receive."""
BATCH = 10  # SQS's largest receive
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_REGION = "eu-central-2"


class ReplayError(Exception):
    """The queues cannot be found or used; the message says what to give instead."""


@dataclass
class Replay:
    waiting: int
    """Messages the dead-letter queue reported before the replay."""
    listed: int = 0
    replayed: int = 0
    failed: int = 0


def queues_from_stack(cloudformation: Any, stack: str) -> tuple[str, str]:
    """(upload queue URL, dead-letter queue URL) from the stack's outputs."""
    try:
        outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    except cloudformation.exceptions.ClientError as error:
        raise ReplayError(f"Cannot read stack {stack}: {error}. Check --stack and --region.") from None
    found = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    missing = [k for k in (OUTPUT_QUEUE, OUTPUT_DEAD_LETTERS) if k not in found]
    if missing:
        raise ReplayError(
            f"Stack {stack} has no output {', '.join(missing)}: deploy this version, or give "
            "--queue and --dead-letters."
        )
    return found[OUTPUT_QUEUE], found[OUTPUT_DEAD_LETTERS]


def source_of(sqs: Any, dead_letters: str) -> str:
    """The one queue whose redrive policy sends its failures to `dead_letters`."""
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dead_letters).get("queueUrls", [])
    if len(sources) != 1:
        raise ReplayError(
            f"{len(sources)} queues send their dead letters to {dead_letters}; name the one to "
            "replay into with --queue."
        )
    return str(sources[0])


def describe(message: dict[str, Any]) -> str:
    """One line about a dead letter: its id, when it was first sent, how often it was received,
    and the objects an S3 event names (ids only: cases/<case id>/files/<file id>)."""
    attributes = message.get("Attributes", {})
    try:
        records = json.loads(message["Body"]).get("Records", [])
        keys = [r["s3"]["object"]["key"] for r in records if "s3" in r]
    except (ValueError, AttributeError, KeyError, TypeError):
        keys = []
    what = ", ".join(keys) if keys else f"{len(message['Body'])} bytes, not an S3 event"
    return (
        f"{message['MessageId']}  sent {attributes.get('SentTimestamp', '?')}  "
        f"received {attributes.get('ApproximateReceiveCount', '?')}x  {what}"
    )


def replay(
    sqs: Any,
    dead_letters: str,
    queue: str,
    *,
    dry_run: bool,
    limit: int | None = None,
    say: Callable[[str], None] = print,
) -> Replay:
    """Move (or, with `dry_run`, list) up to `limit` messages from `dead_letters` to `queue`.
    Each message is sent before it is deleted: a crash in between replays it twice, never loses it."""
    depth = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessages"])
    result = Replay(waiting=int(depth["Attributes"]["ApproximateNumberOfMessages"]))
    seen: set[str] = set()
    while limit is None or len(seen) < limit:
        batch = sqs.receive_message(
            QueueUrl=dead_letters,
            MaxNumberOfMessages=BATCH if limit is None else min(BATCH, limit - len(seen)),
            VisibilityTimeout=PEEK_SECONDS,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            result.listed += 1
            say(("would replay " if dry_run else "replaying ") + describe(message))
            if dry_run:
                continue
            try:
                extra = (
                    {"MessageAttributes": message["MessageAttributes"]}
                    if message.get("MessageAttributes")
                    else {}
                )
                sqs.send_message(QueueUrl=queue, MessageBody=message["Body"], **extra)
                sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
                result.replayed += 1
            except sqs.exceptions.ClientError as error:
                result.failed += 1
                say(f"  failed: {error}; it stays in the dead-letter queue")
    return result


def run_replay(
    *,
    stack: str | None,
    queue: str | None,
    dead_letters: str | None,
    dry_run: bool,
    limit: int | None,
    region: str | None,
    endpoint_url: str | None,
) -> int:
    session = boto3.session.Session(region_name=region)
    if endpoint_url and urlsplit(endpoint_url).hostname in LOCAL_HOSTS:
        # The local stack (moto) takes any credentials, and a developer may have none configured.
        session = boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto's placeholder, no secret
            region_name=region or LOCAL_REGION,
        )
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    try:
        if dead_letters is None:
            if stack is None:
                raise ReplayError("Give --stack (e.g. SecondOpinion-prod), or --dead-letters with its URL.")
            found_queue, dead_letters = queues_from_stack(
                session.client("cloudformation", endpoint_url=endpoint_url), stack
            )
            queue = queue or found_queue
        queue = queue or source_of(sqs, dead_letters)
        result = replay(sqs, dead_letters, queue, dry_run=dry_run, limit=limit)
    except ReplayError as error:
        print(f"error: {error}")
        return 2
    print(f"dead-letter queue {dead_letters}: {result.waiting} message(s) waiting")
    if dry_run:
        print(f"dry run: {result.listed} listed, none moved (listed ones are hidden for {PEEK_SECONDS} s)")
    else:
        print(f"replayed {result.replayed} to {queue}, {result.failed} failed")
    return 1 if result.failed else 0
