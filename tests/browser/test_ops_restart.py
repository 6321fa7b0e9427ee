"""Ops restart a failed case from the board, once its cause is fixed, and see it offered again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli.client import Api, wait_for
from local import tokens
from local.faults import Fault, FaultKind
from local.system import LocalSystem

from .pages import accessibility_problems, keep, until, watch
from .test_journey import assignees, sign_in
from .test_ops_reassign import submitted_case


def test_ops_restart_a_failed_case_from_the_board(
    system: LocalSystem, browser: Any, screenshots: Path
) -> None:
    # Given a case whose first Assign fails with a bug, so that its review stops in "failed"
    api = Api(system.api_url)
    system.faults.inject(Fault("assign", FaultKind.EXCEPTION, trigger="assign"))
    ops_token = tokens.mint(tokens.ops_claims(), tokens.signing_key(system.state_dir))
    try:
        case_id = submitted_case(api)
        wait_for(lambda: api.call("GET", f"/ops/cases/{case_id}", ops_token)["status"] == "failed", "failure")
    finally:
        system.faults.clear()  # the bug is fixed
    errors: list[str] = []
    context = browser.new_context()
    ops = watch(context, errors)
    ops.goto(f"{system.portal_url}/staff/ops.html")
    sign_in(ops, "ops", system.staff_password)
    row = f"tr[data-case='{case_id}']"
    ops.wait_for_selector(row)
    assert "failed" in ops.inner_text(row)
    ops.click(f"{row} button")
    until(lambda: ops.is_visible("#restart button"), "the restart button")
    assert not ops.is_visible("#reassign")
    assert "step_failed" in ops.inner_text(row)

    # When they restart its review
    ops.click("#restart button")

    # Then the notice names the new run, the case is in review again and offered to a radiologist
    until(lambda: "run 1" in ops.inner_text("#notice"), "the notice")
    offers = until(lambda: assignees(ops, case_id) or None, "the new offer", 30)
    assert offers[0][1] == "offered"
    assert "review_restarted" in ops.inner_text("#audit")
    assert not ops.is_visible("#restart")
    assert accessibility_problems(ops) == []
    keep(ops, screenshots, "12-ops-restarted")
    assert errors == []
    context.close()
