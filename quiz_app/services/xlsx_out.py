"""Writing .xlsx files people download: values only, and no cell that Excel would run as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text Excel would treat as a formula (CSV/formula injection) with a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def workbook_bytes(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
) -> bytes:
    """An .xlsx with one sheet per (title, header, rows): bold header, sensible column widths."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [max(6, len(str(h)) * 2 + 2) for h in header]
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            for i, v in enumerate(row):
                if i < len(widths):
                    widths[i] = min(60, max(widths[i], len(str(v)) * 2 + 2))
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
