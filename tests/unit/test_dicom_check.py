"""The validation core: what it accepts, what it refuses and why, and how little it reads.

The material is pydicom's own test files (nobody here wrote them); the few objects built here are
pydicom rewrites of them, or formats pydicom does not ship (a PDF, a PNG, an HTML page).
"""

from __future__ import annotations

import copy
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.charset import convert_encodings
from pydicom.data import get_testdata_file
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.filereader import read_file_meta_info
from pydicom.multival import MultiValue
from pydicom.tag import Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)
from secondopinion.models import ContentKind, FileKind, FileVerdict, Verdict

from functions.validate.dicom_check import (
    CORRUPT_HEADER,
    EMPTY,
    MEDIA_DIRECTORY,
    NOT_DICOM,
    PATIENT_MESSAGES,
    TOO_LARGE,
    TRUNCATED,
    UNSUPPORTED_OBJECT,
    BytesSource,
    FileSource,
    _has_pixel_tag,
    _text,
    judge,
    zeroed_preamble,
)

KIB = 1024
PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def path_of(name: str) -> Path:
    found = get_testdata_file(name, download=False)
    assert found is not None, f"pydicom test file {name} is missing"
    return Path(str(found))


def material(name: str) -> bytes:
    return path_of(name).read_bytes()


def judged(data: bytes, declared: FileKind = FileKind.DICOM) -> FileVerdict:
    return judge(BytesSource(data), declared)


