"""Ops take a case from the radiologist it was offered to, from the board, and see it reoffered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.data import get_testdata_file

from cli.client import Api, wait_for
from local.system import LocalSystem

from .pages import accessibility_problems, keep, until, watch
from .test_journey import assignees, sign_in


def submitted_case(api: Api) -> str:
    """A case with one real CT slice, submitted through the API."""
    created = api.call(
        "POST",
        "/cases",
        json={"tier": "expedited", "language": "it", "email": "p@example.org", "consent": True},
    )
    case_id, token = created["case_id"], created["access_token"]
    path = Path(get_testdata_file("CT_small.dcm"))
    (upload,) = api.call(
        "POST",
        f"/cases/{case_id}/files",
        token,
        json={"files": [{"name": path.name, "size": path.stat().st_size}]},
    )["uploads"]
    api.upload(upload, path)
    wait_for(
        lambda: api.call("GET", f"/cases/{case_id}", token)["files"][0]["verdict"] != "pending", "validation"
    )
    api.call("POST", f"/cases/{case_id}/submit", token)
    return case_id


def test_ops_reassign_a_case_from_the_board(system: LocalSystem, browser: Any, screenshots: Path) -> None:
    # Given a case offered to a radiologist, and ops on their board
    case_id = submitted_case(Api(system.api_url))
    errors: list[str] = []
    context = browser.new_context()
    ops = watch(context, errors)
    ops.goto(f"{system.portal_url}/staff/ops.html")
    sign_in(ops, "ops", system.staff_password)
    ops.wait_for_selector(f"tr[data-case='{case_id}']")
    ((first, _, _),) = until(lambda: assignees(ops, case_id), "the first offer")

    # When they reassign it with a reason
    ops.fill("#reassign-reason", "Radiologist called in sick")
    ops.click("#reassign button[type=submit]")

    # Then the first offer ends and the case is offered again, all on the audit timeline
    offers = until(lambda: (found := assignees(ops, case_id)) and len(found) > 1 and found, "the new offer")
    assert offers[0][0] == first and offers[0][1] != "offered"
    assert "reassign" in ops.inner_text("#audit")
    assert accessibility_problems(ops) == []
    keep(ops, screenshots, "11-ops-reassigned")
    assert errors == []
    context.close()
