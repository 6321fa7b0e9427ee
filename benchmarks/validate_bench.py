"""Benchmark of the validation core and the validate function: bytes read, files per second, cold start.

Run from the repository root after `make synth`: ``.venv/bin/python benchmarks/validate_bench.py``
(``make bench`` does both). It prints a report and exits 0; every figure is a ratio against a
baseline measured in the same run (see README.md, "Benchmark"), and nothing here asserts on time.
The material is the real-file corpus of tests/unit/corpus.py, a synthetic CT series written from
pydicom's CT_small.dcm into a temporary folder, and for the cold start the synthesized stack
deployed into moto's server in this process.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

import boto3  # noqa: E402 - after the repository is on the path
from pydicom import dcmread  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402
from secondopinion.models import FileKind, Verdict  # noqa: E402

from functions.validate.dicom_check import FileSource, judge  # noqa: E402
from local import cloud  # noqa: E402
from local.adapter import forget_cached_state  # noqa: E402
from tests.integration.support import (  # noqa: E402
    REGION,
    Stack,
    Uploads,
    create_case,
    ct_small,
    s3_created_event,
    sqs_event,
)
from tests.unit import corpus  # noqa: E402

GOAL_BYTES_OVER_MINIMAL = 1.5
GOAL_SPEED_OVER_HEADER_READ = 0.8
GOAL_IMPORT_SHARE = 0.60
HANDLER = "functions.validate.handler"
ASSEMBLY = ROOT / "cdk.out"
BASELINE_MODULES = ("pydicom", "numpy", "boto3", "aws_lambda_powertools")
WATCHED_MODULES = ("numpy", "boto3", "botocore", "aws_xray_sdk", "pydicom", "PIL", "fpdf")
LAYER_REQUIREMENTS = ROOT / "layers" / "requirements.txt"
LAMBDA_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
"""What the Lambda Python runtime provides beside the standard library: boto3 and its dependencies."""
OWN_DISTRIBUTION = "secondopinion"
"""This project: the functions' code and the layer's shared package."""


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
    if options.only == "cold":
        _imports(options.imports)
        return 0
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
    parser.add_argument("--imports", type=int, default=5, help="cold-start runs, the median counts (5)")
    parser.add_argument("--only", choices=["cold"], help="run section 3 (cold start) alone")
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


# --- 3. Cold start -----------------------------------------------------------------------------

COLD_START = """
import sys, time
stamps = [(time.perf_counter(), time.process_time())]
import functions.validate.handler as validate
stamps.append((time.perf_counter(), time.process_time()))
import json, types
before = set(sys.modules)
first_event, warm_event = json.loads(sys.stdin.read())
context = types.SimpleNamespace(
    function_name="validate", memory_limit_in_mb=1024, aws_request_id="cold-start",
    invoked_function_arn="arn:aws:lambda:eu-central-2:123456789012:function:validate",
    get_remaining_time_in_millis=lambda: 120_000,
)
stamps.append((time.perf_counter(), time.process_time()))
first = validate.handler(first_event, context)
stamps.append((time.perf_counter(), time.process_time()))
warm = validate.handler(warm_event, context)
stamps.append((time.perf_counter(), time.process_time()))
spans = [[1000 * (b - a) for a, b in zip(*pair)] for pair in zip(stamps, stamps[1:])]
print(json.dumps({
    "import": spans[0], "first": spans[2], "warm": spans[3], "results": [first, warm],
    "first_loaded": sorted(set(sys.modules) - before),
}))
"""
"""One cold start: the import, then a first and a second SQS event, each judging a real CT slice
whose bytes and rows the local stack holds. The second (warm) event does the same work as the first,
so first minus warm is what the first event pays for being first: lazy imports, building the AWS
clients, opening connections, building pydantic validators."""
FLOOR = """
import time
started = time.perf_counter(), time.process_time()
import boto3, pydicom
from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel
imported = time.perf_counter(), time.process_time()
Logger(service="validate"), Metrics(namespace="SecondOpinion", service="validate")
session = boto3.session.Session()
session.client("s3"), session.resource("dynamodb").Table("files")
print(*(1000 * (stamp - start) for stamp, start in zip(imported, started)),
      1000 * (time.perf_counter() - started[0]), 1000 * (time.process_time() - started[1]))
