"""Benchmark of the validation core: bytes read, files per second, cold-start import time.

Run from the repository root: ``.venv/bin/python benchmarks/validate_bench.py``. It prints a report
and exits 0; every figure is a ratio against a baseline measured in the same run (see README.md),
and nothing here asserts on time. The material is the real-file corpus of tests/unit/corpus.py and
a synthetic CT series written from pydicom's CT_small.dcm into a temporary folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from pydicom import dcmread  # noqa: E402 - after the repository is on the path
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402
from secondopinion.models import FileKind, Verdict  # noqa: E402

from functions.validate.dicom_check import FileSource, judge  # noqa: E402
from tests.unit import corpus  # noqa: E402

GOAL_BYTES_OVER_MINIMAL = 1.5
GOAL_SPEED_OVER_HEADER_READ = 0.8
GOAL_IMPORT_SHARE = 0.60
HANDLER = "functions.validate.handler"
BASELINE_MODULES = ("pydicom", "numpy", "boto3", "aws_lambda_powertools")
WATCHED_MODULES = ("numpy", "boto3", "botocore", "aws_xray_sdk", "pydicom", "PIL", "fpdf")


@dataclass(frozen=True)
class Sample:
    """One file's share of section 1."""

    group: str
    size: int
    minimal: int
    bytes_read: int
    reads: int


class CountingSource(FileSource):
    """A local file that also counts its ranged reads (GET requests, on S3)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = 0

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        return super().read(offset, length)


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    # Quiet, as the validate function is: pydicom's warnings and logs cost time and say nothing here.
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    print(f"validate benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {sys.platform}")
    images = _corpus_images()
    with tempfile.TemporaryDirectory(prefix="validate-bench-") as folder:
        started = time.perf_counter()
        series = _write_series(Path(folder), options.slices)
        written = time.perf_counter() - started
        size = _mib(sum(path.stat().st_size for path in series))
        print(f"synthetic series: {len(series)} CT slices, {size} MiB, written in {written:.1f} s")
        groups = {"corpus": images, "series": series}
        _bytes_read(groups)
        _speed(groups, options.repeat)
    _imports(options.imports)
    return 0


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=1000, help="slices of the synthetic series (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repetitions, the best counts (3)")
    parser.add_argument("--imports", type=int, default=5, help="import-time runs, the median counts (5)")
    return parser.parse_args(argv)


def _corpus_images() -> list[Path]:
    """The corpus files judge() accepts as images, whose top-level pixel data it must reach."""
    print("corpus sources:")
    found: list[Path] = []
    for source in corpus.SOURCES:
        try:
            files = corpus.files(source)
        except corpus.NotInstalled as missing:
            print(f"  {source:13} skipped: {missing}")
            continue
        accepted = [
            file.path
            for file in files
            if judge(FileSource(file.path), FileKind.DICOM).verdict is Verdict.ACCEPTED
            and corpus.layout(file.path) is not None
        ]
        print(f"  {source:13} {len(files):4} files, {len(accepted):4} accepted images with pixel data")
        found += accepted
    return found


def _write_series(folder: Path, slices: int) -> list[Path]:
    """A CT series as a scanner exports it: CT_small's header, 512x512 16-bit slices, new UIDs."""
    template = dcmread(str(get_testdata_file("CT_small.dcm", download=False)))
    template.Rows = template.Columns = 512
    template.SeriesInstanceUID = generate_uid()
    pixels = random.Random(1000).randbytes(512 * 512 * 2)  # noqa: S311 - pixel values, not secrets
    paths = []
    for index in range(slices):
        instance = generate_uid()
        template.SOPInstanceUID = template.file_meta.MediaStorageSOPInstanceUID = instance
        template.InstanceNumber = index + 1
        template.ImagePositionPatient = [-125.0, -125.0, float(index)]
        template.SliceLocation = float(index)
        # A different first row per slice, so no two files are alike.
        template.PixelData = index.to_bytes(4, "little") + pixels[4:]
        path = folder / f"CT{index:06d}.dcm"
        template.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


# --- 1. Bytes read ------------------------------------------------------------------------------


