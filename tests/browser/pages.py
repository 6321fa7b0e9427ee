"""What the browser tests do to pages: accessibility checks, screenshots, waiting on the page."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import AXE

SERIOUS = {"serious", "critical"}


AXE_PATH = "/__test__/axe.min.js"


def watch(context: Any, errors: list[str]) -> Any:
    """A page of `context` whose script errors and CSP refusals land in `errors`. axe-core is
    served from the page's own origin, so the pages' CSP (script-src 'self') stays enforced."""
    context.route(
        f"**{AXE_PATH}", lambda route: route.fulfill(body=AXE.read_text(), content_type="text/javascript")
    )
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "Content Security Policy" in m.text
            and errors.append(f"{page.url}: {m.text}")
        ),
    )
    return page


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    page.add_script_tag(url=AXE_PATH)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def keep(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def until(check: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


CANVAS_PAINTED = """() => [...document.querySelectorAll('#layerGroup0 canvas')].some((canvas) => {
  const context = canvas.getContext('2d');
  if (!context || !canvas.width || !canvas.height) return false;
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] || pixels[i + 1] || pixels[i + 2]) return true;
  return false;
})"""
"""True once the viewer has drawn something that is not black."""
