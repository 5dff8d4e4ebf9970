"""The year's paragraph, written in the annual report's style from whichever figures exist.

The report reads "今年以来，理论学习中心组学习xx次，召开支委会xx次，党员大会xx次，支部书记讲党课xx次，
主题党日活动xx次。" and "组织开展网上知识竞答活动…". A clause is written only from figures a provider
gave; a source with no figures at all is named in ``missing`` so the page can say which records
are not yet in the platform. Every number is a ``Piece`` with the figure behind it (its link).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from quiz_app.services.xlsx_out import workbook_bytes

# (code, phrase) in the order of the report's sentence; 召开 goes before the first meeting held
MEETINGS = (
    ("center_group", "理论学习中心组学习", False),
    ("committee", "支委会", True),
    ("party_congress", "党员大会", True),
    ("group", "党小组会", True),
    ("lecture", "支部书记讲党课", False),
    ("theme_day", "主题党日活动", False),
    ("life_meeting", "组织生活会", True),
    ("special", "专题宣讲、专题学习", False),
)

# source → (the records the page names when that source gave nothing, keys it provides)
SOURCES = {
    "meetings": (
        "会议记录（三会一课、主题党日、中心组学习等）",
        tuple(f"meeting.{c}.count" for c, _, _ in MEETINGS),
    ),
    "study": (
        "线上学习和专题学习记录（人数、学习时长）",
        ("study.people", "study.minutes", "track.count", "track.people", "track.minutes"),
    ),
    "reports": ("“一学一报”学习报告", ("report.count", "report.approved")),
    "quiz": ("网上知识竞答", ("quiz.count",)),
    "survey": ("思想动态问卷", ("survey.count", "survey.responses")),
}


@dataclass
class Piece:
    """Text, or a number with the figure it comes from (``figure`` set)."""

    text: str
    figure: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        if self.figure is None:
            return ""
        return self.figure.get("url") or f"#fig-{self.figure['key'].replace('.', '-')}"


@dataclass
class Paragraph:
    pieces: list[Piece] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


def number(fig: dict[str, Any]) -> str:
    """A figure's value as the paragraph prints it, with its unit."""
    value = fig.get("value")
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        shown = f"{value:.1f}"
    else:
        shown = str(int(value)) if isinstance(value, float) else str(value)
    return f"{shown}{fig.get('unit', '')}"


def since_words(start: date, end: date, today: date) -> str:
    if start == date(today.year, 1, 1) and end >= today:
        return "今年以来"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def build(figures: dict[str, dict[str, Any]], start: date, end: date, today: date) -> Paragraph:
    """The paragraph from ``figures`` (key → figure dict) for [start, end] (Beijing dates)."""
    sentences: list[list[Piece]] = []

    def num(key: str) -> Piece:
        return Piece(number(figures[key]), figures[key])

    def has(*keys: str) -> bool:
        """A clause is written when its figures are there and its count is not zero: a report
        does not say "组织专题学习0次"; such sources are named in ``missing`` instead."""
        return all(k in figures for k in keys) and figures[keys[0]].get("value") not in (0, None)

    def shown(key: str) -> bool:
        """An optional part: left out when it has no value (a rate with nothing to divide)."""
        return key in figures and figures[key].get("value") is not None

    # 三会一课, 主题党日, 中心组
    parts: list[list[Piece]] = []
    convened = False
    for code, phrase, needs_convene in MEETINGS:
        key = f"meeting.{code}.count"
        if not has(key):
            continue
        words = phrase
        if needs_convene and not convened:
            words, convened = f"召开{phrase}", True
        parts.append([Piece(words), num(key)])
    if parts:
        sentences.append(_join(parts))
    # 线上学习, 专题学习
    study: list[list[Piece]] = []
    if has("study.people"):
        s = [Piece("开展线上学习"), num("study.people"), Piece("参加")]
        if shown("study.minutes"):
            s += [Piece("、累计学习"), num("study.minutes")]
        study.append(s)
    if has("track.count"):
        s = [Piece("组织专题学习"), num("track.count")]
        if shown("track.people"):
            s += [Piece("、"), num("track.people"), Piece("参加")]
        if shown("track.minutes"):
            s += [Piece("、累计"), num("track.minutes")]
        study.append(s)
    if study:
        sentences.append(_join(study))
    # 一学一报
    if has("report.count"):
        s = [Piece("严格落实“一学一报”制度，提交学习报告"), num("report.count")]
        if shown("report.approved"):
            s += [Piece("，其中审核通过"), num("report.approved")]
        sentences.append(s)
    # 网上知识竞答
    if has("quiz.count"):
        s = [Piece("组织开展网上知识竞答活动"), num("quiz.count")]
        if shown("quiz.person_times"):
            s += [Piece("，参与"), num("quiz.person_times")]
        if shown("quiz.participation_rate"):
            s += [Piece("，参与率"), num("quiz.participation_rate")]
        if shown("quiz.avg_score_rate"):
            s += [Piece("，平均得分率"), num("quiz.avg_score_rate")]
        sentences.append(s)
    # 思想动态问卷
    if has("survey.count"):
        s = [Piece("开展干部职工思想动态匿名问卷调查"), num("survey.count")]
        if shown("survey.responses"):
            s += [Piece("，收回答卷"), num("survey.responses")]
        sentences.append(s)
    out = Paragraph()
    for i, sentence in enumerate(sentences):
        if i == 0:
            out.pieces.append(Piece(f"{since_words(start, end, today)}，"))
        out.pieces.extend(sentence)
        out.pieces.append(Piece("。"))
    out.missing = [label for label, keys in SOURCES.values() if not any(has(k) for k in keys)]
    return out


def _join(parts: list[list[Piece]]) -> list[Piece]:
    out: list[Piece] = []
    for i, part in enumerate(parts):
        if i:
            out.append(Piece("，"))
        out.extend(part)
    return out


def rows(figures: dict[str, dict[str, Any]], base_url: str = "") -> list[list[Any]]:
    """(指标, 数值, 单位, 代码, 来源) for the table and the downloads."""
    out = []
    for fig in figures.values():
        url = fig.get("url") or ""
        if url and base_url and not url.startswith("http"):
            url = base_url.rstrip("/") + ("" if url.startswith("/") else "/") + url.lstrip("/")
        out.append([fig["label"], fig.get("value"), fig.get("unit", ""), fig["key"], url])
    return out


HEADER = ["指标", "数值", "单位", "代码", "来源"]


def xlsx(
    paragraph: Paragraph, figures: dict[str, dict[str, Any]], title: str, base_url: str
) -> bytes:
    """The figures and the paragraph as a workbook (two sheets)."""
    text_rows = [[title], [paragraph.text]]
    if paragraph.missing:
        text_rows.append(["平台上没有记录、未写入上文：" + "、".join(paragraph.missing)])
    return workbook_bytes(
        [("年度数据", HEADER, rows(figures, base_url)), ("报告用语", ["内容"], text_rows)]
    )


def docx(
    paragraph: Paragraph, figures: dict[str, dict[str, Any]], title: str, base_url: str
) -> bytes:
    """The paragraph and a table of the figures with their sources, as a Word document."""
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(paragraph.text)
    if paragraph.missing:
        doc.add_paragraph(
            "所选时间和范围内平台上没有记录、未写入上文（如有线下开展的，请另行补充）："
            + "、".join(paragraph.missing)
            + "。"
        )
    table = doc.add_table(rows=1, cols=len(HEADER))
    for cell, head in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = head
    for row in rows(figures, base_url):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
