"""Reading a spreadsheet upload (.xlsx or .csv as saved by Chinese Excel) into rows of text."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import PurePath


class TableError(ValueError):
    """The upload cannot be read as a table; the message is shown as is."""


NOT_A_TABLE = "无法识别的文件：请上传 .xlsx 或 .csv 文件（.xls 请先另存为 .xlsx）"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 — a superset of GBK, as Chinese Excel saves CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError("文件编码无法识别：请以 UTF-8 或 GBK 编码保存为 CSV") from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 13800138000 and 1001 as numbers
    return str(value).strip()


def csv_rows(data: bytes) -> list[list[str]]:
    """Rows of a CSV upload with its delimiter sniffed (comma, tab or semicolon)."""
    text = decode_text(data)
    if "\x00" in text:
        raise TableError(NOT_A_TABLE)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def xlsx_rows(data: bytes, check: Callable[[bytes], None] | None = None) -> list[list[str]]:
    """Rows of the first worksheet, formulas read as their cached values.

    ``check`` vets the archive before it is opened (size, zip bomb, hostile XML).
    """
    if check is not None:
        check(data)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TableError("文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        raise TableError("文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）") from exc
    try:
        ws = wb.worksheets[0]
        return [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def read_rows(
    filename: str, data: bytes, check: Callable[[bytes], None] | None = None
) -> list[list[str]]:
    """Rows of an .xlsx or .csv upload; anything else is refused with a clear message."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xlsx":
        return xlsx_rows(data, check)
    if suffix in (".csv", ".txt"):
        return csv_rows(data)
    if suffix in (".xls", ".xlsm", ".et", ".ods"):
        raise TableError(f"不支持 {suffix} 文件：请在 Excel 中另存为 .xlsx 后上传")
    raise TableError(NOT_A_TABLE)


def is_blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)
