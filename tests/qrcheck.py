"""Reading back the QR codes printed in a PDF with tools nobody here wrote: poppler's pdftoppm draws each page
as a picture, as a printer would, and zxing-cpp (the C++ port of ZXing, the decoder of many phone apps) finds
and decodes every QR code on it. Without them the tests are skipped, except where MATCHMAKER_REQUIRE_BROWSER
is set: CI installs poppler-utils in the same step as the browser (.ci/run), and zxing-cpp with the other test
requirements (requirements-dev.txt)."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

DPI = 150  # a badge's QR module is 1 mm, 6 pixels here: as much as an office printer gives


@dataclass(frozen=True)
class FoundCode:
    page: int  # from 1
    text: str
    x: float  # the symbol's centre, in PDF points from the page's left edge
    y: float  # ... and from its top edge


def _missing(reason: str):
    if os.environ.get("MATCHMAKER_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def _tools():
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        _missing("pdftoppm is not installed here (poppler-utils; CI installs it: see .ci/run)")
    try:
        import zxingcpp
    except ImportError:
        _missing("zxing-cpp is not installed here (requirements-dev.txt)")
    return pdftoppm, zxingcpp


def qr_codes(pdf: bytes, tmp_path: Path) -> list[FoundCode]:
    """Every QR code on every page of `pdf`, page by page, top to bottom then left to right."""
    from PIL import Image

    pdftoppm, zxingcpp = _tools()
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / "page"
    subprocess.run([pdftoppm, "-r", str(DPI), "-gray", "-png", str(source), str(prefix)], check=True)
    found = []
    pages = sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert pages, "pdftoppm drew no page"
    points = 72 / DPI
    for path in pages:
        number = int(path.stem.rsplit("-", 1)[1])
        with Image.open(path) as image:
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        on_page = []
        for result in results:
            corners = [result.position.top_left, result.position.top_right]
            corners += [result.position.bottom_left, result.position.bottom_right]
            x = sum(c.x for c in corners) / 4 * points
            y = sum(c.y for c in corners) / 4 * points
            on_page.append(FoundCode(number, result.text, x, y))
        found += sorted(on_page, key=lambda c: (round(c.y), c.x))
    return found
