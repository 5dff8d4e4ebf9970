"""Builders for test files: real .xlsx via openpyxl, and hand-written .xlsx XML when a test needs
what openpyxl cannot write (cached formula values, a DTD)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

HEADER = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "解析",
    "分类",
    "难度",
    "分值",
]


def make_xlsx(
    rows: Sequence[Sequence[object]],
    title: str = "题库",
    merges: Sequence[str] = (),
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]] = (),
    first_title: str | None = None,
) -> bytes:
    """An .xlsx written by openpyxl with the given rows on one sheet (plus optional others)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for ref in merges:
        ws.merge_cells(ref)
    for name, sheet_rows in extra_sheets:
        other = wb.create_sheet(name, 0 if first_title == name else None)
        for row in sheet_rows:
            other.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bank(*rows: Sequence[object]) -> bytes:
    """.xlsx with the standard header and the given data rows (first data row is row 2)."""
    return make_xlsx([HEADER, *rows])


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def cell_xml(ref: str, value: object) -> str:
    """A cell: str → inline string; ("=f", cached) → formula with cached value; ("=f",) → none."""
    if isinstance(value, tuple):
        formula = escape(value[0].lstrip("="))
        if len(value) == 1:
            return f'<c r="{ref}"><f>{formula}</f></c>'
        cached = value[1]
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str"><f>{formula}</f><v>{escape(cached)}</v></c>'
        return f'<c r="{ref}"><f>{formula}</f><v>{cached}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def raw_xlsx(rows: Sequence[Sequence[object]], prolog: str = "", entity_cell: str = "") -> bytes:
    """An .xlsx whose sheet XML is written by hand; prolog goes before <worksheet> (a DTD)."""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            cell_xml(f"{get_column_letter(c)}{r}", v)
            for c, v in enumerate(row, start=1)
            if v is not None
        )
        body.append(f'<row r="{r}">{cells}</row>')
    if entity_cell:
        body.append(
            f'<row r="{len(rows) + 1}"><c r="A{len(rows) + 1}" t="inlineStr">'
            f"<is><t>{entity_cell}</t></is></c></row>"
        )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def messages(result) -> list[str]:
    return [issue.message for issue in result.errors]