def saved(dataset: Dataset) -> bytes:
    out = BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def cut_points(size: int, *, avoid: tuple[int, ...] = ()) -> list[int]:
    """About thirty places to cut a file: spread over it, plus its last bytes."""
    spread = {size * k // 24 for k in range(1, 24)}
    near_end = {size - 200, size - 100, size - 9, size - 8, size - 2, size - 1}
    return sorted(point for point in spread | near_end if point >= 144 and point not in avoid)


def small_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    text = b"BT /F1 12 Tf 72 770 Td (Radiology report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encapsulated_pdf(pdf: bytes) -> bytes:
    """What an imaging centre's system exports for a report: the PDF inside a DICOM object."""
    instance = generate_uid(entropy_srcs=["encapsulated pdf"])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = EncapsulatedPDFStorage
    meta.MediaStorageSOPInstanceUID = instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = EncapsulatedPDFStorage
    dataset.SOPInstanceUID = instance
    dataset.StudyInstanceUID = generate_uid(entropy_srcs=["study"])
    dataset.SeriesInstanceUID = generate_uid(entropy_srcs=["series"])
    dataset.Modality = "DOC"
    dataset.ConversionType = "SD"
    dataset.DocumentTitle = "Radiology report"
    dataset.BurnedInAnnotation = "YES"
    dataset.MIMETypeOfEncapsulatedDocument = "application/pdf"
    dataset.EncapsulatedDocument = pdf + b"\0" * (len(pdf) % 2)
    return saved(dataset)


def png_screenshot() -> bytes:
    """A 64x64 RGB PNG, as a phone or a screenshot tool writes one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes((x * y) % 256 for x in range(64 * 3)) for y in range(64))
    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_photo() -> bytes:
    """A real JPEG stream: the one inside pydicom's JPEG-lossy.dcm."""
    return next(generate_frames(dcmread(path_of("JPEG-lossy.dcm")).PixelData, number_of_frames=1))


HTML_PAGE = (
    b"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Patient portal - your images"
    b"</title></head><body><h1>Your images are ready</h1><p>Click <a href='/download'>here</a> to "
    b"download your study.</p></body></html>\n"
)


@pytest.fixture(scope="module")
def ct_small() -> bytes:
    return material("CT_small.dcm")


@pytest.fixture(scope="module")
def large_ct() -> bytes:
    """CT_small with a 5 MB image (1600 x 1600, 16 bit), as a modern CT slice series would be."""
    dataset = dcmread(path_of("CT_small.dcm"))
    dataset.Rows = dataset.Columns = 1600
    dataset.PixelData = bytes(1600 * 1600 * 2)
    return saved(dataset)


@pytest.fixture(scope="module")
def large_multiframe() -> bytes:
    """JPEG2000.dcm as a 1500-frame encapsulated object of 5 MB (its frame padded to 3400 bytes)."""
    dataset = dcmread(path_of("JPEG2000.dcm"))
    frame = next(generate_frames(dataset.PixelData, number_of_frames=1)).ljust(3400, b"\0")
    dataset.NumberOfFrames = 1500
    dataset.PixelData = encapsulate([frame] * 1500)
    return saved(dataset)


# --- Diagnostic images -------------------------------------------------------------------------


def test_ct_small_is_accepted_as_an_image(ct_small: bytes) -> None:
    # Given a CT slice exported by a scanner
    # When it is judged
    verdict = judged(ct_small)
    # Then it is accepted as a diagnostic image
    assert (verdict.verdict, verdict.content, verdict.reason) == (Verdict.ACCEPTED, ContentKind.IMAGE, None)


def test_ct_small_facts_come_from_its_header(ct_small: bytes) -> None:
    # Given a CT slice and what pydicom reads from its header
    header = dcmread(BytesIO(ct_small), stop_before_pixels=True)
    # When it is judged
    facts = judged(ct_small).facts
    # Then the verdict carries the study's facts
    assert facts.sop_class_uid == "1.2.840.10008.5.1.4.1.1.2"
    assert facts.modality == "CT"
    assert facts.study_instance_uid == header.StudyInstanceUID
    assert facts.series_instance_uid == header.SeriesInstanceUID
    assert facts.study_date == header.StudyDate
    assert facts.transfer_syntax == ExplicitVRLittleEndian


def test_facts_never_hold_the_patients_identity(ct_small: bytes) -> None:
    # Given a CT slice with a patient name and ID (its birth date is empty)
    header = dcmread(BytesIO(ct_small), stop_before_pixels=True)
    identity = [str(header.PatientName), header.PatientID]
    assert all(identity)
    # When it is judged
    dumped = judged(ct_small).model_dump_json()
    # Then none of them appears in the verdict
    assert not [value for value in identity if value in dumped]


def test_mr_small_is_accepted_as_an_image_with_its_modality() -> None:
    # Given an MR slice
    # When it is judged
    verdict = judged(material("MR_small.dcm"))
    # Then it is an accepted image, and its facts say MR
    assert (verdict.verdict, verdict.content, verdict.facts.modality) == (
        Verdict.ACCEPTED,
        ContentKind.IMAGE,
        "MR",
    )


def test_a_derived_secondary_reconstruction_is_still_an_image() -> None:
    # Given MR_small, whose ImageType is DERIVED\SECONDARY\OTHER (a reconstruction, not a capture)
    assert list(dcmread(path_of("MR_small.dcm")).ImageType) == ["DERIVED", "SECONDARY", "OTHER"]
    # When it is judged
    verdict = judged(material("MR_small.dcm"))
    # Then it is an image: only screen captures are secondary
    assert verdict.content is ContentKind.IMAGE


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("MR_small_implicit.dcm", ContentKind.IMAGE),  # implicit VR little endian
        ("MR_small_bigendian.dcm", ContentKind.IMAGE),  # explicit VR big endian
        ("MR_small_expb.dcm", ContentKind.IMAGE),  # explicit VR big endian
        ("ExplVR_BigEnd.dcm", ContentKind.IMAGE),  # big endian ultrasound
        ("MR_small_RLE.dcm", ContentKind.IMAGE),  # RLE lossless
        ("MR_small_jp2klossless.dcm", ContentKind.IMAGE),  # JPEG 2000 lossless
        ("MR_small_jpeg_ls_lossless.dcm", ContentKind.IMAGE),  # JPEG-LS lossless
        ("examples_jpeg2k.dcm", ContentKind.IMAGE),  # JPEG 2000 ultrasound
        ("693_J2KI.dcm", ContentKind.IMAGE),  # JPEG 2000 CT
        ("examples_ybr_color.dcm", ContentKind.IMAGE),  # JPEG baseline ultrasound multi-frame
        ("JPEG2000.dcm", ContentKind.SECONDARY),  # JPEG 2000, an NM screen grab
        ("JPEG-lossy.dcm", ContentKind.SECONDARY),  # JPEG extended, an NM screen grab
        ("image_dfl.dcm", ContentKind.SECONDARY),  # deflated explicit VR little endian
        ("SC_rgb_jpeg.dcm", ContentKind.SECONDARY),  # JPEG syntax, but the data set is implicit VR
    ],
)
def test_every_transfer_syntax_is_accepted(name: str, content: ContentKind) -> None:
    # Given a complete object in some transfer syntax
    syntax = read_file_meta_info(path_of(name)).TransferSyntaxUID
    # When it is judged
    verdict = judged(material(name))
    # Then it is accepted for what it is, and the syntax is reported
    assert (verdict.verdict, verdict.content, verdict.facts.transfer_syntax) == (
        Verdict.ACCEPTED,
        content,
        syntax,
    )