"""
"""The floor under any validate function built on these libraries: import what it cannot do without
(pydicom, boto3, Powertools' logger and metrics, pydantic) and build its S3 client and DynamoDB
table, nothing else: no settings, contracts, store or validation code, no request sent. Its imports
alone are the floor under (a), the handler's import; the whole of it the floor under (b)."""
LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(ROOT),
    "AWS_LAMBDA_FUNCTION_NAME": "validate",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
}
"""What Lambda sets in a function's environment and the libraries read (Powertools' logger adds the
trace id to every line)."""


@dataclass(frozen=True)
class Span:
    """Milliseconds of one stretch of a run: wall clock, and the CPU time of the process."""

    wall: float
    cpu: float

    def __add__(self, other: Span) -> Span:
        return Span(self.wall + other.wall, self.cpu + other.cpu)

    def __sub__(self, other: Span) -> Span:
        return Span(self.wall - other.wall, self.cpu - other.cpu)


@dataclass(frozen=True)
class ColdStart:
    """One fresh interpreter: the import, the first event, a second (warm) event."""

    imported: Span
    first: Span
    warm: Span
    first_loaded: tuple[str, ...]

    @property
    def cold(self) -> Span:
        """What a cold Lambda pays before it answers its first event, beyond a warm event's work."""
        return self.imported + self.first - self.warm


def _median(spans: Iterable[Span]) -> Span:
    kept = list(spans)
    return Span(statistics.median(s.wall for s in kept), statistics.median(s.cpu for s in kept))