def _bytes_read(groups: dict[str, list[Path]]) -> None:
    print("\n1. bytes read by judge(), against the object and against the bytes before the pixel data")
    samples: list[Sample] = []
    for group, paths in groups.items():
        for path in paths:
            found = corpus.layout(path)
            assert found is not None and found.pixel_value_offset is not None
            source = CountingSource(path)
            verdict = judge(source, FileKind.DICOM)
            samples.append(
                Sample(group, source.size, found.pixel_value_offset, verdict.bytes_read, source.reads)
            )
    by_group: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_group[sample.group].append(sample)
    by_group["all"] = samples
    spread = f"{'median   p90    max':^20}"
    print(f"  {'files':>8} {'n':>5}  {'read/minimal':^20}  {'read/size':^20}  {'KiB read':^15}  reads")
    print(f"  {'':>8} {'':>5}  {spread}  {spread}  {'median    max':^15}  {'median max':^10}")
    for group, chosen in by_group.items():
        over_minimal = [s.bytes_read / s.minimal for s in chosen]
        over_size = [s.bytes_read / s.size for s in chosen]
        kib = [s.bytes_read / 1024 for s in chosen]
        print(
            f"  {group:>8} {len(chosen):5}  {_spread(over_minimal)}  {_spread(over_size)}  "
            f"{statistics.median(kib):7.1f} {max(kib):7.1f}  "
            f"{statistics.median(s.reads for s in chosen):6.0f} {max(s.reads for s in chosen):3}"
        )
    for group, chosen in by_group.items():
        minimal_kib = [s.minimal / 1024 for s in chosen]
        within = sum(s.bytes_read <= GOAL_BYTES_OVER_MINIMAL * s.minimal for s in chosen)
        print(
            f"  {group:>8}: minimal bytes (the Pixel Data value's offset) median "
            f"{statistics.median(minimal_kib):.1f} KiB, max {max(minimal_kib):.1f} KiB; "
            f"{within} of {len(chosen)} files read within {GOAL_BYTES_OVER_MINIMAL}x of it"
        )
    for group, chosen in by_group.items():
        median = statistics.median(s.bytes_read / s.minimal for s in chosen)
        _goal(
            f"median bytes read <= {GOAL_BYTES_OVER_MINIMAL}x minimal ({group})",
            median,
            GOAL_BYTES_OVER_MINIMAL,
            "x",
        )


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(ordered):6.2f} {p90:6.2f} {ordered[-1]:6.2f}"


# --- 2. Files per second ------------------------------------------------------------------------


def _speed(groups: dict[str, list[Path]], repeat: int) -> None:
    print(f"\n2. files per second on local files (warm page cache, best of {repeat})")
    methods: dict[str, Callable[[Path], object]] = {
        "judge()": lambda path: judge(FileSource(path), FileKind.DICOM),
        "dcmread(stop_before_pixels=True)": lambda path: dcmread(path, stop_before_pixels=True),
        "dcmread() + PixelData": lambda path: dcmread(path).PixelData,
    }
    everything = [path for paths in groups.values() for path in paths]
    for path in everything:
        path.read_bytes()  # into the page cache, so the first method pays no disk reads
    print(f"  {'files':>8} {'n':>5}  " + "  ".join(f"{name:>32}" for name in methods))
    ratios = {}
    for group, paths in [*groups.items(), ("all", everything)]:
        best = dict.fromkeys(methods, float("inf"))
        for _ in range(repeat):
            for name, method in methods.items():  # interleaved, so drift hits every method alike
                started = time.perf_counter()
                for path in paths:
                    method(path)
                best[name] = min(best[name], time.perf_counter() - started)
        rates = {name: len(paths) / seconds for name, seconds in best.items()}
        print(f"  {group:>8} {len(paths):5}  " + "  ".join(f"{rates[name]:32,.0f}" for name in methods))
        judge_rate = rates["judge()"]
        ratios[group] = (
            judge_rate / rates["dcmread(stop_before_pixels=True)"],
            judge_rate / rates["dcmread() + PixelData"],
        )
    for group, (header_ratio, full_ratio) in ratios.items():
        print(
            f"  {group:>8}: judge() is {header_ratio:.2f}x the speed of a header-only read, "
            f"{full_ratio:.2f}x a full read"
        )
    for group, (header_ratio, _) in ratios.items():
        _goal(
            f"judge() >= {GOAL_SPEED_OVER_HEADER_READ}x stop_before_pixels ({group})",
            header_ratio,
            GOAL_SPEED_OVER_HEADER_READ,
            "x",
            higher_is_better=True,
        )