def test_an_object_shorter_than_its_announced_size_is_truncated(ct_small: bytes) -> None:
    # Given a source that announces more bytes than it holds (a size from a stale event)
    class Overstated(BytesSource):
        @property
        def size(self) -> int:
            return len(ct_small) + 1000

    # When it is judged
    verdict = judge(Overstated(ct_small), FileKind.DICOM)
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


def test_a_file_source_gives_the_same_verdict_and_counts_what_it_read() -> None:
    # Given a local file
    source = FileSource(path_of("MR_small.dcm"))
    # When it is judged
    verdict = judge(source, FileKind.DICOM)
    # Then it is accepted, and the verdict reports the bytes the source returned: the header and
    # the few bytes after the pixel data, not the pixels themselves
    assert verdict.verdict is Verdict.ACCEPTED
    assert verdict.bytes_read == source.bytes_read < source.size


# --- Secondary captures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "SC_rgb_small_odd.dcm",
        "SC_rgb_small_odd_big_endian.dcm",
        "SC_rgb_rle_2frame.dcm",
        "SC_rgb_jpeg_dcmtk.dcm",
        "SC_rgb_gdcm_KY.dcm",
        "SC_ybr_full_422_uncompressed.dcm",
        "SC_jpeg_no_color_transform.dcm",
        "GDCMJ2K_TextGBR.dcm",
    ],
)
def test_a_secondary_capture_is_accepted_as_secondary(name: str) -> None:
    # Given a Secondary Capture object (a screenshot, a scanned film)
    # When it is judged
    verdict = judged(material(name))
    # Then it is accepted, but marked secondary for the radiologist
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.SECONDARY)


def test_a_ct_marked_as_a_screen_save_is_secondary() -> None:
    # Given a CT object whose ImageType says it is a screen save of a workstation
    dataset = dcmread(path_of("CT_small.dcm"))
    dataset.ImageType = ["DERIVED", "SECONDARY", "SCREEN SAVE"]
    # When it is judged
    verdict = judged(saved(dataset))
    # Then it is secondary, not a diagnostic image
    assert verdict.content is ContentKind.SECONDARY


def test_a_ct_with_a_conversion_type_is_secondary() -> None:
    # Given a CT object that says it was converted from a workstation screen (WSD)
    dataset = dcmread(path_of("CT_small.dcm"))
    dataset.ConversionType = "WSD"
    # When it is judged
    verdict = judged(saved(dataset))
    # Then it is secondary
    assert verdict.content is ContentKind.SECONDARY


# --- Reports and documents ---------------------------------------------------------------------


def test_an_encapsulated_pdf_is_accepted_as_a_report() -> None:
    # Given the PDF report as a DICOM object
    data = encapsulated_pdf(small_pdf())
    # When it is judged
    verdict = judged(data)
    # Then it is the original report
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.REPORT)
    assert verdict.facts.sop_class_uid == EncapsulatedPDFStorage


