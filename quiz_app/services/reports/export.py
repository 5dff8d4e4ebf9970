"""Exports of a requirement's reports: an .xlsx (one row per report, text included, with the
formula-injection guard) and a .docx 汇编 of the approved reports grouped by branch."""

from __future__ import annotations

import io
from datetime import datetime

import sqlalchemy as sa
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from quiz_app.clock import format_local
from quiz_app.extensions import db
from quiz_app.models import Branch, ReportRequirement, ReportStatus, StudyReport, User
from quiz_app.services.branches import full_name, in_tree_order
from quiz_app.services.reports.writing import char_count
from quiz_app.services.xlsx_out import workbook_bytes


def _reports(
    requirement: ReportRequirement,
    branch_ids: sa.Select[tuple[int]] | None,
    status: str | None = None,
) -> list[StudyReport]:
    stmt = (
        sa.select(StudyReport)
        .join(User, User.id == StudyReport.user_id)
        .where(StudyReport.requirement_id == requirement.id)
        .order_by(User.real_name, User.id)
    )
    if status is not None:
        stmt = stmt.where(StudyReport.status == status)
    else:
        stmt = stmt.where(StudyReport.status != ReportStatus.DRAFT.value)  # drafts stay private
    if branch_ids is not None:
        stmt = stmt.where(StudyReport.branch_id.in_(branch_ids))
    return list(db.session.scalars(stmt))


def reports_xlsx(
    requirement: ReportRequirement, branch_ids: sa.Select[tuple[int]] | None = None
) -> bytes:
    """Every submitted report, one row each, with its latest text and review."""
    rows = []
    for r in _reports(requirement, branch_ids):
        latest = r.latest
        review = latest.reviews[-1] if latest is not None and latest.reviews else None
        late = r.first_submitted_at is not None and r.first_submitted_at > requirement.due_at
        rows.append(
            (
                full_name(r.branch),
                r.user.real_name,
                r.user.username,
                r.status_enum.label,
                len(r.versions),
                format_local(r.first_submitted_at),
                format_local(r.submitted_at),
                "是" if late else "否",
                review.reviewed_by.real_name if review and review.reviewed_by else "",
                review.comment if review else "",
                char_count(latest.body if latest else ""),
                latest.body if latest else "",
            )
        )
    header = [
        "部门",
        "姓名",
        "登录名",
        "状态",
        "提交次数",
        "首次提交",
        "最近提交",
        "逾期提交",
        "审阅人",
        "审阅意见",
        "字数",
        "正文",
    ]
    return workbook_bytes([("一学一报", header, rows)])


def _cjk_font(document: Document) -> None:
    """A Chinese body font, so Word and WPS show the text in a 宋体-style face."""
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")


def compilation_docx(
    requirement: ReportRequirement,
    org_name: str,
    moment: datetime,
    branch_ids: sa.Select[tuple[int]] | None = None,
) -> bytes:
    """The 汇编: a title page, then per branch (tree order) each approved report with its author,
    date and text — the document a bureau files."""
    reports = _reports(requirement, branch_ids, ReportStatus.APPROVED.value)
    by_branch: dict[int, list[StudyReport]] = {}
    for r in reports:
        by_branch.setdefault(r.branch_id, []).append(r)
    branches = in_tree_order(
        list(db.session.scalars(sa.select(Branch).where(Branch.id.in_(list(by_branch)))))
    )
    doc = Document()
    _cjk_font(doc)
    for _ in range(6):
        doc.add_paragraph()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{requirement.title}\n一学一报汇编")
    run.bold = True
    run.font.size = Pt(22)
    for text in (
        org_name,
        f"截止时间：{format_local(requirement.due_at, '%Y年%m月%d日')}",
        f"收录审阅通过的报告 {len(reports)} 篇，涉及 {len(branches)} 个部门",
        f"编印日期：{format_local(moment, '%Y年%m月%d日')}",
    ):
        line = doc.add_paragraph(text)
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    if not reports:
        doc.add_paragraph("目前还没有审阅通过的报告。")
    for branch in branches:
        doc.add_heading(full_name(branch), level=1)
        for r in by_branch[branch.id]:
            latest = r.latest
            assert latest is not None
            doc.add_heading(r.user.real_name, level=2)
            meta = doc.add_paragraph(
                f"{r.user.real_name} · {branch.name} · 提交于 "
                f"{format_local(latest.submitted_at, '%Y年%m月%d日')}"
            )
            meta.runs[0].italic = True
            for para in latest.body.splitlines():
                if para.strip():
                    doc.add_paragraph(para.strip())
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