# --- 3. Cold-start import time ------------------------------------------------------------------


def _imports(runs: int) -> None:
    print(f"\n3. cold-start import time, fresh interpreter each run, median of {runs}")
    importable = [name for name in BASELINE_MODULES if _importable(name)]
    missing = sorted(set(BASELINE_MODULES) - set(importable))
    handler_ms = _import_ms([HANDLER], runs)
    baseline_ms = _import_ms(importable, runs)
    share = handler_ms / baseline_ms
    print(f"  import {HANDLER:40} {handler_ms:7.0f} ms")
    print(f"  import {', '.join(importable):40} {baseline_ms:7.0f} ms  (baseline)")
    if missing:
        print(
            f"  not installed here, so left out of the baseline: {', '.join(missing)} "
            "(a smaller baseline: the goal is harder to meet)"
        )
    loaded = _loaded_by_handler()
    eager = [name for name in WATCHED_MODULES if name in loaded]
    print(f"  of {', '.join(WATCHED_MODULES)}, the handler imports: {', '.join(eager) or 'none'}")
    print("  heaviest packages under the handler (self time, one -X importtime run):")
    for package, ms in _heaviest(HANDLER)[:8]:
        print(f"    {package:28} {ms:6.0f} ms")
    with tempfile.TemporaryDirectory(prefix="no-pyc-") as empty:
        # As in the Lambda layer, built with --no-compile: no bytecode cache, every module compiled.
        uncached = {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
        handler_cold = _import_ms([HANDLER], runs, uncached)
        baseline_cold = _import_ms(importable, runs, uncached)
    print(
        f"  without bytecode caches (as a --no-compile layer): handler {handler_cold:.0f} ms, "
        f"baseline {baseline_cold:.0f} ms, {handler_cold / baseline_cold:.0%}"
    )
    # Informational, not the goal: in Lambda (LAMBDA_TASK_ROOT set) the X-Ray SDK skips its
    # centralised-sampling connector, whose two botocore clients it builds at import elsewhere.
    # (The SDK then touches /tmp/.aws-xray/initialized, as it does in Lambda.)
    in_lambda = _import_ms([HANDLER], runs, {"LAMBDA_TASK_ROOT": str(ROOT)})
    print(
        f"  as in Lambda (LAMBDA_TASK_ROOT set, informational): handler {in_lambda:.0f} ms, "
        f"{in_lambda / baseline_ms:.0%} of the baseline"
    )
    _goal(f"handler import <= {GOAL_IMPORT_SHARE:.0%} of the baseline", share, GOAL_IMPORT_SHARE, "%")


def _python(code: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def _importable(name: str) -> bool:
    found = _python(f"import importlib.util; print(importlib.util.find_spec({name!r}) is not None)")
    return found.strip() == "True"


def _import_ms(modules: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Milliseconds to import `modules` in a fresh interpreter (startup excluded), median of runs."""
    code = (
        "import time; started = time.perf_counter(); "
        + "; ".join(f"import {name}" for name in modules)
        + "; print(1000 * (time.perf_counter() - started))"
    )
    _python(code, env)  # once unmeasured: the disk cache, as a warm Lambda host has it
    return statistics.median(float(_python(code, env).split()[-1]) for _ in range(runs))


def _loaded_by_handler() -> set[str]:
    code = f"import sys, {HANDLER}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    return set(_python(code).split())


def _heaviest(module: str) -> list[tuple[str, float]]:
    """Self import time per top-level package, from one ``-X importtime`` run."""
    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, float] = defaultdict(float)
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        totals[name.strip().split(".")[0]] += int(self_us) / 1000
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)


# --- Report helpers -----------------------------------------------------------------------------


def _goal(what: str, value: float, target: float, unit: str, *, higher_is_better: bool = False) -> None:
    met = value >= target if higher_is_better else value <= target
    shown = f"{value:.0%}" if unit == "%" else f"{value:.2f}{unit}"
    print(f"  goal: {what}: {shown} -> {'met' if met else 'NOT met'}")


def _mib(size: int) -> str:
    return f"{size / 1024**2:,.0f}"


if __name__ == "__main__":
    sys.exit(main())
