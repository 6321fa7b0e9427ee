"""The one place that maps errors to HTTP responses, shared by every function with routes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from .errors import DomainError

CORRELATED = ("case_id", "assignment_id", "file_id", "radiologist_id")
"""Path parameters every log line of a request carries, so that a case's lines can be found."""


def error_response(status: int, code: str, message: str) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": code, "message": message}),
    )


def _describe(errors: Sequence[Any]) -> str:
    """Field and rule of each problem. A custom validator's text (e-mail syntax, for one) can
    quote the rejected value, so those get a fixed wording."""
    parts = []
    for error in errors[:10]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
        rule = "is not valid" if error.get("type") == "value_error" else error.get("msg", "is not valid")
        parts.append(f"{where or 'request'}: {rule}")
    return "; ".join(parts)


def resolver(logger: Logger) -> APIGatewayRestResolver:
    """A REST resolver with pydantic validation and the project's error format, whose requests log
    through the function's `logger` with the ids in their path."""
    app = APIGatewayRestResolver(enable_validation=True)

    def correlate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        parameters = app.current_event.path_parameters or {}
        logger.append_keys(**{name: parameters[name] for name in CORRELATED if name in parameters})
        return next_middleware(app)

    app.use(middlewares=[correlate])

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[Any]:
        logger.info("request refused", extra={"error_code": error.code})
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        # The message names fields and rules only; the rejected values may be health data.
        return error_response(422, "invalid_request", _describe(error.errors()))

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return error_response(404, "not_found", "There is no such route.")

    return app
