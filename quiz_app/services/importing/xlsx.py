"""Reading .xlsx question banks: safety checks first, then one streaming pass with openpyxl."""

from __future__ import annotations

import io
import posixpath
import warnings
import zipfile
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

from .limits import (
    MSG_NOT_XLSX,
    MSG_UNSAFE_XML,
    HostileFile,
    Limits,
    open_zip,
    scan_xml_members,
)
from .table import TITLE_ROWS, Sheet, parse_sheets
from .types import ImportIssue, ParseResult


def _read_xml(zf: zipfile.ZipFile, name: str) -> Element:
    try:
        return SafeET.fromstring(zf.read(name))
    except DefusedXmlException as exc:
        raise HostileFile(MSG_UNSAFE_XML) from exc
    except (KeyError, SafeET.ParseError, zipfile.BadZipFile, OSError) as exc:
        raise HostileFile(MSG_NOT_XLSX) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el: Element, local: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key) == local:
            return value
    return None


def list_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, zip path) of every worksheet, in the workbook's order."""
    workbook_path = "xl/workbook.xml"
    for rel in _read_xml(zf, "_rels/.rels"):
        if (rel.get("Type") or "").endswith("/officeDocument"):
            workbook_path = (rel.get("Target") or workbook_path).lstrip("/")
    base = posixpath.dirname(workbook_path)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook_path) + ".rels")
    targets = {}
    for rel in _read_xml(zf, rels_path):
        if (rel.get("Type") or "").endswith("/worksheet"):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            targets[rel.get("Id")] = posixpath.normpath(path)
    sheets = [
        (el.get("name") or "", targets[_attr(el, "id")])
        for el in _read_xml(zf, workbook_path).iter()
        if _local(el.tag) == "sheet" and _attr(el, "id") in targets
    ]
    if not sheets:
        raise HostileFile(MSG_NOT_XLSX)
    return sheets


def parse_xlsx(data: bytes, limits: Limits, result: ParseResult) -> ParseResult:
    """Refuse hostile archives, then read every worksheet once and validate them together.

    openpyxl in read-only, data-only mode streams the sheets and gives formulas' cached values; it
    does not report merged cells in that mode, so the merged ranges come from the safety scan.
    """
    result.format = "xlsx"
    try:
        zf = open_zip(data, limits)
        with zf:
            listed = list_sheets(zf)
            scans = scan_xml_members(zf, [path for _name, path in listed])
    except HostileFile as exc:
        result.errors.append(ImportIssue("文件", str(exc)))
        return result

    sheets: list[Sheet] = []
    truncated = False
    filled = 0
    cap = limits.max_rows + TITLE_ROWS + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                for name, path in listed:
                    if truncated or name not in wb.sheetnames:
                        continue
                    ws = wb[name]
                    if not hasattr(ws, "reset_dimensions"):  # a chartsheet: no cells
                        continue
                    # Some writers store a wrong <dimension>; without it openpyxl reads what is there.
                    ws.reset_dimensions()
                    rows: list[list[object] | tuple[object, ...]] = []
                    for values in ws.iter_rows(values_only=True):
                        if any(v is not None and v != "" for v in values):
                            filled += 1
                            if filled > cap:
                                truncated = True
                                break
                        rows.append(values)
                    scan = scans[path]
                    _fill_merged(rows, scan.merges)
                    formulas = set()
                    for ref in scan.formulas_without_value:
                        r, c = coordinate_to_tuple(ref)
                        formulas.add((r - 1, c - 1))
                    sheets.append(Sheet(name, rows, formulas))
            finally:
                wb.close()
    except Exception:  # openpyxl raises many kinds on damaged files; all mean the same
        result.errors.append(ImportIssue("文件", MSG_NOT_XLSX))
        return result
    return parse_sheets(sheets, "xlsx", limits, result, truncated)


def _fill_merged(rows: list[list[object] | tuple[object, ...]], merges: list[str]) -> None:
    """Give every cell of a merged range the value of its top-left cell, as the reader sees it."""
    for ref in merges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except ValueError:
            continue
        if min_row > len(rows) or min_col is None or min_row is None:
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for r in range(min_row - 1, min(max_row or min_row, len(rows))):
            row = list(rows[r])
            if len(row) < (max_col or min_col):
                row.extend([None] * ((max_col or min_col) - len(row)))
            for c in range(min_col - 1, max_col or min_col):
                row[c] = value
            rows[r] = row
