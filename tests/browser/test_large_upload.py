"""A file above the multipart threshold goes up from the page in parts, and is judged like any."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

from cli.client import Api
from local.system import LocalSystem

from .conftest import MULTIPART_BYTES
from .pages import keep, until, watch


@pytest.fixture
def large_ct(tmp_path: Path) -> Path:
    """pydicom's CT_small.dcm grown to a 2,400 x 2,400 image: a real, complete DICOM object of 11 MiB."""
    ct = dcmread(get_testdata_file("CT_small.dcm"))
    ct.Rows = ct.Columns = 2400
    ct.PixelData = bytes(range(256)) * (2400 * 2400 * 2 // 256)
    path = tmp_path / "LARGE_CT.dcm"
    ct.save_as(path)
    assert path.stat().st_size > 2 * MULTIPART_BYTES
    return path


def test_a_large_file_goes_up_in_parts_and_is_accepted(
    system: LocalSystem, browser: Any, screenshots: Path, large_ct: Path
) -> None:
    # Given an open case, and its page opened with the access code
    created = Api(system.api_url).call(
        "POST",
        "/cases",
        json={"tier": "standard", "language": "fr", "email": "p@example.org", "consent": True},
    )
    errors: list[str] = []
    context = browser.new_context()
    page = watch(context, errors)
    page.goto(f"{system.portal_url}/case.html?lang=fr#{created['case_id']}")
    page.fill("#token-input", created["access_token"])
    page.click("#sign-in button[type=submit]")

    # When the patient chooses a file larger than the multipart threshold
    page.set_input_files("#pick-files", str(large_ct))

    # Then it is uploaded and judged a diagnostic image
    until(
        lambda: page.get_attribute("#files tbody tr", "data-verdict") == "accepted",
        "the large file's verdict",
        90,
    )
    keep(page, screenshots, "10-large-upload")
    # And S3 holds it as a multipart object (its ETag ends with the number of parts)
    s3 = system.session.client("s3")
    (bucket,) = [b for b in system.of_type("AWS::S3::Bucket") if "upload" in b.lower()]
    (listed,) = s3.list_objects_v2(Bucket=bucket, Prefix=f"cases/{created['case_id']}/")["Contents"]
    digest, _, parts = listed["ETag"].strip('"').partition("-")
    assert len(digest) == 32 and int(parts) >= 2
    assert errors == []
    context.close()
