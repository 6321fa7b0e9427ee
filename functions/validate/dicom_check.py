"""The validation core: is an uploaded object a complete DICOM image or report we can use?

One implementation serves the validate Lambda (reading S3 with ranged GETs) and the CLI (local
files). It reads as little as it can: a head that grows until the pixel data element is reached,
then a small read of the tail to prove that the pixel data (and whatever trails it) is all there,
because pydicom never raises on a truncated file. Objects without pixel data (reports) and deflated
objects are read whole. It never parses with ``force=True``: that turns any JPEG, PDF or HTML page
into a "dataset".
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import warnings
from dataclasses import dataclass
from enum import Enum
from io import BytesIO
from os import PathLike
from typing import Protocol

from pydicom import config, dcmread
from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filereader import data_element_offset_to_value, read_dataset, read_partial
from pydicom.hooks import hooks
from pydicom.hooks import raw_element_value as default_raw_element_value
from pydicom.hooks import raw_element_vr as default_raw_element_vr
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    EncapsulatedPDFStorage,
    MediaStorageDirectoryStorage,
    SecondaryCaptureImageStorage,
)
from pydicom.values import convert_value
from secondopinion.models import ContentKind, DicomFacts, FileKind, FileVerdict, Verdict

HEAD_BYTES = 1536
"""The first read: the median header ends at 1.6 KiB (DOMAIN.md). Larger heads are read by
growing HEAD_GROWTH times, searched for the pixel data tag's bytes before anything is parsed."""
HEAD_GROWTH = 1.5
"""How much larger each further read of the head makes it."""
SCAN_BYTES = 64 * 1024
"""Up to here the head grows by a byte search alone; 98 % of headers end within it (DOMAIN.md)."""
_LE_TAG_ENDS = frozenset({b"\x08\x00", b"\x09\x00", b"\x10\x00"})
_BE_TAG_ENDS = frozenset({b"\xe0\x00\x08", b"\xe0\x00\x09", b"\xe0\x00\x10"})
"""(7FE0,0008/0009/0010) in either byte order, after the 7F: where the pixel data element may start."""
TRAILER_BYTES = 16 * 1024
"""The most we accept (and read) after the pixel data: padding, digital signatures."""
MAX_PARSE_BYTES = 64 * 1024**2
"""The most we read to reach the pixel data, or to parse an object read whole."""
PDF_EOF_WINDOW = 1024
"""A PDF's %%EOF marker must lie within this many bytes of its end."""

# Stable reason codes: the API, the store and the metrics use them; never match on messages.
NOT_DICOM = "not_dicom"
TRUNCATED = "truncated"
CORRUPT_HEADER = "corrupt_header"
UNSUPPORTED_OBJECT = "unsupported_object"
EMPTY = "empty"
TOO_LARGE = "too_large"
MEDIA_DIRECTORY = "media_directory"

_UNSUPPORTED_DOCUMENT = "unsupported_document"
"""A message key, not a reason: a declared report that is neither PDF nor DICOM."""

PATIENT_MESSAGES: dict[str, str] = {
    NOT_DICOM: (
        "This file is not an original scan image. A photo, screenshot or PDF of your images is not "
        "enough for a radiologist to read them. Please ask the imaging centre that did your scan for "
        "a copy of the original images in DICOM format: they usually give it on a CD or USB stick, or "
        "as a download from their patient portal. Then upload the files from that copy."
    ),
    TRUNCATED: (
        "This file is incomplete: part of it is missing, probably because a copy or the upload was "
        "interrupted. Please upload it again from the original CD, USB stick or download."
    ),
    CORRUPT_HEADER: (
        "This file looks like a scan image but it is damaged, so we cannot read it. Please upload it "
        "again from the original CD, USB stick or download. If that does not help, ask the imaging "
        "centre for a new copy."
    ),
    UNSUPPORTED_OBJECT: (
        "This file is a kind of medical record we cannot use for a second opinion (for example "
        "treatment planning, heart tracing or viewer settings). You do not need to upload it: the "
        "scan images and the written report are enough."
    ),
    _UNSUPPORTED_DOCUMENT: (
        "We cannot open this file as a report. Please upload your report as a PDF file, or upload "
        "the scan files (DICOM) that the imaging centre gave you."
    ),
    EMPTY: "This file is empty. Please upload it again from the original source.",
    TOO_LARGE: (
        "This file is larger than we can accept. Please check that you chose the right file; if you "
        "did, contact us and we will help you send it."
    ),
    MEDIA_DIRECTORY: (
        "This is the table of contents of an imaging disc. It is not needed, so we skipped it; nothing to do."
    ),
}