@pytest.mark.parametrize("keep", [200, 400, 600, -200, -1])
def test_a_cut_off_encapsulated_pdf_is_truncated(keep: int) -> None:
    # Given an encapsulated PDF that lost its end
    data = encapsulated_pdf(small_pdf())[:keep]
    # When it is judged
    verdict = judged(data)
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize("name", ["test-SR.dcm", "reportsi.dcm"])
def test_a_structured_report_is_accepted_as_a_report(name: str) -> None:
    # Given a DICOM Structured Report
    # When it is judged
    verdict = judged(material(name))
    # Then it is accepted as a report
    assert (verdict.verdict, verdict.content, verdict.facts.modality) == (
        Verdict.ACCEPTED,
        ContentKind.REPORT,
        "SR",
    )


def test_a_deflated_structured_report_is_accepted() -> None:
    # Given a Structured Report written in the deflated transfer syntax
    dataset = dcmread(path_of("reportsi.dcm"))
    dataset.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    # When it is judged
    verdict = judged(saved(dataset))
    # Then it is accepted as a report
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.REPORT)


@pytest.mark.parametrize("cut", [300, 1000, 2000, 3000, 5000, 6000, 6700, 6795])
def test_a_cut_off_structured_report_is_truncated(cut: int) -> None:
    # Given a Structured Report that lost its end
    data = material("test-SR.dcm")[:cut]
    # When it is judged
    verdict = judged(data)
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize(
    ("declared", "content"),
    [(FileKind.REPORT, ContentKind.REPORT), (FileKind.DOCUMENT, ContentKind.DOCUMENT)],
)
def test_a_plain_pdf_declared_as_a_report_or_document_is_accepted(
    declared: FileKind, content: ContentKind
) -> None:
    # Given a plain PDF the patient declared as their report or another document
    # When it is judged
    verdict = judged(small_pdf(), declared)
    # Then it is accepted as what they declared
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, content)


def test_a_plain_pdf_without_its_end_is_truncated() -> None:
    # Given a declared report PDF cut off before its %%EOF marker
    data = small_pdf()[:-20]
    # When it is judged
    verdict = judged(data, FileKind.REPORT)
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


def test_a_declared_report_that_is_a_photo_is_refused_naming_the_formats() -> None:
    # Given a photo of a report, declared as the report
    # When it is judged
    verdict = judged(jpeg_photo(), FileKind.REPORT)
    # Then it is refused, telling the patient which formats we take
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, UNSUPPORTED_OBJECT)
    assert verdict.message is not None and "PDF" in verdict.message and "DICOM" in verdict.message


def test_a_dicom_image_declared_as_a_report_is_judged_as_dicom(ct_small: bytes) -> None:
    # Given a CT slice the patient declared as a document
    # When it is judged
    verdict = judged(ct_small, FileKind.DOCUMENT)
    # Then it is judged for what it is
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.IMAGE)


# --- Skipped and unsupported DICOM -------------------------------------------------------------


@pytest.mark.parametrize("name", ["DICOMDIR", "DICOMDIR-implicit", "DICOMDIR-bigEnd", "DICOMDIR-empty.dcm"])
def test_a_dicomdir_is_skipped_without_error(name: str) -> None:
    # Given a disc's DICOMDIR index
    # When it is judged
    verdict = judged(material(name))
    # Then it is skipped, with a reassuring message
    assert (verdict.verdict, verdict.reason) == (Verdict.SKIPPED, MEDIA_DIRECTORY)
    assert verdict.message == PATIENT_MESSAGES[MEDIA_DIRECTORY]


@pytest.mark.parametrize(
    "name", ["rtplan.dcm", "rtdose.dcm", "rtdose_rle.dcm", "liver_1frame.dcm", "waveform_ecg.dcm"]
)
def test_dicom_that_is_no_image_or_report_is_unsupported(name: str) -> None:
    # Given an RT plan, an RT dose, a segmentation or an ECG waveform
    data = material(name)
    # When it is judged
    verdict = judged(data)
    # Then it is refused as an object we cannot use, naming its SOP class for operators
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, UNSUPPORTED_OBJECT)
    assert verdict.facts.sop_class_uid == dcmread(BytesIO(data), stop_before_pixels=True).SOPClassUID


