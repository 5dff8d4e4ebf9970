"""Reading .csv question banks as saved by Excel or WPS: UTF-8 (BOM or not) or GBK, , ; or tab."""

from __future__ import annotations

import csv
import io

from . import columns as col
from .limits import Limits
from .table import TITLE_ROWS, parse_rows
from .types import ImportIssue, ParseResult

DELIMITERS = (",", "\t", ";")


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, strictly; then GB18030, which covers GBK and GB2312.

    Chinese Excel saves CSV as GBK by default, UTF-8 when asked; strict UTF-8 almost never
    accepts GBK bytes by accident, so the order is safe. UTF-16 (Excel's “Unicode text”) is
    recognised by its BOM.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def sniff_delimiter(text: str) -> str:
    """The delimiter under which some early line reads as a header with the most known columns.

    csv.Sniffer is easily fooled by Chinese text with ；， inside cells; the header row is the one
    thing every question file shares, so it decides.
    """
    sample = text[:65536].splitlines()[: TITLE_ROWS + 1]
    best, best_score = ",", (-1, -1)
    for delim in DELIMITERS:
        rows = list(csv.reader(sample, delimiter=delim))
        known = max((len(col.map_header([c.strip() for c in row])) for row in rows), default=0)
        width = max((len(row) for row in rows), default=0)
        if (known, width) > best_score:
            best, best_score = delim, (known, width)
    return best


def parse_csv(data: bytes, limits: Limits, result: ParseResult) -> ParseResult:
    """Decode, sniff the delimiter, and hand the rows to the shared spreadsheet path."""
    result.format = "csv"
    text = decode_text(data)
    if text is None:
        result.errors.append(
            ImportIssue("文件", "无法识别文件编码，请将 CSV 另存为“UTF-8”或 GBK 编码后上传")
        )
        return result
    delim = sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error:
        result.errors.append(ImportIssue("文件", "CSV 文件格式有误（引号不匹配），无法读取"))
        return result
    return parse_rows(rows, "csv", limits, result)