_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})  # Pixel, Float and DoubleFloat Pixel Data
_UNDEFINED_LENGTH = 0xFFFFFFFF
_TAG_MATCH_BYTES = 4  # a pixel data tag's bytes, as _has_pixel_tag matches them
_LONGEST_ELEMENT_HEADER = 12  # explicit VR with a 4-byte length (OB, OW, SQ, UN ...)
_META_START = 132  # after the preamble and "DICM"
_SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
_SECONDARY_CAPTURE_FAMILY = SecondaryCaptureImageStorage + "."  # the multi-frame SC classes, 7.1 to 7.4

_DIAGNOSTIC_IMAGES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.1",  # CR
        "1.2.840.10008.5.1.4.1.1.1.1",  # DX for presentation
        "1.2.840.10008.5.1.4.1.1.1.1.1",  # DX for processing
        "1.2.840.10008.5.1.4.1.1.1.2",  # MG for presentation
        "1.2.840.10008.5.1.4.1.1.1.2.1",  # MG for processing
        "1.2.840.10008.5.1.4.1.1.1.3",  # IO for presentation
        "1.2.840.10008.5.1.4.1.1.1.3.1",  # IO for processing
        "1.2.840.10008.5.1.4.1.1.2",  # CT
        "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
        "1.2.840.10008.5.1.4.1.1.2.2",  # Legacy Converted Enhanced CT
        "1.2.840.10008.5.1.4.1.1.3",  # US multi-frame (retired, still on old discs)
        "1.2.840.10008.5.1.4.1.1.3.1",  # US multi-frame
        "1.2.840.10008.5.1.4.1.1.4",  # MR
        "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
        "1.2.840.10008.5.1.4.1.1.4.3",  # Enhanced MR Color
        "1.2.840.10008.5.1.4.1.1.4.4",  # Legacy Converted Enhanced MR
        "1.2.840.10008.5.1.4.1.1.5",  # NM (retired)
        "1.2.840.10008.5.1.4.1.1.6",  # US (retired)
        "1.2.840.10008.5.1.4.1.1.6.1",  # US
        "1.2.840.10008.5.1.4.1.1.6.2",  # Enhanced US Volume
        "1.2.840.10008.5.1.4.1.1.12.1",  # XA
        "1.2.840.10008.5.1.4.1.1.12.1.1",  # Enhanced XA
        "1.2.840.10008.5.1.4.1.1.12.2",  # RF
        "1.2.840.10008.5.1.4.1.1.12.2.1",  # Enhanced XRF
        "1.2.840.10008.5.1.4.1.1.12.3",  # XA bi-plane (retired)
        "1.2.840.10008.5.1.4.1.1.13.1.1",  # X-Ray 3D Angiographic
        "1.2.840.10008.5.1.4.1.1.13.1.2",  # X-Ray 3D Craniofacial (dental cone beam)
        "1.2.840.10008.5.1.4.1.1.13.1.3",  # Breast Tomosynthesis
        "1.2.840.10008.5.1.4.1.1.13.1.4",  # Breast Projection X-Ray for presentation
        "1.2.840.10008.5.1.4.1.1.13.1.5",  # Breast Projection X-Ray for processing
        "1.2.840.10008.5.1.4.1.1.20",  # NM
        "1.2.840.10008.5.1.4.1.1.128",  # PET
        "1.2.840.10008.5.1.4.1.1.128.1",  # Legacy Converted Enhanced PET
        "1.2.840.10008.5.1.4.1.1.130",  # Enhanced PET
    }
)


