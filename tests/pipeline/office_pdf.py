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

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "printed-forms"
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


def print_to_pdf(xlsx: bytes, folder: Path, keep_as: str = "") -> PrintedPdf:
    """Convert with a fresh LibreOffice profile in ``folder`` (never the user's own);
    ``keep_as``: also copy the PDF to ``test-artifacts/printed-forms/`` to look at."""
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
    pdf = folder / "form.pdf"
    if keep_as:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, ARTIFACTS / keep_as)
    reader = PdfReader(pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    return PrintedPdf(
        pages=len(reader.pages), text=" ".join(unicodedata.normalize("NFC", text).split())
    )
