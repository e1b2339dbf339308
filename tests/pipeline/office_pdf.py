"""An XLSX printed to PDF by LibreOffice (Debian's ``libreoffice-calc-nogui``, headless), and
the PDF's text read back: what a committee gets on paper when it prints the export.

Without LibreOffice the tests using it are skipped on a developer's machine and FAIL when
CI=true, like every other test that needs a service.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import msgspec
import pytest
from pypdf import PdfReader

from tests.conftest import IN_CI

SOFFICE = os.environ.get("NGUON_SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice"
CONVERT_TIMEOUT = 180  # seconds; a cold first start of LibreOffice takes a few


class PrintedPdf(msgspec.Struct):
    pages: int
    text: str
    """Every page's text, NFC, whitespace runs (a cell's wrapped lines) joined by a space."""


def soffice() -> str:
    if not Path(SOFFICE).exists():
        message = f"LibreOffice (soffice) is not installed at {SOFFICE}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return SOFFICE


def print_to_pdf(xlsx: bytes, folder: Path) -> PrintedPdf:
    """Convert with a fresh LibreOffice profile in ``folder`` (never the user's own)."""
    source = folder / "form.xlsx"
    source.write_bytes(xlsx)
    profile = folder / "libreoffice-profile"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=CONVERT_TIMEOUT,
    )
    reader = PdfReader(folder / "form.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    return PrintedPdf(
        pages=len(reader.pages), text=" ".join(unicodedata.normalize("NFC", text).split())
    )
