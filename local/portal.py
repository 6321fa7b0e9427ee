"""The web pages on this machine: the built site (build/web), its config.json, and the staff sign-in
that stands in for Cognito's hosted sign-in. Served on their own port, so the pages call the API
across origins exactly as they do from CloudFront."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra.portal import security_headers

from . import tokens

SITE = Path("build/web")


def staff_password(state_dir: Path) -> str:
    """The local staff password, made on first use and readable by this user only."""
    path = state_dir / "staff-password"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


def claims_for(username: str, radiologists: set[str]) -> dict[str, Any] | None:
    if username == "ops":
        return tokens.ops_claims()
    if username in radiologists:
        return tokens.radiologist_claims(username)
    return None


class Portal:
    def __init__(
        self,
        site: Path,
        settings: dict[str, Any],
        key: bytes,
        password: str,
        radiologists: set[str],
        connect_origins: list[str],
    ) -> None:
        self.site = site
        self.settings = settings
        self.key = key
        self.password = password
        self.radiologists = radiologists
        self.headers = security_headers(connect_origins)

    def sign_in(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            asked = json.loads(body or b"{}")
            username, password = str(asked["username"]), str(asked["password"])
        except (ValueError, KeyError, TypeError):
            return 400, {
                "error": "invalid_request",
                "message": "Send a JSON object with username and password.",
            }
        claims = claims_for(username, self.radiologists)
        if claims is None or not hmac.compare_digest(password.encode(), self.password.encode()):
            return 401, {"error": "unauthorized", "message": "The user name or password is wrong."}
        return 200, {"token": tokens.mint(claims, self.key)}


def serve(portal: Portal, port: int) -> ThreadingHTTPServer:
    """Start serving the pages on 127.0.0.1:`port` in a background thread."""

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def end_headers(self) -> None:
            for name, value in portal.headers.items():
                self.send_header(name, value)
            super().end_headers()

        def _json(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/config.json":
                self._json(200, portal.settings)
                return
            super().do_GET()

        def do_POST(self) -> None:
            if self.path != "/local/sign-in":
                self._json(404, {"error": "not_found", "message": "There is no such page."})
                return
            length = int(self.headers.get("Content-Length") or 0)
            self._json(*portal.sign_in(self.rfile.read(length) if length else b""))

    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=str(portal.site)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    return server
