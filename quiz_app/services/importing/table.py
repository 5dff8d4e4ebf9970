"""Rows of cells (from .xlsx or .csv) → RawQuestion objects, shared by both spreadsheet readers.

A workbook may hold one sheet per question type without a 题型 column (the sheet's name says the
type); every sheet is read, and a sheet without a question header is reported, never ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from quiz_app.services.xlsx_out import unquote_cell

from . import columns as col
from .limits import Limits
from .normalise import cell_text
from .types import ImportIssue, ParseResult, Reconciliation
from .validate import (
    RawQuestion,
    build_result,
    split_categories,
    split_tags,
    too_many_message,
    type_named_in,
)

TITLE_ROWS = 8
FORMULA_NO_VALUE = "单元格是公式，但文件中没有保存计算结果；请用 Excel 打开并保存后再上传"
NO_HEADER = "没有同时包含“题干”和“答案”列名的行，请按题库模板填写表头"


@dataclass
class Sheet:
    """One sheet's rows as read; rows[i] is spreadsheet row i+1, which messages name.

    formula_cells holds (row index, column index) of formulas that have no cached value.
    """

    name: str
    rows: Sequence[Sequence[object]]
    formula_cells: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()


@dataclass
class _Read:
    raws: list[RawQuestion] = field(default_factory=list)
    content_rows: int = 0


def _text(value: object) -> str:
    return unquote_cell(cell_text(value))


def _sheet_raws(sheet: Sheet, header_idx: int, mapping: dict[str, int], prefix: str) -> _Read:
    infer = col.TYPE not in mapping
    sheet_type = type_named_in(sheet.name) if infer else None
    wanted = list(mapping.items())
    option_idx = [mapping.get(name) for name in col.OPTION_COLUMNS]
    while option_idx and option_idx[-1] is None:
        option_idx.pop()
    blank_idx = col.blank_columns(mapping)
    read = _Read()
    rows, formula_cells = sheet.rows, sheet.formula_cells
    for r in range(header_idx + 1, len(rows)):
        row = rows[r]
        width = len(row)
        cells: dict[str, str] = {}
        for name, c in wanted:
            if c < width:
                text = _text(row[c])
                if text:
                    cells[name] = text
        formulas = [name for name, c in wanted if (r, c) in formula_cells] if formula_cells else []
        if not cells and not formulas:
            continue
        read.content_rows += 1
        answer = cells.get(col.ANSWER, "")
        if not answer and blank_idx:
            parts = [cells.get(col.blank_column(i + 1), "") for i in range(len(blank_idx))]
            while parts and not parts[-1]:
                parts.pop()
            answer = "；".join(parts)
        categories: str | list[str] = cells.get(col.CATEGORY, "")
        if col.TAGS in cells:
            categories = [*split_categories(categories), *split_tags(cells[col.TAGS])]
        raw = RawQuestion(
            where=f"{prefix}第{r + 1}行",
            type=cells.get(col.TYPE, "") or (sheet_type.label if sheet_type else ""),
            stem=cells.get(col.STEM, ""),
            options=[cells.get(col.OPTION_COLUMNS[i], "") for i in range(len(option_idx))],
            answer=answer,
            explanation=cells.get(col.EXPLANATION, ""),
            categories=categories,
            difficulty=cells.get(col.DIFFICULTY, ""),
            score=cells.get(col.SCORE, ""),
            infer_type=infer and sheet_type is None,
        )
        if formulas:
            raw.issues.extend((name, FORMULA_NO_VALUE) for name in formulas)
            raw.broken = True
        read.raws.append(raw)
    return read


def parse_sheets(
    sheets: Sequence[Sheet],
    fmt: str,
    limits: Limits,
    result: ParseResult,
    truncated: bool = False,
) -> ParseResult:
    """Find each sheet's header (title rows above it are allowed) and validate every data row of
    every sheet as one file, so repeats across sheets are found too."""
    found = []
    for sheet in sheets:
        head = [[cell_text(v) for v in row] for row in sheet.rows[: TITLE_ROWS + 1]]
        header = col.find_header(head, TITLE_ROWS)
        if header is None:
            if len(sheets) == 1:
                result.format = fmt
                result.errors.append(
                    ImportIssue("表头", f"表头：前{TITLE_ROWS + 1}行中{NO_HEADER}")
                )
                return result
            filled = sum(1 for row in sheet.rows if any(_text(v) for v in row))
            what = f"（{filled}行内容）" if filled else "（空表）"
            result.skipped.append(
                ImportIssue(
                    f"工作表“{sheet.name}”",
                    f"工作表“{sheet.name}”{what}没有题目表头（前{TITLE_ROWS + 1}行中需有同时含"
                    "“题干”和“答案”的行），未读取",
                )
            )
            continue
        found.append((sheet, *header))
    if not found:
        result.format = fmt
        result.errors.append(
            ImportIssue("表头", f"表头：所有工作表的前{TITLE_ROWS + 1}行中都{NO_HEADER}")
        )
        return result
    raws: list[RawQuestion] = []
    for sheet, header_idx, mapping in found:
        prefix = f"工作表“{sheet.name}”" if len(found) > 1 else ""
        if col.TYPE not in mapping and type_named_in(sheet.name) is None:
            result.warnings.append(
                ImportIssue(
                    "表头",
                    f"{prefix}表头：没有“题型”列，将根据选项和答案推断每道题的题型",
                )
            )
        raws.extend(_sheet_raws(sheet, header_idx, mapping, prefix).raws)
    if truncated:
        result.format = fmt
        result.errors.append(ImportIssue("文件", too_many_message(None, limits)))
        return result
    # Every row with content below a header becomes one question, so the counts agree by
    # construction; what a spreadsheet can lose is a whole sheet, listed in skipped above.
    census = Reconciliation(seen=len(raws), recognised=len(raws))
    return build_result(raws, fmt, limits, result, census)


def parse_rows(
    rows: Sequence[Sequence[object]],
    fmt: str,
    limits: Limits,
    result: ParseResult,
    formula_cells: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
    truncated: bool = False,
) -> ParseResult:
    """One sheet's rows (a CSV file, or a workbook with a single sheet)."""
    return parse_sheets([Sheet("", rows, formula_cells)], fmt, limits, result, truncated)