def test_an_unsupported_object_is_judged_on_its_head() -> None:
    # Given a 284 KiB ECG waveform
    data = material("waveform_ecg.dcm")
    # When it is judged
    verdict = judged(data)
    # Then only the first read was needed
    assert verdict.bytes_read == 64 * KIB < len(data)


@pytest.mark.parametrize("name", ["no_meta.dcm", "rtstruct.dcm", "ExplVR_LitEndNoMeta.dcm"])
def test_a_data_set_without_the_dicom_file_header_is_not_dicom(name: str) -> None:
    # Given a bare data set, without preamble, "DICM" and file meta (pydicom reads it only forced)
    # When it is judged
    verdict = judged(material(name))
    # Then it is refused: uploads are never read with force
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, NOT_DICOM)


def test_dicom_without_a_sop_class_has_a_corrupt_header() -> None:
    # Given a DICOM file whose file meta lacks the transfer syntax and SOP class
    # When it is judged
    verdict = judged(material("meta_missing_tsyntax.dcm"))
    # Then its header is called corrupt
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, CORRUPT_HEADER)


# --- Truncation --------------------------------------------------------------------------------


def test_pydicoms_truncated_mr_is_truncated() -> None:
    # Given pydicom's MR_truncated.dcm (its pixel data is cut short)
    # When it is judged
    verdict = judged(material("MR_truncated.dcm"))
    # Then it is refused as incomplete, with the message to upload it again
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)
    assert verdict.message == PATIENT_MESSAGES[TRUNCATED]


CT_SMALL_SIZE = 39206
CT_SMALL_PIXELS_END = 39068  # where the pixel data ends and the trailing padding element starts


@pytest.mark.parametrize("cut", cut_points(CT_SMALL_SIZE, avoid=(CT_SMALL_PIXELS_END,)))
def test_a_cut_off_ct_is_truncated(ct_small: bytes, cut: int) -> None:
    # Given CT_small cut off somewhere in its header, pixel data or trailing padding
    # When it is judged
    verdict = judged(ct_small[:cut])
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize("cut", cut_points(3308))
def test_a_cut_off_encapsulated_image_is_truncated(cut: int) -> None:
    # Given JPEG2000.dcm cut off somewhere
    # When it is judged
    verdict = judged(material("JPEG2000.dcm")[:cut])
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "JPEG2000-embedded-sequence-delimiter.dcm"])
def test_no_cut_of_an_encapsulated_image_is_accepted(name: str) -> None:
    # Given every way to cut a small encapsulated image after its "DICM" magic, including one whose
    # compressed data holds the sequence delimiter's bytes
    data = material(name)
    # When each is judged
    reasons = {judged(data[:cut]).reason for cut in range(132, len(data))}
    # Then every one is refused as incomplete
    assert reasons == {TRUNCATED}


@pytest.mark.parametrize("cut", [128, 131])
def test_a_cut_before_the_dicom_magic_is_not_dicom(ct_small: bytes, cut: int) -> None:
    # Given a CT slice cut off before its "DICM" magic
    # When it is judged
    verdict = judged(ct_small[:cut])
    # Then nothing tells it is DICOM
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, NOT_DICOM)


def test_a_cut_at_the_end_of_the_pixel_data_loses_only_padding_and_is_accepted(ct_small: bytes) -> None:
    # Given CT_small cut exactly where its pixel data ends, dropping only its trailing padding
    # When it is judged
    verdict = judged(ct_small[:CT_SMALL_PIXELS_END])
    # Then it is a complete image: every element it holds is whole
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.IMAGE)


