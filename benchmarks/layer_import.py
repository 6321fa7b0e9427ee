"""Benchmark: what the layer's bytecode saves at every Lambda cold start.

Run from the repository root after `make layer` (``make bench`` runs it after the validate
benchmark): ``.venv/bin/python benchmarks/layer_import.py``. Lambda mounts a layer read-only under
/opt, so a module without bytecode is compiled from source on every cold start and the result
thrown away. The Makefile therefore compiles the layer with Lambda's Python (3.13) when it finds
it. This script times fresh interpreters of that Python importing the layer's libraries twice, in
the same run, interleaved: from the layer as built (with its bytecode) and from a copy without any
(as the layer was before, and as it ships when no Python 3.13 was found at build time).
It prints the figures and exits 0; it asserts nothing.

What it imports is what the functions import from the layer and this machine can load: the
layer's wheels are built for arm64, so packages with compiled parts for arm64 (pydantic_core,
Pillow) cannot be imported on another architecture and are left out on it, and boto3 is Lambda's
own (not in the layer). The saving on the rest of the layer comes on top.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "build" / "layer" / "python"
ARM64_ONLY = ("PIL", "pillow.libs", "pydantic_core")
"""Top-level entries with arm64 machine code: importable only on arm64."""
IMPORT = """
import time
started = time.perf_counter()
import pydicom
from aws_lambda_powertools import Logger, Metrics, Tracer
import fpdf
print((time.perf_counter() - started) * 1000)
"""
"""What the validate and report functions import from the layer, less what needs arm64 code
(pydantic, whose core is compiled) on another machine."""


def lambda_python() -> str | None:
    """Lambda's Python (3.13): LAMBDA_PYTHON, or python3.13 on the PATH (through pyenv too)."""
    if os.environ.get("LAMBDA_PYTHON"):
        return os.environ["LAMBDA_PYTHON"]
    found_on_path = shutil.which("python3.13")
    if found_on_path is None:
        return None
    ask = [found_on_path, "-c", "import sys; print(sys.executable)"]
    found = subprocess.run(  # noqa: S603 - the interpreter the build uses, our own code
        ask, env={**os.environ, "PYENV_VERSION": "3.13"}, capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or None


def view(source: Path, into: Path, *, bytecode: bool) -> Path:
    """The layer as this machine can import it: arm64-only entries left out unless on arm64, and
    without bytecode when `bytecode` is False (a copy; with bytecode, links to the built files)."""
    into.mkdir(parents=True)
    on_arm = platform.machine() in ("aarch64", "arm64")
    for entry in source.iterdir():
        if not on_arm and entry.name in ARM64_ONLY:
            continue
        if bytecode:
            (into / entry.name).symlink_to(entry)
        elif entry.is_dir():
            shutil.copytree(entry, into / entry.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(entry, into / entry.name)
    return into


def timed_import(python: str, path: Path) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [python, "-c", IMPORT]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per side (7)")
    options = parser.parse_args(argv)
    python = lambda_python()
    print("layer bytecode: the layer's libraries imported by fresh interpreters of Lambda's Python")
    if python is None:
        print("  no Python 3.13 here (set LAMBDA_PYTHON): nothing measured, and the layer ships as source")
        return 0
    asked = subprocess.run([python, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    version = asked.stdout.strip()
    compiled = sorted(LAYER.rglob("*.cpython-313.pyc"))
    print(f"  {version}, {platform.machine()}; the built layer holds {len(compiled)} bytecode files")
    if not compiled:
        print("  the layer has no bytecode for 3.13: run `make layer` with Python 3.13 on the PATH")
        return 0
    with tempfile.TemporaryDirectory(prefix="layer-") as folder:
        built = view(LAYER, Path(folder) / "built", bytecode=True)
        source = view(LAYER, Path(folder) / "source", bytecode=False)
        timed_import(python, built), timed_import(python, source)  # warm the page cache, unmeasured
        with_bytecode, without = [], []
        for _ in range(options.runs):
            with_bytecode.append(timed_import(python, built))
            without.append(timed_import(python, source))
    fast, slow = statistics.median(with_bytecode), statistics.median(without)
    print(f"  without bytecode (compiled at every cold start): {slow:7.0f} ms  (median of {options.runs})")
    print(f"  with the layer's bytecode:                       {fast:7.0f} ms  {fast / slow:5.0%} of it")
    print(f"  saved at each cold start of a function importing these: {slow - fast:.0f} ms")
    if platform.machine() not in ("aarch64", "arm64"):
        print(f"  left out here (arm64 code): {', '.join(ARM64_ONLY)}; boto3 is Lambda's own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
