"""Real DICOM files nobody here wrote, from the packages that ship them, and tools to cut them.

Three sources (DOMAIN.md): the test files inside the pydicom wheel, the ``pydicom-data`` package
(it installs as ``data_store``) and Debian's ``dicom3tools`` examples (a Siemens MR). Nothing here
downloads: a source that is not installed is reported as such, and the tests skip it, naming the
command that installs it. The benchmark uses the same files.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pydicom
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.uid import DeflatedExplicitVRLittleEndian

PYDICOM = "pydicom"
PYDICOM_DATA = "pydicom-data"
DICOM3TOOLS = "dicom3tools"
SOURCES = (PYDICOM, PYDICOM_DATA, DICOM3TOOLS)

INSTALL: dict[str, str] = {
    PYDICOM: ".venv/bin/pip install pydicom  (a wheel that keeps pydicom/data/test_files)",
    PYDICOM_DATA: ".venv/bin/pip install pydicom-data",
    DICOM3TOOLS: "apt-get install -y dicom3tools",
}
DCMDUMP_INSTALL = "apt-get install -y dcmtk"

_PYDICOM_FOLDERS = ("test_files", "charset_files", "palettes")
_DICOM3TOOLS_EXAMPLES = Path("/usr/share/doc/dicom3tools/examples")
_PIXEL_DATA = 0x7FE00010
_ITEM = (0xFFFE, 0xE000)


@dataclass(frozen=True)
class CorpusFile:
    """One file of the corpus: `name` is stable across machines, `path` is where it is here."""

    name: str
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size


class NotInstalled(Exception):
    """A corpus source, or the reference reader, is not on this machine."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} is not installed: {install}")


def files(source: str) -> list[CorpusFile]:
    """Every file of one source, sorted by name; raises NotInstalled when the source is missing."""
    root, found = _located(source)
    return [CorpusFile(f"{source}/{path.relative_to(root).as_posix()}", path) for path in found]


def available() -> list[CorpusFile]:
    """Every file of every source installed here."""
    everything: list[CorpusFile] = []
    for source in SOURCES:
        try:
            everything += files(source)
        except NotInstalled:
            continue
    return everything


@cache
def _located(source: str) -> tuple[Path, tuple[Path, ...]]:
    if source == PYDICOM:
        root = Path(pydicom.__file__).parent / "data"
        # Only .dcm files and the extension-less files of DICOMDIR trees; not the .dump texts,
        # the gzipped MR, the ICC profile or the READMEs.
        found = [
            path
            for folder in _PYDICOM_FOLDERS
            for path in _walk(root / folder)
            if path.suffix == ".dcm" or (not path.suffix and path.name != "README")
        ]
    elif source == PYDICOM_DATA:
        if importlib.util.find_spec("data_store") is None:
            raise NotInstalled(source, INSTALL[source])
        from data_store import DataStore  # the package pydicom-data installs

        root = DataStore().data_path
        found = [path for path in _walk(root) if path.suffix == ".dcm"]
    elif source == DICOM3TOOLS:
        root = _DICOM3TOOLS_EXAMPLES
        found = [path for path in _walk(root) if path.suffix == ".dcm"]
    else:
        raise ValueError(f"unknown corpus source {source!r}")
    if not found:
        raise NotInstalled(source, INSTALL[source])
    return root, tuple(sorted(found))


