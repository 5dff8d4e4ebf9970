"""Word .docx: paragraphs and table cells in document order, read as Word-style text."""

from __future__ import annotations

import io
import warnings

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from .limits import HostileFile, Limits, open_zip, scan_xml_members

MSG_NOT_DOCX = "文件不是有效的 .docx（可能已损坏或并非 Word 文件）"


def docx_lines(data: bytes, limits: Limits) -> tuple[list[str], int]:
    """Text lines of the document body, and how many paragraphs use Word's automatic numbering.

    Automatic numbers (1. 2. / A. B.) are not part of a paragraph's text, so the caller warns
    when they are present rather than silently merging questions.
    """
    with open_zip(data, limits, MSG_NOT_DOCX) as zf:
        if "word/document.xml" not in zf.namelist():
            raise HostileFile(MSG_NOT_DOCX)
        scan_xml_members(zf)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds on damaged files
        raise HostileFile(MSG_NOT_DOCX) from exc
    lines: list[str] = []
    numbered = 0
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            para = Paragraph(child, document)
            if child.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None:
                numbered += 1
            lines.extend(para.text.splitlines() or [""])
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell is returned once per grid column
                        continue
                    seen.add(id(cell._tc))
                    for para in cell.paragraphs:
                        lines.extend(para.text.splitlines())
    return lines, numbered
