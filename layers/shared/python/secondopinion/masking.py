"""Log lines with personal and health data masked, whatever a log call was handed.

The functions log ids (case, assignment, file, radiologist) and codes, never the patient's or the
radiologist's words. This is the net under that rule: a value logged under a sensitive key, at any
depth (an extra field, an appended key, a logged event or model), is replaced by a mask before the
line is written, so a careless log call or an operator's debug switch (`POWERTOOLS_LOGGER_LOG_EVENT`)
cannot put an e-mail address, symptoms, a reading or a token into CloudWatch. Request bodies are
masked whole: they are the patient's or the radiologist's input. An invocation that fails is
logged with its ids and the exception's type, not its message (which may quote what was read).

Masking by key rather than with Powertools' data masking utility: that one needs a JSONPath library
in the layer and a path per field, where one key set covers every depth of every record.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.types import LogRecord

Handler = TypeVar("Handler", bound=Callable[..., Any])

MASK = "*****"
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer")
"""Their debug lines print whole requests (DynamoDB items, e-mail bodies) as text no key can mask."""

SENSITIVE_KEYS = frozenset(
    {
        # who the patient is
        "email",
        "e_mail",
        "name",
        "names",
        "file_name",
        "filename",
        "patient_name",
        "patient_id",
        "birth_date",
        "phone",
        "address",
        # what the patient and the radiologists wrote
        "symptoms",
        "question",
        "questions",
        "answer",
        "answers",
        "clinical_history",
        "history",
        "original_institution",
        "original_radiologist",
        "institution",
        "findings",
        "impression",
        "summary",
        "recommendations",
        "radpeer_reasoning",
        "comment",
        "decline_reason",
        "submission",
        "agreed_submission",
        "translation",
        "draft",
        "text",
        "body",
        # what opens a case, a report or a session
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "task_token",
        "code",
        "password",
        "secret",
        "authorization",
        "cookie",
        "set_cookie",
        "x_amz_security_token",
    }
)
"""Keys whose values never reach a log line, compared in lower case with '-' read as '_'."""


def is_sensitive(key: object) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_") in SENSITIVE_KEYS


def mask(value: Any) -> Any:
    """`value` with every sensitive key's value replaced by MASK, at any depth."""
    if isinstance(value, Mapping):
        return {k: MASK if is_sensitive(k) else mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(v) for v in value]
    if hasattr(value, "model_dump"):  # a pydantic model handed to a log call
        return mask(value.model_dump(mode="json"))
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log format, with sensitive values masked before the line is written."""

    def serialize(self, log: LogRecord) -> str:
        return super().serialize(mask(log))


def quiet_libraries() -> None:
    """The AWS SDK's loggers never below WARNING, even if the function's log level is DEBUG."""
    for library in QUIET_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)


def failures_logged(logger: Logger) -> Callable[[Handler], Handler]:
    """A handler whose uncaught exception is logged, with the ids the request appended, before
    Lambda reports it (Lambda's own error line has none of them). The exception's type only: its
    message may quote what was read."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def logged(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except Exception as error:
                logger.error("invocation failed", extra={"exception_name": type(error).__name__})
                raise

        return logged  # type: ignore[return-value]

    return decorate
