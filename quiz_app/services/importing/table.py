"""Rows of cells (from .xlsx or .csv) → RawQuestion objects, shared by both spreadsheet readers."""

from __future__ import annotations

from collections.abc import Sequence

from . import columns as col
from .limits import Limits
from .normalise import cell_text
from .types import ImportIssue, ParseResult
from .validate import RawQuestion, build_result, too_many_message

TITLE_ROWS = 8
FORMULA_NO_VALUE = "单元格是公式，但文件中没有保存计算结果；请用 Excel 打开并保存后再上传"


def parse_rows(
    rows: Sequence[Sequence[object]],
    fmt: str,
    limits: Limits,
    result: ParseResult,
    formula_cells: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
    truncated: bool = False,
) -> ParseResult:
    """Find the header (title rows above it are allowed) and validate every data row.

    rows[i] is spreadsheet row i+1, which is what the messages name. formula_cells holds
    (row index, column index) of formulas that have no cached value.
    """
    head = [[cell_text(v) for v in row] for row in rows[: TITLE_ROWS + 1]]
    found = col.find_header(head, TITLE_ROWS)
    if found is None:
        result.format = fmt
        result.errors.append(
            ImportIssue(
                "表头",
                f"表头：前{TITLE_ROWS + 1}行中没有同时包含“题干”和“答案”列名的行，"
                "请按题库模板填写表头",
            )
        )
        return result
    header_idx, mapping = found
    infer = col.TYPE not in mapping
    if infer:
        result.warnings.append(
            ImportIssue("表头", "表头：没有“题型”列，将根据选项和答案推断每道题的题型")
        )
    wanted = list(mapping.items())
    option_idx = [mapping.get(name) for name in col.OPTION_COLUMNS]
    while option_idx and option_idx[-1] is None:
        option_idx.pop()

    raws: list[RawQuestion] = []
    for r in range(header_idx + 1, len(rows)):
        row = rows[r]
        width = len(row)
        cells: dict[str, str] = {}
        for name, c in wanted:
            if c < width:
                text = cell_text(row[c])
                if text:
                    cells[name] = text
        formulas = [name for name, c in wanted if (r, c) in formula_cells] if formula_cells else []
        if not cells and not formulas:
            continue
        raw = RawQuestion(
            where=f"第{r + 1}行",
            type=cells.get(col.TYPE, ""),
            stem=cells.get(col.STEM, ""),
            options=[cells.get(col.OPTION_COLUMNS[i], "") for i in range(len(option_idx))],
            answer=cells.get(col.ANSWER, ""),
            explanation=cells.get(col.EXPLANATION, ""),
            categories=cells.get(col.CATEGORY, ""),
            difficulty=cells.get(col.DIFFICULTY, ""),
            score=cells.get(col.SCORE, ""),
            infer_type=infer,
        )
        if formulas:
            raw.issues.extend((name, FORMULA_NO_VALUE) for name in formulas)
            raw.broken = True
        raws.append(raw)
    if truncated:
        result.format = fmt
        result.errors.append(ImportIssue("文件", too_many_message(None, limits)))
        return result
    return build_result(raws, fmt, limits, result)
