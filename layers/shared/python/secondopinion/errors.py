"""Domain errors: a stable code, an HTTP status and a message a person can act on.

They are mapped to HTTP responses in one place (`secondopinion.api`) and to Step Functions error
names by their class name (Lambda reports the exception type as the error).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the pipeline raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    code = "invalid_request"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class CaseNotFound(DomainError):
    """Also the answer to a token of another case: the two must be indistinguishable."""

    code = "case_not_found"
    status = 404

    def __init__(self, message: str = "No case with this id exists for this access token.") -> None:
        super().__init__(message)


class FileNotFound(DomainError):
    code = "file_not_found"
    status = 404

    def __init__(self, message: str = "This case has no file with this id.") -> None:
        super().__init__(message)


class AssignmentNotFound(DomainError):
    code = "assignment_not_found"
    status = 404

    def __init__(self, message: str = "No assignment with this id is assigned to you.") -> None:
        super().__init__(message)


class AssignmentClosed(DomainError):
    code = "assignment_closed"
    status = 409


class CaseNotReady(DomainError):
    code = "case_not_ready"
    status = 409


class IdempotencyKeyReused(DomainError):
    """The request's Idempotency-Key opened a case with another request (or one that has moved on)."""

    code = "idempotency_key_reused"
    status = 422


class ReportNotReady(DomainError):
    code = "report_not_ready"
    status = 409


class HardToRead(DomainError):
    """The plain-language texts score above their language's target; the radiologist may confirm."""

    code = "hard_to_read"
    status = 422


class NoRadiologistAvailable(DomainError):
    """Raised by assignment; the state machine waits and retries instead of failing."""

    code = "no_radiologist_available"
    status = 503


class InvalidCode(DomainError):
    """Also the answer for a case that does not exist: a code must not tell which ids are real."""

    code = "invalid_code"
    status = 403

    def __init__(
        self,
        message: str = "This code is not valid: it may be mistyped, used already or expired. "
        "Ask for a new code.",
    ) -> None:
        super().__init__(message)


class DeliveryExpired(DomainError):
    code = "delivery_expired"
    status = 410

    def __init__(
        self, message: str = "This report's delivery period has ended. Please contact us for a copy."
    ) -> None:
        super().__init__(message)


class DeliveryRevoked(DomainError):
    code = "delivery_revoked"
    status = 410

    def __init__(
        self, message: str = "This report's download has been withdrawn. Please contact us."
    ) -> None:
        super().__init__(message)
