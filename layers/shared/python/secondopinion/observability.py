"""Powertools logger, tracer and metrics, configured the same way for every function.

Log lines carry ids (case, assignment, file) only: never names, e-mails, symptoms, questions,
findings or tokens.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from . import masking

NAMESPACE = "SecondOpinion"


def logger(service: str) -> Logger:
    masking.quiet_libraries()
    return Logger(service=service, logger_formatter=masking.MaskingFormatter())


def tracer(service: str) -> Tracer:
    return Tracer(service=service)


def metrics(service: str) -> Metrics:
    return Metrics(namespace=NAMESPACE, service=service)