class ByteSource(Protocol):
    """An object's bytes, read by range: an S3 object, a local file, bytes in memory."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes:
        """Return `length` bytes from `offset`; fewer at the end of the object."""
        ...


_pread = getattr(os, "pread", None)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


class FileSource:
    """A local file as a ByteSource; counts the bytes it returned."""

    def __init__(self, path: str | PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._size = os.stat(self._path).st_size
        self.bytes_read = 0

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        if _pread is None:  # not on every platform (Windows)
            with open(self._path, "rb") as file:
                file.seek(offset)
                data = file.read(length)
        else:
            descriptor = os.open(self._path, _READ_FLAGS)
            try:
                data = _pread(descriptor, length, offset)
            finally:
                os.close(descriptor)
        self.bytes_read += len(data)
        return data


class BytesSource:
    """Bytes in memory as a ByteSource (tests, small objects); counts the bytes it returned."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self.bytes_read = 0

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        data = self._data[offset : offset + max(length, 0)]
        self.bytes_read += len(data)
        return data


def zeroed_preamble(head: bytes) -> bytes:
    """Return the first 132 bytes of a DICOM file with its 128-byte preamble zeroed.

    The preamble is free for any use, so it can hold an executable's header and make the file a
    polyglot (CVE-2019-11687); objects are stored for radiologists with these 132 bytes instead.
    """
    if len(head) < 132 or head[128:132] != b"DICM":
        raise ValueError("not the head of a DICOM file")
    return bytes(128) + b"DICM"


def judge(
    source: ByteSource,
    declared: FileKind,
    *,
    max_size: int = 20 * 1024**3,
    identity_salt: bytes | None = None,
) -> FileVerdict:
    """Judge one uploaded object, reading as few of its bytes as needed.

    Never raises on the object's content (errors reading the source itself propagate). The verdict's
    `bytes_read` is the sum of the ranged reads made from `source`. With `identity_salt` (the case's
    own), the facts carry `patient_key`: a keyed digest of the patient's identifying elements, so
    files of different people in one case can be told apart without storing who they are.
    """
    reader = _Reader(source)
    # pydicom warns about odd values by quoting them; nothing from a file may reach a log.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            verdict = _judge(reader, declared, max_size, identity_salt)
        except _Rejection as rejection:
            verdict = FileVerdict(
                verdict=Verdict.REJECTED,
                content=rejection.content,
                reason=rejection.reason,
                message=PATIENT_MESSAGES[rejection.message_key or rejection.reason],
                facts=rejection.facts or DicomFacts(),
            )
    return verdict.model_copy(update={"bytes_read": reader.bytes_read})


