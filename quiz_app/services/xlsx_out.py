"""Writing .xlsx files people download: values only, and no cell that Excel would run as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from quiz_app.services.textcheck import has_unprintable, printable

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text Excel would treat as a formula (CSV/formula injection) with a leading '.

    Text that already starts with quotes before such a character gets one more, so that
    unquote_cell, which the importer applies, gives back exactly the text that was written.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def unquote_cell(value: str) -> str:
    """Undo safe_cell on a text read back from a spreadsheet (export → import gives the same)."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def printable_cell(value: object) -> object:
    """Text openpyxl can write: its illegal control characters and lone surrogates (stored
    before the edge refused them) become U+FFFD, so one bad name never breaks a whole export."""
    if isinstance(value, str) and has_unprintable(value):
        return printable(value)
    return value


def workbook_bytes(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
) -> bytes:
    """An .xlsx with one sheet per (title, header, rows): bold header, sensible column widths.

    Written in openpyxl's write-only (streaming) mode: exports of tens of thousands of rows spend
    their time in openpyxl, and streaming roughly halves it.
    """
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        rows = [[safe_cell(printable_cell(v)) for v in row] for row in rows]
        widths = [max(6, len(str(h)) * 2 + 2) for h in header]
        for row in rows[:2000]:  # widths from a sample: enough to size columns sensibly
            for i, v in enumerate(row[: len(widths)]):
                widths[i] = min(60, max(widths[i], len(str(v)) * 2 + 2))
        ws = wb.create_sheet(title=title[:31])
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
        head = []
        for h in header:
            cell = WriteOnlyCell(ws, value=printable_cell(h))
            cell.font = bold
            head.append(cell)
        ws.append(head)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
