"""Lambda's SQS poller, played locally.

moto hands a message to the subscribed function once, when it is sent; a message whose invocation
failed stays in the queue and nothing tries it again. In AWS the event source mapping keeps
polling: a failed message comes back after the queue's visibility timeout, and after the redrive
policy's maxReceiveCount receives it moves to the dead-letter queue. This poller does the same,
with the visibility timeout divided by the time scale for a failed message.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


def make_deletes_atomic() -> None:
    """moto's Queue.delete_message rebuilds the queue's message list without the lock that
    add_message holds, so a message sent meanwhile can vanish (under load: upload events, and so
    verdicts, lost). The local stack deletes under that lock."""
    from moto.sqs.models import Queue

    if getattr(Queue.delete_message, "atomic", False):
        return
    unlocked = Queue.delete_message

    def delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            unlocked(self, receipt_handle)

    delete_message.atomic = True  # type: ignore[attr-defined]
    Queue.delete_message = delete_message  # type: ignore[method-assign]


class Redelivery:
    """A thread that delivers the visible messages of every queue a function subscribes to."""

    def __init__(self, account: str, region: str, time_scale: float) -> None:
        self._account, self._region, self._time_scale = account, region, time_scale
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-redelivery", daemon=True)

    def start(self) -> Redelivery:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # the next tick tries again, as Lambda's poller would
                log.warning("redelivery poll failed", exc_info=True)

    def poll(self) -> int:
        """Deliver each subscribed queue's visible messages once; how many were delivered."""
        from moto.awslambda.utils import get_backend
        from moto.sqs.models import sqs_backends

        sqs = sqs_backends[self._account][self._region]
        lam = get_backend(self._account, self._region)
        delivered = 0
        for queue in list(sqs.queues.values()):
            for function_arn, mapping in list(queue.lambda_event_source_mappings.items()):
                if not mapping.enabled:
                    continue
                timeout = int(getattr(queue, "visibility_timeout", 30))  # set from the queue's attributes
                # In flight, a message stays hidden for the whole timeout (no second delivery while
                # the first runs); a failed one comes back after the scaled timeout. Receiving also
                # moves messages received maxReceiveCount times to the dead-letter queue.
                messages: list[Any] = sqs.receive_message(queue.name, mapping.batch_size or 10, 0, timeout)
                for message in messages:
                    if lam.send_sqs_batch(function_arn, [message], queue.queue_arn):
                        sqs.delete_message(queue.name, message.receipt_handle)
                    else:
                        retry = round(timeout / self._time_scale)
                        sqs.change_message_visibility(queue.name, message.receipt_handle, retry)
                    delivered += 1
        return delivered