def _imports(runs: int) -> None:
    print(f"\n3. cold start of the validate function, fresh interpreter each run, median of {runs}")
    importable = [name for name in BASELINE_MODULES if _importable(name)]
    missing = sorted(set(BASELINE_MODULES) - set(importable))
    if not (ASSEMBLY / "manifest.json").exists():
        raise SystemExit("cdk.out is missing: run `make synth` before the benchmark")
    hidden = _not_in_lambda(_loaded_by_handler(()))
    # The baseline imports the same pydicom: without what Lambda lacks, but with numpy, its own.
    hidden_from_baseline = tuple(name for name in hidden if name not in BASELINE_MODULES)
    baselines: list[Span] = []
    handlers: list[Span] = []
    floors: list[tuple[Span, Span]] = []
    colds: list[ColdStart] = []
    # Every module from a bytecode cache, this project's too (the Makefile's PYTHONDONTWRITEBYTECODE
    # would have it compiled on every run, while the libraries come from their caches): a cache of
    # this run's own, filled by the unmeasured first run. The uncached case is measured below.
    pycache = tempfile.TemporaryDirectory(prefix="pycache-")
    cached = {"PYTHONPYCACHEPREFIX": pycache.name}
    plain = {**_without_bytecode_switch(os.environ), **cached}
    with _local_stack() as (stack, lambda_environment):
        environment = {**_without_bytecode_switch(lambda_environment), **cached}
        for run in range(runs + 1):  # interleaved, so drift on this machine hits every figure alike
            figures = (
                _import_once(importable, plain, hidden_from_baseline),
                _import_once([HANDLER], plain, hidden),
            )
            floored = _spans(_python(_hiding(hidden) + FLOOR, environment))
            started = _cold_start(stack, environment, hidden)
            if run:  # the first run is unmeasured: the disk cache, as a warm Lambda host has it
                baselines.append(figures[0])
                handlers.append(figures[1])
                floors.append(floored)
                colds.append(started)
    baseline = _median(baselines)
    imported = _median(handlers)
    cold = _median(c.cold for c in colds)
    floor = _median(f for _, f in floors)
    print(
        f"  installed here but neither in the layer nor in the Lambda runtime, so hidden from the "
        f"function's interpreters: {', '.join(hidden) or 'none'}"
        + (f" (and from the baseline's: {', '.join(hidden_from_baseline)})" if hidden_from_baseline else "")
    )
    print(f"  {'':52} {'wall ms':>8} {'share':>6}  {'CPU ms':>7} {'share':>6}")

    def row(label: str, span: Span, note: str = "", *, share: bool = True) -> None:
        shares = (
            (f"{span.wall / baseline.wall:6.0%}", f"{span.cpu / baseline.cpu:6.0%}") if share else ("", "")
        )
        line = f"  {label:52} {span.wall:8.0f} {shares[0]:>6}  {span.cpu:7.0f} {shares[1]:>6}  {note}"
        print(line.rstrip())

    row(f"import {', '.join(importable)}", baseline, "the baseline", share=False)
    if missing:
        print(
            f"  not installed here, so left out of the baseline: {', '.join(missing)} "
            "(a smaller baseline: the goal is harder to meet)"
        )
    row(f"(a) import {HANDLER}", imported, "the goal's figure (cold import)")
    print("  as in Lambda, against the local stack (moto's server in this process):")
    row("  import", _median(c.imported for c in colds))
    row("  first event", _median(c.first for c in colds), share=False)
    row("  second event (warm)", _median(c.warm for c in colds), share=False)
    row("(b) cold start = import + first event - warm event", cold, "all a cold start costs")
    row(
        "  the floor's imports alone",
        _median(f for f, _ in floors),
        "under (a)",
    )
    row("the floor (those imports, its 2 AWS clients)", floor, "under (b), see FLOOR")
    print(
        "  (b) holds what the handler leaves to its first event: building its S3 client and DynamoDB "
        "table, the contracts' validators, the first requests' connections"
    )
    first_loaded = Counter(name.split(".")[0] for name in colds[0].first_loaded)
    shown = ", ".join(f"{package} ({count})" for package, count in sorted(first_loaded.items()))
    print(f"  modules the first event imports, by package: {shown or 'none'}")
    loaded = _loaded_by_handler(hidden)
    eager = [name for name in WATCHED_MODULES if name in loaded]
    print(f"  of {', '.join(WATCHED_MODULES)}, the handler imports: {', '.join(eager) or 'none'}")
    print("  heaviest packages under the handler (self time, one -X importtime run, bytecode cached):")
    for package, ms in _heaviest(HANDLER, hidden, plain)[:8]:
        print(f"    {package:28} {ms:6.0f} ms")
    pycache.cleanup()
    with tempfile.TemporaryDirectory(prefix="no-pyc-") as empty:
        # As in the Lambda layer, built with --no-compile: no bytecode cache, every module compiled.
        uncached = {**plain, "PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
        pairs = [
            (
                _import_once(importable, uncached, hidden_from_baseline),
                _import_once([HANDLER], uncached, hidden),
            )
            for _ in range(runs)
        ]
    baseline_cold = _median(b for b, _ in pairs)
    handler_cold = _median(h for _, h in pairs)
    print(
        "  without bytecode caches (as a --no-compile layer), import only: "
        f"handler {handler_cold.wall:.0f} ms, baseline {baseline_cold.wall:.0f} ms, "
        f"{handler_cold.wall / baseline_cold.wall:.0%}"
    )
    _goal(
        f"(a) cold import <= {GOAL_IMPORT_SHARE:.0%} of the baseline's import (wall clock)",
        imported.wall / baseline.wall,
        GOAL_IMPORT_SHARE,
        "%",
    )
    print(
        f"  beside it, (b) the whole cold start: {cold.wall / baseline.wall:.0%} of the baseline "
        f"(the floor: {floor.wall / baseline.wall:.0%})"
    )


def _cold_start(stack: Stack, environment: dict[str, str], hidden: Sequence[str]) -> ColdStart:
    """One cold start in a fresh interpreter, judging two fresh uploads of a real CT slice."""
    uploads = Uploads(stack)
    with redirect_stdout(io.StringIO()):  # the intake handler's metrics
        case_id, token = create_case()
    keys = [uploads.declare_one(case_id, token, len(ct_small()), name=f"IM{i}") for i in (1, 2)]
    events = [
        sqs_event(
            stack.upload_queue_arn,
            s3_created_event(uploads.bucket, key, len(ct_small()), None, put["ETag"]),
        )
        for key in keys
        for put in [uploads.put(key, ct_small())]
    ]
    code = _hiding(hidden) + COLD_START
    report = json.loads(_python(code, environment, stdin=json.dumps(events)).splitlines()[-1])
    verdicts = [_file(stack, key).get("verdict") for key in keys]
    if report["results"] != [{"batchItemFailures": []}] * 2 or verdicts != ["accepted"] * 2:
        raise RuntimeError(f"a cold-start run did not judge its files: {report}, {verdicts}")
    return ColdStart(
        Span(*report["import"]), Span(*report["first"]), Span(*report["warm"]), tuple(report["first_loaded"])
    )


@contextmanager
def _local_stack() -> Iterator[tuple[Stack, dict[str, str]]]:
    """moto's server on a free port with cdk.out deployed; the validate function's environment."""
    import moto.core.config as moto_config
    from moto.server import ThreadedMotoServer

    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_config.default_user_config["lambda"] = {"use_docker": False}
    saved = dict(os.environ)
    port = cloud.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        os.environ.update(cloud.aws_environment(f"http://127.0.0.1:{port}", REGION))
        assembly = cloud.Assembly.find(ASSEMBLY)
        session = boto3.session.Session(region_name=REGION)
        resources = cloud.deploy(assembly, session)
        names = cloud.function_names(assembly.template, resources)
        shared = cloud.function_environment(session, list(names.values()))
        os.environ.update(shared)  # for the intake handler that opens the cases, in this process
        (validate,) = [name for logical, name in names.items() if logical.startswith("FunctionsValidate")]
        own = session.client("lambda").get_function_configuration(FunctionName=validate)
        environment = {**os.environ, **own["Environment"]["Variables"], **LAMBDA_ENVIRONMENT}
        environment.pop("POWERTOOLS_TRACE_DISABLED")  # traced, as in AWS
        yield Stack(session, assembly.template, resources, shared), environment
    finally:
        server.stop()
        forget_cached_state()
        os.environ.clear()
        os.environ.update(saved)


def _file(stack: Stack, key: str) -> dict[str, Any]:
    _, case_id, _, file_id = key.split("/")
    return stack.item("FILES_TABLE", {"case_id": case_id, "file_id": file_id})


def _python(code: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """Run `code` in a fresh interpreter of this Python, in `env` (this process's by default)."""
    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def _importable(name: str) -> bool:
    found = _python(f"import importlib.util; print(importlib.util.find_spec({name!r}) is not None)")
    return found.strip() == "True"


def _import_once(modules: list[str], env: dict[str, str], hidden: Sequence[str] = ()) -> Span:
    """The import of `modules` in a fresh interpreter, its startup excluded."""
    code = (
        _hiding(hidden)
        + "import time; started = time.perf_counter(), time.process_time(); "
        + "; ".join(f"import {name}" for name in modules)
        + "; print(1000 * (time.perf_counter() - started[0]), 1000 * (time.process_time() - started[1]))"
    )
    return _span(_python(code, env))


def _hiding(names: Sequence[str]) -> str:
    """Code that makes `names` unimportable, as if not installed (libraries that try to import
    them go without), before anything is timed."""
    return f"import sys; sys.modules.update(dict.fromkeys({sorted(names)!r}))\n" if names else ""


def _not_in_lambda(modules: Iterable[str]) -> tuple[str, ...]:
    """The top-level modules of `modules` that come from a distribution neither the layer
    (layers/requirements.txt) nor the Lambda runtime provides: installed here for the tests, the
    local stack or the baseline, but absent where the function runs."""
    provided = {_normalised(name) for name in (*LAMBDA_RUNTIME, OWN_DISTRIBUTION)}
    for line in LAYER_REQUIREMENTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            provided.add(_normalised(line.split("==")[0]))
    distributions = importlib.metadata.packages_distributions()
    return tuple(
        sorted(
            name
            for name in set(modules)
            if name in distributions and not any(_normalised(d) in provided for d in distributions[name])
        )
    )


def _normalised(distribution: str) -> str:
    return distribution.strip().lower().replace("_", "-").replace(".", "-")


def _span(printed: str) -> Span:
    """The Span a child printed last: wall and CPU milliseconds."""
    wall, cpu = printed.split()[-2:]
    return Span(float(wall), float(cpu))


def _spans(printed: str) -> tuple[Span, Span]:
    """The two Spans a child printed last (FLOOR: its imports, then all of it)."""
    figures = [float(figure) for figure in printed.split()[-4:]]
    return Span(*figures[:2]), Span(*figures[2:])


def _without_bytecode_switch(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` without PYTHONDONTWRITEBYTECODE (which the Makefile exports)."""
    return {name: value for name, value in environment.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _loaded_by_handler(hidden: Sequence[str]) -> set[str]:
    """The top-level modules importing the handler loads in a fresh interpreter (hidden ones not)."""
    loaded = "{name.split('.')[0] for name, module in sys.modules.items() if module and name not in before}"
    code = f"import sys; before = set(sys.modules); import {HANDLER}; print(' '.join(sorted({loaded})))"
    return set(_python(_hiding(hidden) + code).split())


def _heaviest(module: str, hidden: Sequence[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Self import time per top-level package, from one ``-X importtime`` run."""
    completed = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-X", "importtime", "-c", f"{_hiding(hidden)}import {module}"],
        cwd=ROOT,
        env=env,
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