@pytest.mark.parametrize("cut", [1000, 2000, 3000, 4000, 4500, 4628])
def test_a_cut_off_deflated_image_is_truncated(cut: int) -> None:
    # Given the deflated image_dfl.dcm cut off
    # When it is judged
    verdict = judged(material("image_dfl.dcm")[:cut])
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.9999])
def test_a_cut_off_large_image_is_truncated(large_ct: bytes, fraction: float) -> None:
    # Given a 5 MB CT slice cut off in its pixel data
    # When it is judged
    verdict = judged(large_ct[: int(len(large_ct) * fraction)])
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


@pytest.mark.parametrize("cut", [-1, -8, -9, -3000, -2_000_000])
def test_a_cut_off_large_multiframe_is_truncated(large_multiframe: bytes, cut: int) -> None:
    # Given a 5 MB encapsulated multi-frame cut off near or far from its end
    # When it is judged
    verdict = judged(large_multiframe[:cut])
    # Then it is refused as incomplete
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, TRUNCATED)


# --- Reading little ----------------------------------------------------------------------------


def test_a_large_image_is_judged_on_its_head_and_tail(large_ct: bytes) -> None:
    # Given a 5 MB CT slice
    assert len(large_ct) > 5_000_000
    # When it is judged
    verdict = judged(large_ct)
    # Then it is accepted after reading well under 200 KiB of it
    assert verdict.verdict is Verdict.ACCEPTED
    assert verdict.bytes_read < 200 * KIB


def test_a_large_multiframe_is_judged_on_its_head_and_tail(large_multiframe: bytes) -> None:
    # Given a 5 MB encapsulated multi-frame
    assert len(large_multiframe) > 5_000_000
    # When it is judged
    verdict = judged(large_multiframe)
    # Then it is accepted after reading well under 200 KiB of it
    assert (verdict.verdict, verdict.content) == (Verdict.ACCEPTED, ContentKind.SECONDARY)
    assert verdict.bytes_read < 200 * KIB


def test_a_header_longer_than_the_first_read_is_read_until_the_pixel_data() -> None:
    # Given a CT slice with a 150 KB private header before its 1 MB of pixels (like Siemens' CSA)
    dataset = dcmread(path_of("CT_small.dcm"))
    block = dataset.private_block(0x0029, "SIEMENS CSA HEADER", create=True)
    block.add_new(0x10, "OB", bytes(150_000))
    dataset.Rows = dataset.Columns = 724
    dataset.PixelData = bytes(724 * 724 * 2)
    data = saved(dataset)
    # When it is judged
    verdict = judged(data)
    # Then it is accepted, having read more than the first 64 KiB but not the pixels
    assert verdict.verdict is Verdict.ACCEPTED
    assert 64 * KIB < verdict.bytes_read < len(data) // 2


# --- Not DICOM ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(jpeg_photo, id="jpeg"),
        pytest.param(png_screenshot, id="png"),
        pytest.param(small_pdf, id="pdf"),
        pytest.param(lambda: HTML_PAGE, id="html"),
        pytest.param(lambda: random.Random(11687).randbytes(4096), id="random"),
    ],
)
def test_a_file_that_is_not_dicom_is_refused_as_not_dicom(make: Callable[[], bytes]) -> None:
    # Given a photo, a screenshot, a PDF, a web page or random bytes declared as DICOM
    # When it is judged
    verdict = judged(make())
    # Then it is refused as not DICOM
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, NOT_DICOM)


def test_a_zipped_disc_is_not_dicom(ct_small: bytes) -> None:
    # Given a zip archive holding a DICOM file
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("DICOM/IM000001", ct_small)
    # When it is judged
    verdict = judged(archive.getvalue())
    # Then it is refused as not DICOM
    assert verdict.reason == NOT_DICOM


def test_the_not_dicom_message_tells_how_to_get_the_originals() -> None:
    # Given a photo of a screen declared as DICOM
    # When it is judged
    message = judged(jpeg_photo()).message
    # Then the message says a picture is not enough and where the originals come from
    assert message is not None
    assert all(
        word in message for word in ("photo", "screenshot", "PDF", "imaging centre", "CD", "USB", "portal")
    )


