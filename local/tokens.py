"""Staff sign-in for the local stack, standing in for Cognito.

`secondopinion token` mints a bearer token signed with a key kept under .secondopinion-local/;
the local gateway verifies it and hands the functions the same claims API Gateway's Cognito
authorizer would. Never used in AWS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

STATE_DIR = Path(".secondopinion-local")
TOKEN_SECONDS = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(state_dir: Path = STATE_DIR) -> bytes:
    """The local signing key, created on first use and readable by this user only."""
    path = state_dir / "signing.key"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def mint(claims: dict[str, Any], key: bytes, seconds: int = TOKEN_SECONDS) -> str:
    body = _b64(json.dumps({**claims, "exp": int(time.time()) + seconds}).encode())
    signature = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify(token: str, key: bytes) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token; None otherwise."""
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(claims, dict) or int(claims.get("exp", 0)) < time.time():
        return None
    return claims


def radiologist_claims(radiologist_id: str) -> dict[str, Any]:
    return {
        "sub": f"local-{radiologist_id}",
        "cognito:groups": "radiologists",
        "custom:radiologist_id": radiologist_id,
    }


def ops_claims() -> dict[str, Any]:
    return {"sub": "local-ops", "cognito:groups": "ops"}
