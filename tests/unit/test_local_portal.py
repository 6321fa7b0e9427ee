"""The local stand-in for Cognito's hosted sign-in: right password and a known user, or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from local import tokens
from local.portal import Portal, staff_password

KEY = b"k" * 32


def portal(password: str = "right-password") -> Portal:
    return Portal(Path("build/web"), {}, KEY, password, {"rad-neuro-1"}, ["http://127.0.0.1:1"])


def test_a_radiologist_with_the_password_gets_a_radiologist_token() -> None:
    status, body = portal().sign_in(
        json.dumps({"username": "rad-neuro-1", "password": "right-password"}).encode()
    )
    assert status == 200
    claims = tokens.verify(body["token"], KEY)
    assert claims is not None and claims["custom:radiologist_id"] == "rad-neuro-1"


def test_ops_get_an_ops_token() -> None:
    _, body = portal().sign_in(json.dumps({"username": "ops", "password": "right-password"}).encode())
    claims = tokens.verify(body["token"], KEY)
    assert claims is not None and claims["cognito:groups"] == "ops"


def test_a_wrong_password_or_an_unknown_user_gets_the_same_refusal() -> None:
    wrong = portal().sign_in(json.dumps({"username": "rad-neuro-1", "password": "guess"}).encode())
    unknown = portal().sign_in(json.dumps({"username": "someone", "password": "right-password"}).encode())
    assert (
        wrong == unknown == (401, {"error": "unauthorized", "message": "The user name or password is wrong."})
    )


def test_a_malformed_request_is_explained() -> None:
    status, body = portal().sign_in(b"not json")
    assert status == 400 and "username and password" in body["message"]


def test_the_pages_are_served_with_the_same_security_headers_as_from_cloudfront() -> None:
    headers = portal().headers
    assert "connect-src 'self' http://127.0.0.1:1" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"


def test_the_local_password_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = staff_password(tmp_path)
    assert staff_password(tmp_path) == first and len(first) >= 16
    assert (tmp_path / "staff-password").stat().st_mode & 0o077 == 0