def test_an_empty_file_is_empty() -> None:
    # Given a file of 0 bytes
    # When it is judged
    verdict = judged(b"")
    # Then it is refused as empty, without a read
    assert (verdict.verdict, verdict.reason, verdict.bytes_read) == (Verdict.REJECTED, EMPTY, 0)


def test_a_file_above_the_size_limit_is_too_large_without_a_read(ct_small: bytes) -> None:
    # Given a CT slice and a limit below its size
    # When it is judged
    verdict = judge(BytesSource(ct_small), FileKind.DICOM, max_size=len(ct_small) - 1)
    # Then it is refused as too large before any byte is read
    assert (verdict.verdict, verdict.reason, verdict.bytes_read) == (Verdict.REJECTED, TOO_LARGE, 0)


def test_every_reason_has_a_patient_message() -> None:
    # Given the reason codes
    reasons = [NOT_DICOM, TRUNCATED, CORRUPT_HEADER, UNSUPPORTED_OBJECT, EMPTY, TOO_LARGE, MEDIA_DIRECTORY]
    # When their messages are looked up
    messages = [PATIENT_MESSAGES.get(reason) for reason in reasons]
    # Then each has a plain sentence
    assert all(message and message.endswith(".") for message in messages)


# --- The preamble ------------------------------------------------------------------------------


def test_zeroed_preamble_clears_a_polyglot_preamble(ct_small: bytes) -> None:
    # Given a DICOM file whose preamble starts like a Windows executable (CVE-2019-11687)
    polyglot = b"MZ" + bytes(range(126)) + ct_small[128:]
    # When its preamble is zeroed
    head = zeroed_preamble(polyglot[:1000])
    # Then the 132 bytes to store are zeros and the magic
    assert head == bytes(128) + b"DICM"


def test_a_polyglot_preamble_does_not_change_the_verdict(ct_small: bytes) -> None:
    # Given a CT slice whose preamble holds other bytes
    polyglot = b"MZ" + bytes(range(126)) + ct_small[128:]
    # When it is judged
    verdict = judged(polyglot)
    # Then it is accepted: the preamble is free for any use, and is zeroed when stored
    assert verdict.verdict is Verdict.ACCEPTED


def test_zeroed_preamble_refuses_a_head_that_is_not_dicom() -> None:
    # Given the head of a PDF
    # When its preamble is zeroed, then it refuses
    with pytest.raises(ValueError, match="not the head of a DICOM file"):
        zeroed_preamble(small_pdf())


# --- Properties --------------------------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=4096), st.sampled_from(list(FileKind)))
def test_random_bytes_are_never_accepted(data: bytes, declared: FileKind) -> None:
    # Given any bytes, declared as anything
    # When they are judged
    verdict = judged(data, declared)
    # Then judging did not raise, and they are not accepted
    assert verdict.verdict is not Verdict.ACCEPTED


@PROPERTY
@given(st.binary(max_size=128), st.binary(max_size=4096))
def test_random_bytes_behind_a_dicom_magic_are_never_accepted(preamble: bytes, body: bytes) -> None:
    # Given random bytes behind a preamble and the "DICM" magic
    data = preamble.ljust(128, b"\0") + b"DICM" + body
    # When they are judged
    verdict = judged(data)
    # Then judging did not raise, and they are not accepted
    assert verdict.verdict is not Verdict.ACCEPTED


@PROPERTY
@given(st.binary(min_size=132, max_size=132).filter(lambda head: head[128:132] != b"DICM"))
def test_a_ct_whose_first_bytes_break_the_magic_is_not_dicom(ct_small: bytes, head: bytes) -> None:
    # Given CT_small whose first 132 bytes were replaced, breaking the "DICM" magic
    data = head + ct_small[132:]
    # When it is judged
    verdict = judged(data)
    # Then it is refused as not DICOM
    assert (verdict.verdict, verdict.reason) == (Verdict.REJECTED, NOT_DICOM)


