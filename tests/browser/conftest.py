"""The pages in a real browser: Debian's Chromium driven by Playwright against the local stack.

The stack runs with an hour passing in a minute, slow enough for a person-paced browser session
(a 4 min acceptance window, 6 min heartbeats) and fast enough for the whole journey in a test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.system import LocalSystem

TIME_SCALE = 60.0
MULTIPART_BYTES = 5 * 1024**2
CHROMIUM = shutil.which("chromium")
"""Debian's Chromium on the PATH (Playwright cannot download its own browser here)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path("out/screenshots")
AXE = Path("node_modules/axe-core/axe.min.js")


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    if not (Path("cdk.out") / "manifest.json").exists() or not Path("build/web/index.html").exists():
        pytest.fail("cdk.out or build/web is missing: run `make synth` (make test does) first")
    running = LocalSystem(
        assembly_dir=Path("cdk.out"),
        port=0,
        portal_port=0,
        time_scale=TIME_SCALE,
        state_dir=tmp_path_factory.mktemp("local-state"),
        # S3's smallest part: files above 5 MiB go up in parts, so a test file of 11 MiB takes three
        environment={
            "MULTIPART_THRESHOLD_BYTES": str(MULTIPART_BYTES),
            "MIN_PART_BYTES": str(MULTIPART_BYTES),
        },
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is missing: `apt-get install chromium` (make test-tools does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def screenshots() -> Path:
    """Where each page's screenshot is kept, as a test artifact (out/ is ignored by git)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
