"""The API's OpenAPI document, generated from the functions' routes and pydantic models.

Each function with routes owns a Powertools resolver; this merges their documents into one, the
contract for the web pages and integrations. `make layer` writes it into the shared layer, where
intake serves it at /openapi.json; the local gateway serves the same document.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROUTED_STEPS = ("intake", "assign", "deliver")
TITLE = "Radiology second opinion API"
VERSION = "0.1.0"


def document() -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": {},
        "components": {"schemas": {}},
    }
    for step in ROUTED_STEPS:
        app = importlib.import_module(f"functions.{step}.handler").app
        part = app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
            by_alias=True, exclude_none=True, mode="json"
        )
        for path, operations in part.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    merged["components"]["securitySchemes"] = {
        "caseToken": {"type": "http", "scheme": "bearer", "description": "The case access token (patients)."},
        "staff": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Cognito ID token (radiologists and ops).",
        },
    }
    return merged


def main() -> None:
    target = Path(sys.argv[1])
    target.write_text(json.dumps(document(), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