_PIXEL_TAG_BYTES = {
    bytes(tag)
    for element in (0x08, 0x09, 0x10)
    for tag in ((0xE0, 0x7F, element, 0x00), (0x7F, 0xE0, 0x00, element))
}
"""(7FE0,0008), (7FE0,0009), (7FE0,0010): little endian, then big endian."""


@PROPERTY
@given(
    st.lists(
        st.sampled_from([b"\x7f", b"\xe0", b"\x00", b"\x10", b"\x09", b"\xe0\x7f", b"\x7f\xe0", b"a"]),
        max_size=24,
    ),
    st.integers(0, 12),
)
@example([b"\xe0\x7f", b"\x10", b"\x00"], 0)  # little endian, at the start: found
@example([b"\xe0\x7f", b"\x10", b"\x00"], 1)  # not from one byte later: the tag began before
@example([b"a", b"\x7f\xe0", b"\x00", b"\x09"], 1)  # big endian
def test_the_pixel_tag_search_finds_exactly_the_tags_from_its_start(pieces: list[bytes], start: int) -> None:
    # Given bytes made of the pixel data tags' own bytes and others, and where to search from
    buf = b"".join(pieces)
    # When the head's search looks for a pixel data tag
    found = _has_pixel_tag(buf, start)
    # Then it finds one exactly when some 4 bytes from `start` on are one, in either byte order
    assert found == any(buf[at : at + 4] in _PIXEL_TAG_BYTES for at in range(start, len(buf)))


_FACT_ELEMENTS = {
    "StudyInstanceUID": "UI",
    "Modality": "CS",
    "StudyDate": "DA",
    "StudyDescription": "LO",
    "PatientName": "PN",
}
_CHARACTER_SETS = ["ISO_IR 100", "ISO_IR 192", "ISO 2022 IR 13\\ISO 2022 IR 87", "GB18030", ""]


@PROPERTY
@given(
    st.sampled_from(sorted(_FACT_ELEMENTS)),
    st.booleans(),
    st.sampled_from(_CHARACTER_SETS),
    st.lists(
        st.one_of(
            st.sampled_from([b" ", b"\x00", b"\\", b"\xa0", b"\x85", b"\x1b$B", b"1.2", b"CT", b"\xc3\xa9"]),
            st.binary(max_size=6),
        ),
        max_size=10,
    ),
)
def test_a_fact_is_the_value_pydicom_converts_from_the_same_bytes(
    keyword: str, explicit: bool, character_set: str, pieces: list[bytes]
) -> None:
    # Given an element of a parsed header holding any bytes, explicit or implicit VR, in a character set
    raw = b"".join(pieces)
    tag = Tag(tag_for_keyword(keyword))  # type: ignore[arg-type]
    element = RawDataElement(
        tag, _FACT_ELEMENTS[keyword] if explicit else None, len(raw), raw, 0, not explicit, True
    )
    dataset = Dataset({tag: element})
    dataset.set_original_encoding(not explicit, True, convert_encodings(character_set.split("\\")))
    # When the validation core reads it as a fact
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fact = _text(dataset, keyword)
        # Then it is what pydicom's own element access makes of those bytes, as text
        try:
            value = copy.deepcopy(dataset)[tag].value
        except Exception:  # pydicom could not convert it: no fact either
            value = None
    text = "\\".join(str(v) for v in value) if isinstance(value, MultiValue) else str(value or "")
    assert fact == (text.strip(" \x00") or None)


@PROPERTY
@given(st.data())
def test_judging_a_damaged_image_never_raises(ct_small: bytes, data: st.DataObject) -> None:
    # Given CT_small with a few header bytes overwritten, and maybe cut off
    damaged = bytearray(ct_small)
    for _ in range(data.draw(st.integers(1, 8))):
        damaged[data.draw(st.integers(132, 6400))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(132, len(damaged)))
    # When it is judged
    verdict = judged(bytes(damaged[:cut]))
    # Then a verdict comes back (accepted when the damage only changed a value)
    assert verdict.verdict in {Verdict.ACCEPTED, Verdict.REJECTED, Verdict.SKIPPED}