class _Rejection(Exception):
    """Why an object cannot be used: raised where that is found, turned into a verdict once."""

    def __init__(
        self,
        reason: str,
        *,
        message_key: str | None = None,
        content: ContentKind | None = None,
        facts: DicomFacts | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message_key = message_key
        self.content = content
        self.facts = facts


class _Family(Enum):
    """What a SOP class says an object is."""

    IMAGE = "image"
    SECONDARY_CAPTURE = "secondary_capture"
    PDF = "pdf"
    STRUCTURED_REPORT = "structured_report"
    DIRECTORY = "directory"
    OTHER = "other"


_PIXEL_FAMILIES = frozenset({_Family.IMAGE, _Family.SECONDARY_CAPTURE})
_REPORT_CONTENT = {_Family.PDF: "EncapsulatedDocument", _Family.STRUCTURED_REPORT: "ContentSequence"}


class _Reader:
    """Fetches byte ranges from a source, keeping the head and counting every byte fetched.

    The head is kept as the pieces fetched, joined only when it is parsed: a head grown by many
    reads is not copied whole after each of them (a 300 KiB header took 15 reads).
    """

    def __init__(self, source: ByteSource) -> None:
        self.size = source.size
        self.bytes_read = 0
        self.held = 0
        """How many of the object's first bytes are held."""
        self._source = source
        self._pieces: list[bytes] = []

    def grow(self, length: int) -> None:
        """Hold the object's first `length` bytes (fewer at its end), fetching those not held yet."""
        if length > self.held:
            piece = self._fetch(self.held, length - self.held)
            self._pieces.append(piece)
            self.held += len(piece)

    def head(self, length: int) -> bytes:
        """The object's first `length` bytes (fewer at its end), fetching only those not held yet."""
        self.grow(length)
        if len(self._pieces) > 1:
            self._pieces = [b"".join(self._pieces)]
        whole = self._pieces[0] if self._pieces else b""
        return whole if length >= len(whole) else whole[:length]

    def since(self, offset: int) -> bytes:
        """The bytes held from `offset` on, joining only the pieces that hold them."""
        start = self.held
        for count, piece in enumerate(reversed(self._pieces), 1):
            start -= len(piece)
            if start <= offset:
                return b"".join(self._pieces[-count:])[offset - start :]
        return b""

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes from `offset`, fetching only those beyond the head held already."""
        held = self.held
        if offset >= held:
            return self._fetch(offset, length)
        head = self.head(held)
        if offset + length <= held:
            return head[offset : offset + length]
        return head[offset:] + self._fetch(held, offset + length - held)

    def _fetch(self, offset: int, length: int) -> bytes:
        data = self._source.read(offset, length) if length > 0 else b""
        self.bytes_read += len(data)
        if len(data) < min(length, self.size - offset):
            raise _Rejection(TRUNCATED)  # the object ends before the size it was announced with
        return data


@dataclass(frozen=True)
class _PixelElement:
    """Where the top-level pixel data element's value starts, and its declared length."""

    value_offset: int
    length: int
    implicit_vr: bool


@dataclass(frozen=True)
class _Header:
    dataset: Dataset
    pixel: _PixelElement | None


class _Unreadable(Exception):
    """pydicom could not parse the bytes; `at_end` when it failed for want of more of them."""

    def __init__(self, at_end: bool) -> None:
        super().__init__("unreadable")
        self.at_end = at_end


def _judge(reader: _Reader, declared: FileKind, max_size: int, salt: bytes | None) -> FileVerdict:
    if reader.size == 0:
        raise _Rejection(EMPTY)
    if reader.size > max_size:
        raise _Rejection(TOO_LARGE)
    head = reader.head(min(HEAD_BYTES, reader.size))
    if head[128:132] != b"DICM":
        return _judge_not_dicom(reader, head, declared)
    return _judge_dicom(reader, head, salt)


def _judge_not_dicom(reader: _Reader, head: bytes, declared: FileKind) -> FileVerdict:
    if declared is FileKind.DICOM:
        raise _Rejection(NOT_DICOM)
    if b"%PDF-" not in head[:PDF_EOF_WINDOW]:
        raise _Rejection(UNSUPPORTED_OBJECT, message_key=_UNSUPPORTED_DOCUMENT)
    start = max(0, reader.size - PDF_EOF_WINDOW)
    if b"%%EOF" not in reader.read(start, reader.size - start):
        raise _Rejection(TRUNCATED)
    content = ContentKind.REPORT if declared is FileKind.REPORT else ContentKind.DOCUMENT
    return FileVerdict(verdict=Verdict.ACCEPTED, content=content)


def _judge_dicom(reader: _Reader, head: bytes, salt: bytes | None) -> FileVerdict:
    _check_file_meta_length(head, reader.size)
    head, header = _read_header(reader)
    dataset = header.dataset
    sop_class = _sop_class(dataset)
    if sop_class is None:
        raise _Rejection(CORRUPT_HEADER)
    family = _family(sop_class)
    facts = _facts(dataset, sop_class, salt)
    if family is _Family.DIRECTORY:
        return FileVerdict(
            verdict=Verdict.SKIPPED,
            content=ContentKind.OTHER,
            reason=MEDIA_DIRECTORY,
            message=PATIENT_MESSAGES[MEDIA_DIRECTORY],
            facts=facts,
        )
    if family is _Family.OTHER:
        raise _Rejection(UNSUPPORTED_OBJECT, content=ContentKind.OTHER, facts=facts)
    if family in _REPORT_CONTENT:
        report = _check_report(reader, head, _REPORT_CONTENT[family])
        return FileVerdict(
            verdict=Verdict.ACCEPTED, content=ContentKind.REPORT, facts=_facts(report, sop_class, salt)
        )
    if facts.transfer_syntax == DeflatedExplicitVRLittleEndian:
        _check_deflated_image(head)  # the header loop read it whole: deflate hides all offsets
    elif header.pixel is None:
        raise _Rejection(TRUNCATED)  # an image that ends before its pixel data
    else:
        _check_pixels(reader, header.pixel, little_endian=dataset.original_encoding[1] is not False)
    content = ContentKind.SECONDARY if _is_secondary(family, dataset) else ContentKind.IMAGE
    return FileVerdict(verdict=Verdict.ACCEPTED, content=content, facts=facts)


def _check_file_meta_length(head: bytes, size: int) -> None:
    """An object cut inside its file meta group would be judged on a cut-off SOP class UID."""
    if len(head) < _META_START + 12:
        raise _Rejection(TRUNCATED)
    tag, vr, value_length, group_length = struct.unpack_from("<L2sHL", head, _META_START)
    if (tag, vr, value_length) == (0x00000002, b"UL", 4) and size < _META_START + 12 + group_length:
        raise _Rejection(TRUNCATED)


def _read_header(reader: _Reader) -> tuple[bytes, _Header]:
    """Parse the head, growing it until it holds what the object's kind needs, or all of it.

    An image needs its header up to the pixel data element; anything else is judged on the
    header (directories, unsupported objects) or read whole afterwards (reports).
    """
    header: _Header | None = None
    at_end = False
    search_from = _META_START
    search_limit = min(reader.size, SCAN_BYTES)
    while True:
        if reader.held < search_limit and not _has_pixel_tag(reader.since(search_from), 0):
            search_from = max(search_from, reader.held - _TAG_MATCH_BYTES + 1)  # searched up to here
            reader.grow(_grown(reader.held, reader.size))  # cheaper than a parse that must fail
            continue
        head = reader.head(reader.held)
        try:
            header = _parse_header(head)
        except _Unreadable as unreadable:
            header, at_end = None, unreadable.at_end
            # Cut inside a long sequence, maybe: the opening elements may tell it is no image.
            opening = _parse_opening(head)
            if opening is not None and not _needs_pixels(opening):
                return head, _Header(opening, None)
        else:
            if header.pixel is not None or not _needs_pixels(header.dataset):
                return head, header
            # The parse went past every pixel tag found so far (one in an icon sequence, say):
            # parse again only when new bytes bring another, as a parse of more bytes takes the
            # same path through these. Not when deflated: there the tags are not in the bytes.
            if _text(_file_meta(header.dataset), "TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
                search_from = max(_META_START, len(head) - _LONGEST_ELEMENT_HEADER)
                search_limit = min(reader.size, MAX_PARSE_BYTES)
        if len(head) >= reader.size:
            break
        if len(head) >= MAX_PARSE_BYTES:
            raise _Rejection(CORRUPT_HEADER)
        reader.grow(_grown(len(head), reader.size))
    if header is None:
        raise _Rejection(TRUNCATED if at_end else CORRUPT_HEADER)
    return head, header


def _grown(length: int, size: int) -> int:
    """The next length of the head: HEAD_GROWTH times longer, stopping once at SCAN_BYTES."""
    grown = max(int(length * HEAD_GROWTH), length + 1)
    if length < SCAN_BYTES:
        grown = min(grown, SCAN_BYTES)
    return min(grown, size)


def _has_pixel_tag(buf: bytes, start: int = _META_START) -> bool:
    """Whether `buf` holds a pixel data tag from `start` on, in either byte order.

    Each such tag holds the byte 7F: second in E0 7F xx 00 (little endian), first in 7F E0 00 xx
    (big endian). A search for that one byte is a memchr, several times faster than a search for
    a longer pattern; each hit is then checked both ways.
    """
    find = buf.find
    at = find(0x7F, start)
    while at >= 0:
        if buf[at + 1 : at + 4] in _BE_TAG_ENDS or (
            at > start and buf[at - 1] == 0xE0 and buf[at + 1 : at + 3] in _LE_TAG_ENDS
        ):
            return True
        at = find(0x7F, at + 1)
    return False


def _parse_header(buf: bytes) -> _Header:
    """Parse the header as ``dcmread(stop_before_pixels=True)`` does, noting the pixel element."""
    found: list[tuple[str | None, int]] = []

    def at_pixel_data(tag: BaseTag, vr: str | None, length: int) -> bool:
        if tag in _PIXEL_TAGS:
            found.append((vr, length))
            return True
        return False

    stream = BytesIO(buf)
    try:
        dataset = read_partial(stream, stop_when=at_pixel_data)
    except Exception as error:  # pydicom raises many types on malformed or cut-off bytes
        raise _Unreadable(at_end=stream.tell() >= len(buf)) from error
    if not found:
        return _Header(dataset, None)
    # pydicom rewound to the start of the element; its VR is None when the element is implicit VR.
    vr, length = found[-1]
    implicit = vr is None
    value_offset = stream.tell() + data_element_offset_to_value(implicit, vr)
    return _Header(dataset, _PixelElement(value_offset, length, implicit))


def _parse_opening(buf: bytes) -> Dataset | None:
    """The file meta and group 0008 (SOP class, modality), or None when even those do not parse."""
    try:
        return read_partial(BytesIO(buf), stop_when=lambda tag, vr, length: tag > 0x0008FFFF)
    except Exception:  # pydicom raises many types on malformed or cut-off bytes
        return None


def _needs_pixels(dataset: Dataset) -> bool:
    sop_class = _sop_class(dataset)
    return sop_class is None or _family(sop_class) in _PIXEL_FAMILIES


def _check_pixels(reader: _Reader, pixel: _PixelElement, *, little_endian: bool) -> None:
    """Prove the pixel data and the elements after it end exactly where the object ends."""
    size = reader.size
    if pixel.length != _UNDEFINED_LENGTH:
        end = pixel.value_offset + pixel.length
        if end > size:
            raise _Rejection(TRUNCATED)
        if size - end > TRAILER_BYTES:
            raise _Rejection(CORRUPT_HEADER)
        problem = _trailer_problem(reader.read(end, size - end), pixel.implicit_vr, little_endian)
        if problem:
            raise _Rejection(problem)
        return
    # Encapsulated: items of compressed fragments closed by a sequence delimiter.
    start = max(pixel.value_offset, size - TRAILER_BYTES)
    tail = reader.read(start, size - start)
    if start == pixel.value_offset:
        end = _fragments_end(tail, little_endian)
        problem = _trailer_problem(tail[end:], pixel.implicit_vr, little_endian)
        if problem:
            raise _Rejection(problem)
        return
    # Only the tail was read: the delimiter after which a well-formed trailer (or nothing) follows.
    delimiter = struct.pack("<HHL" if little_endian else ">HHL", 0xFFFE, 0xE0DD, 0)
    candidate = tail.rfind(delimiter)
    while candidate >= 0:
        if _trailer_problem(tail[candidate + 8 :], pixel.implicit_vr, little_endian) is None:
            return
        candidate = tail.rfind(delimiter, 0, candidate)
    raise _Rejection(TRUNCATED)


def _fragments_end(buf: bytes, little_endian: bool) -> int:
    """Walk encapsulated items from the start of `buf`; the offset just after their delimiter."""
    item = struct.Struct("<HHL" if little_endian else ">HHL")
    position = 0
    while position + item.size <= len(buf):
        group, element, length = item.unpack_from(buf, position)
        position += item.size
        if (group, element) == (0xFFFE, 0xE0DD):
            return position
        if (group, element) != (0xFFFE, 0xE000) or length == _UNDEFINED_LENGTH:
            raise _Rejection(CORRUPT_HEADER)
        position += length
    raise _Rejection(TRUNCATED)


def _trailer_problem(buf: bytes, implicit_vr: bool, little_endian: bool) -> str | None:
    """What is wrong with the bytes after the pixel data (complete elements, or none), if anything."""
    if not buf:
        return None
    stream = BytesIO(buf)
    try:
        dataset = read_dataset(stream, implicit_vr, little_endian)
    except Exception:  # pydicom raises many types on malformed or cut-off bytes
        return TRUNCATED if stream.tell() >= len(buf) else CORRUPT_HEADER
    if dataset and min(dataset.keys()) <= 0x7FE00010:
        return CORRUPT_HEADER  # what follows the pixel data can only be elements with higher tags
    return _end_problem(dataset, len(buf))


def _end_problem(dataset: Dataset, size: int, *, check_offsets: bool = True) -> str | None:
    """Whether the last top-level element ends exactly at `size`, as in a complete object.

    pydicom silently keeps a value cut short at the end of the bytes, and silently drops an
    element header cut short; both show in the last element (elements are stored in tag order).
    A sequence last is taken as read: pydicom raises when one is cut short.
    """
    if not dataset:
        return TRUNCATED if size > 0 else None
    last = dataset.get_item(max(dataset.keys()))
    if not isinstance(last, RawDataElement) or last.length == _UNDEFINED_LENGTH:
        return None
    if last.value is not None and len(last.value) < last.length:
        return TRUNCATED
    if check_offsets and last.value_tell + last.length != size:
        remaining = size - (last.value_tell + last.length)
        return TRUNCATED if 0 < remaining < 8 else CORRUPT_HEADER
    return None


def _check_report(reader: _Reader, head: bytes, content_keyword: str) -> Dataset:
    """A report is small: read it whole and prove pydicom parses all of it, content included."""
    if reader.size > MAX_PARSE_BYTES:
        raise _Rejection(TOO_LARGE)
    dataset = _read_whole(head + reader.read(len(head), reader.size - len(head)))
    if content_keyword not in dataset:
        raise _Rejection(TRUNCATED)
    return dataset


def _check_deflated_image(whole: bytes) -> None:
    if not any(tag in _read_whole(whole) for tag in _PIXEL_TAGS):
        raise _Rejection(TRUNCATED)


def _read_whole(buf: bytes) -> Dataset:
    """Parse a whole object, proving pydicom read all of it."""
    stream = BytesIO(buf)
    try:
        dataset = dcmread(stream)
    except Exception as error:  # pydicom raises many types on malformed or cut-off bytes
        raise _Rejection(TRUNCATED if stream.tell() >= len(buf) else CORRUPT_HEADER) from error
    # Deflated, offsets are in the inflated stream; zlib has already refused a cut-off one.
    deflated = _text(_file_meta(dataset), "TransferSyntaxUID") == DeflatedExplicitVRLittleEndian
    problem = _end_problem(dataset, len(buf), check_offsets=not deflated)
    if problem:
        raise _Rejection(problem)
    return dataset


def _sop_class(dataset: Dataset) -> str | None:
    # The file meta first: it is known complete, while a cut-off object may end inside (0008,0016).
    return _text(_file_meta(dataset), "MediaStorageSOPClassUID") or _text(dataset, "SOPClassUID")


def _file_meta(dataset: Dataset) -> Dataset | None:
    return getattr(dataset, "file_meta", None)


def _family(sop_class: str) -> _Family:
    if sop_class == MediaStorageDirectoryStorage:
        return _Family.DIRECTORY
    if sop_class == EncapsulatedPDFStorage:
        return _Family.PDF
    if sop_class.startswith(_SR_PREFIX):
        return _Family.STRUCTURED_REPORT
    if sop_class == SecondaryCaptureImageStorage or sop_class.startswith(_SECONDARY_CAPTURE_FAMILY):
        return _Family.SECONDARY_CAPTURE
    if sop_class in _DIAGNOSTIC_IMAGES:
        return _Family.IMAGE
    return _Family.OTHER


def _is_secondary(family: _Family, dataset: Dataset) -> bool:
    """Screenshots, scans of film and other captures, rather than the scanner's own images."""
    if family is _Family.SECONDARY_CAPTURE or _text(dataset, "ConversionType"):
        return True
    image_type = [value.strip() for value in (_text(dataset, "ImageType") or "").upper().split("\\")]
    # DERIVED\SECONDARY alone is a reconstruction (MPR, MIP): diagnostic. A screen grab says so.
    return image_type[:2] == ["DERIVED", "SECONDARY"] and any("SCREEN" in value for value in image_type[2:])


def _facts(dataset: Dataset, sop_class: str, salt: bytes | None = None) -> DicomFacts:
    """What the header says about the study, and nothing that identifies the patient."""
    return DicomFacts(
        patient_key=_patient_key(dataset, salt) if salt else None,
        sop_class_uid=sop_class,
        modality=_text(dataset, "Modality"),
        body_part=_text(dataset, "BodyPartExamined"),
        study_instance_uid=_text(dataset, "StudyInstanceUID"),
        series_instance_uid=_text(dataset, "SeriesInstanceUID"),
        study_date=_text(dataset, "StudyDate"),
        study_description=_text(dataset, "StudyDescription"),
        series_description=_text(dataset, "SeriesDescription"),
        transfer_syntax=_text(_file_meta(dataset), "TransferSyntaxUID"),
        institution=_text(dataset, "InstitutionName"),
    )


def _patient_key(dataset: Dataset, salt: bytes) -> str | None:
    """HMAC of ID, name and birth date, normalised; None when the header names nobody."""
    parts = [_text(dataset, k) or "" for k in ("PatientID", "PatientName", "PatientBirthDate")]
    if not any(parts):
        return None
    normalised = "|".join(" ".join(p.upper().replace("^", " ").split()) for p in parts)
    return hmac.new(salt, normalised.encode(), hashlib.sha256).hexdigest()[:16]


_TAGS: dict[str, BaseTag] = {}
"""Standard keywords' tags, looked up once."""
_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DT", "TM", "LO", "SH", "LT", "ST", "UT", "UC", "UI", "PN", "UR"}
)
"""Text VRs: for them pydicom's element conversion is `convert_value` alone (its hook's fixes are
for numbers and LUT descriptors)."""


def _text(dataset: Dataset | None, keyword: str) -> str | None:
    """An element's value as text; None when absent, empty or not decodable."""
    if dataset is None:
        return None
    tag = _TAGS.get(keyword)
    if tag is None:
        tag = _TAGS[keyword] = Tag(tag_for_keyword(keyword))  # type: ignore[arg-type]
    try:
        element = dataset.get_item(tag)
        if element is None:
            return None
        value = _value(dataset, element)
    except Exception:  # a malformed value is no fact
        return None
    if value is None:
        return None
    text = "\\".join(str(item) for item in value) if isinstance(value, MultiValue) else str(value)
    return text.strip(" \x00") or None


def _value(dataset: Dataset, element: DataElement | RawDataElement) -> object:
    """The element's value as ``dataset[tag].value`` converts it, without storing the conversion.

    A fact is read once from a header parsed for that one file, so building the DataElement,
    storing it back and its bookkeeping (a third of a small file's judge() time) are skipped: a
    UI, CS or DA value is decoded as pydicom decodes it, any other text value goes through
    pydicom's own `convert_value` with the dataset's character set. Anything else (an element
    converted already, a VR pydicom may replace, a customised conversion) takes the dataset's own
    path. tests/unit hold both to pydicom's element access.
    """
    if isinstance(element, RawDataElement) and element.value is not None and _default_conversion():
        vr = element.VR or dictionary_VR(element.tag)
        if vr in _DEFAULT_ENCODING_VRS and _plain_strings(vr):
            return _plain_text(vr, element.value)
        encodings = dataset.original_character_set
        if vr in _TEXT_VRS and encodings:
            return convert_value(vr, element, encodings)
    return dataset[element.tag].value


_DEFAULT_ENCODING_VRS = frozenset({"UI", "CS", "DA"})
"""VRs pydicom decodes with its default encoding whatever the character set (most facts)."""


def _plain_strings(vr: str) -> bool:
    """Whether pydicom's conversion of a `vr` value is a plain decode: no date objects, no raising
    validation (a UID is validated; in the default mode that only warns)."""
    if vr == "DA":
        return not config.datetime_conversion
    return vr != "UI" or config.settings.reading_validation_mode != config.RAISE


def _plain_text(vr: str, raw: bytes) -> str:
    """A UI, CS or DA value as ``_text`` makes of pydicom's conversion: decoded with pydicom's
    default encoding, trailing padding removed, split into values (each UID stripped of spaces),
    joined again."""
    text = raw.decode(default_encoding).rstrip(" \x00")
    if vr == "UI":
        return "\\".join(value.strip() for value in text.split("\\"))
    return text


def _default_conversion() -> bool:
    """Whether pydicom converts raw elements with its default hooks and no element callback."""
    return (
        config.data_element_callback is None
        and hooks.raw_element_vr is default_raw_element_vr
        and hooks.raw_element_value is default_raw_element_value
    )