def _walk(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from (path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


# --- What a file holds, read with pydicom (independently of the validation core) ----------------


@dataclass(frozen=True)
class Layout:
    """Where a file's top-level pixel data lies, as pydicom parses the whole file."""

    frames: int
    encapsulated: bool
    pixel_value_offset: int | None
    """Where the Pixel Data value starts: the fewest bytes to read to reach the pixels."""
    complete_cuts: frozenset[int]
    """Cuts that leave a complete object: the ends of the elements after the pixel data."""
    fragment_starts: tuple[int, ...]
    """Encapsulated pixel data: where each item (offset table, fragments) starts."""


def layout(path: Path) -> Layout | None:
    """The file's layout, or None when pydicom cannot read it, it has no pixel data or it is deflated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Values above 1 KiB are not read, only skipped: value_tell and length stay known.
            dataset = dcmread(path, defer_size=1024)
        except Exception:  # pydicom raises many types on files it cannot read
            return None
        syntax = dataset.file_meta.get("TransferSyntaxUID")
        if syntax is None or syntax == DeflatedExplicitVRLittleEndian or _PIXEL_DATA not in dataset:
            return None  # deflated: offsets are in the inflated stream
        pixel = dataset.get_item(_PIXEL_DATA, keep_deferred=True)
        if not isinstance(pixel, RawDataElement):
            return None
        try:
            frames = int(dataset.get("NumberOfFrames") or 1)
        except (TypeError, ValueError):  # badVR.dcm and the like: a malformed count is one frame
            frames = 1
        little_endian = syntax.is_little_endian
    encapsulated = pixel.length == 0xFFFFFFFF
    if encapsulated:
        starts = tuple(_fragment_starts(path, pixel.value_tell, little_endian))
        pixel_end = starts[-1] + 8 if starts else pixel.value_tell
    else:
        starts = ()
        pixel_end = pixel.value_tell + pixel.length
    after = [
        item.value_tell + item.length
        for tag in dataset.keys()  # noqa: SIM118 - iterating a Dataset reads and converts every value
        if tag > _PIXEL_DATA
        and isinstance(item := dataset.get_item(tag, keep_deferred=True), RawDataElement)
        and item.length != 0xFFFFFFFF
    ]
    cuts = frozenset([pixel_end, *after]) if after else frozenset()
    return Layout(frames, encapsulated, pixel.value_tell, cuts, starts)


def _fragment_starts(path: Path, value_offset: int, little_endian: bool) -> Iterator[int]:
    """The items of encapsulated pixel data, then its sequence delimiter (the last start)."""
    item = struct.Struct("<HHL" if little_endian else ">HHL")
    with path.open("rb") as file:
        position = value_offset
        while True:
            file.seek(position)
            raw = file.read(item.size)
            if len(raw) < item.size:
                return
            group, element, length = item.unpack(raw)
            yield position
            if (group, element) != _ITEM:
                return
            position += item.size + length


# --- Cutting and reading with the reference reader ----------------------------------------------


class CutSource:
    """The first `size` bytes of a file, as a ByteSource: a truncated upload without a copy."""

    def __init__(self, path: Path, size: int) -> None:
        self._path = path
        self._size = size
        self.bytes_read = 0

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self._size - offset)
        if length <= 0:
            return b""
        with self._path.open("rb") as file:
            file.seek(offset)
            data = file.read(length)
        self.bytes_read += len(data)
        return data


def cut_points(size: int, *, count: int, extra: Iterable[int] = (), avoid: Iterable[int] = ()) -> list[int]:
    """`count` cuts spread over a file after its "DICM" magic, its last bytes and `extra` ones."""
    spread = {132 + (size - 132) * k // (count + 1) for k in range(1, count + 1)}
    near_end = {size - 1, size - 2, size - 8, size - 9, size - 100}
    avoided = set(avoid)
    points = spread | near_end | set(extra)
    return sorted(point for point in points if 132 <= point < size and point not in avoided)


DCMDUMP_STRICT = ("-q", "+fo", "-E", "-Ep", "+M")
"""dcmdump, strict: file format only (a bare data set fails, as uploads need the DICOM file header),
stop on errors instead of printing what it could, handle parse errors by stopping instead of
recovering, and load every value so the pixel data is read to its end. -q: no output, exit status
only (0 read, non-zero damaged or cut off)."""


def dcmdump() -> str:
    """The path of dcmtk's dcmdump; raises NotInstalled when it is missing."""
    found = shutil.which("dcmdump")
    if found is None:
        raise NotInstalled("dcmtk's dcmdump", DCMDUMP_INSTALL)
    return found


def dcmdump_reads(path: Path) -> bool:
    """Whether dcmdump, strict, reads the whole file without an error."""
    completed = subprocess.run(
        [dcmdump(), *DCMDUMP_STRICT, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    return completed.returncode == 0
