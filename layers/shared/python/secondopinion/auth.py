"""Who is calling: patients hold a case access token, staff come through Cognito.

Patient tokens have 256 random bits, so a plain SHA-256 is a safe stored form (no dictionary to
guess from); comparison is constant-time. Staff identity arrives as claims that API Gateway's
Cognito authorizer (or the local stack, which mimics it) puts into the request context.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from .errors import CaseNotFound, Forbidden, Unauthorized
from .models import CaseRecord, Contract

if TYPE_CHECKING:
    from .store import CaseStore

RADIOLOGIST_GROUP = "radiologists"
OPS_GROUP = "ops"


def new_access_token() -> str:
    """A fresh case access token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def bearer_token(headers: dict[str, str] | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or Unauthorized."""
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Unauthorized("Send the case access token as 'Authorization: Bearer <token>'.")


class Staff(Contract):
    """A signed-in radiologist or ops user."""

    subject: str
    groups: frozenset[str]
    radiologist_id: str | None = None

    @property
    def is_ops(self) -> bool:
        return OPS_GROUP in self.groups


def _groups(raw: Any) -> frozenset[str]:
    # REST API authorizers pass list claims as a string such as "[ops, radiologists]" or "ops".
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    text = str(raw or "").strip().strip("[]")
    return frozenset(g.strip() for g in text.replace(",", " ").split() if g.strip())


def staff_from_claims(claims: dict[str, Any] | None) -> Staff:
    """The caller of a Cognito-authorized route, from the authorizer's claims."""
    if not claims or not claims.get("sub"):
        raise Unauthorized("Sign in to use this route.")
    return Staff(
        subject=str(claims["sub"]),
        groups=_groups(claims.get("cognito:groups")),
        radiologist_id=claims.get("custom:radiologist_id") or None,
    )


def require_radiologist(staff: Staff) -> str:
    if RADIOLOGIST_GROUP not in staff.groups or not staff.radiologist_id:
        raise Forbidden("This route is for radiologists.")
    return staff.radiologist_id


def require_ops(staff: Staff) -> None:
    if not staff.is_ops:
        raise Forbidden("This route is for operations staff.")


def authorize_patient(case_id: str, token: str, cases: CaseStore) -> CaseRecord:
    """The case, if `token` opens it; otherwise the same 404 as for a case that does not exist."""
    try:
        case = cases.get(case_id)
    except CaseNotFound:
        hash_token(token)  # the same work either way: no timing hint that the id exists
        raise
    if not token_matches(token, case.token_hash):
        raise CaseNotFound()
    return case
