"""Powertools logger, tracer and metrics, configured the same way for every function.

Log lines carry ids (case, assignment, file) only: never names, e-mails, symptoms, questions,
findings or tokens. Traces carry no payloads: Powertools' Tracer would otherwise record every
handler's response (a case view names files, an assignment view holds the symptoms and the
questions) and every exception as X-Ray metadata.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from . import masking

NAMESPACE = "SecondOpinion"


class PrivateTracer(Tracer):
    """A Tracer whose decorators record neither responses nor exceptions, unless asked to."""

    def capture_lambda_handler(
        self,
        lambda_handler: Any = None,
        capture_response: bool | None = False,
        capture_error: bool | None = False,
    ) -> Any:
        return super().capture_lambda_handler(
            lambda_handler, capture_response=capture_response, capture_error=capture_error
        )

    def capture_method(
        self, method: Any = None, capture_response: bool | None = False, capture_error: bool | None = False
    ) -> Any:
        return super().capture_method(method, capture_response=capture_response, capture_error=capture_error)


def logger(service: str) -> Logger:
    masking.quiet_libraries()
    return Logger(service=service, logger_formatter=masking.MaskingFormatter())


def tracer(service: str) -> Tracer:
    return PrivateTracer(service=service)


def metrics(service: str) -> Metrics:
    return Metrics(namespace=NAMESPACE, service=service)
