"""Writing and reviewing a report: autosaved drafts (ordered by a sequence number, like quiz
answers), submission with the minimum length, review (approve / return with a comment), and the
photos attached to a report. Every submission is kept as a version; reviews never overwrite."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import (
    ReportPhoto,
    ReportRequirement,
    ReportReview,
    ReportStatus,
    ReportVersion,
    StudyReport,
    User,
)
from quiz_app.services import points
from quiz_app.services.audience import in_audience
from quiz_app.services.reports.requirements import ReportError, can_review

MAX_BODY_CHARS = 20000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FOLDER = "report_photos"
_SPACE = re.compile(r"\s+")


def char_count(text: str) -> int:
    """Characters as a reviewer counts them: spaces and line breaks do not count."""
    return len(_SPACE.sub("", text or ""))


def _locked_report(requirement: ReportRequirement, user: User) -> StudyReport:
    """The person's report row, created on first use and locked for this transaction (two
    phones saving at once create one row and take turns)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(StudyReport)
        .values(
            requirement_id=requirement.id,
            user_id=user.id,
            branch_id=user.branch_id,
            status=ReportStatus.DRAFT.value,
            body="",
            draft_seq=0,
            created_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["requirement_id", "user_id"])
    )
    return db.session.scalars(
        sa.select(StudyReport)
        .where(StudyReport.requirement_id == requirement.id, StudyReport.user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _writable(requirement: ReportRequirement, user: User) -> StudyReport:
    if not in_audience(user, requirement):
        raise ReportError("您不在这项一学一报的报送范围内", 403)
    report = _locked_report(requirement, user)
    if report.status == ReportStatus.APPROVED:
        raise ReportError("报告已通过审阅，不能再修改", 409)
    if report.status == ReportStatus.SUBMITTED:
        raise ReportError("报告已提交，正在等待审阅；退回后才能修改", 409)
    return report


def _check_length(body: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise ReportError(f"【正文】不能超过{MAX_BODY_CHARS}字，目前{len(body)}字")


@dataclass(frozen=True)
class Saved:
    report: StudyReport
    applied: bool  # False: a newer save (higher seq) was already stored


def save_draft(
    requirement: ReportRequirement,
    user: User,
    body: str,
    seq: int,
    moment: datetime,
    deliberate: bool = False,
) -> Saved:
    """Store the text typed so far — unless a save with a higher ``seq`` already arrived, so an
    old save delivered late by a flaky network never overwrites newer text. A ``deliberate``
    save (the person pressed 保存草稿) always wins and numbers past every earlier save."""
    _check_length(body)
    report = _writable(requirement, user)
    if deliberate:
        seq = max(seq, report.draft_seq + 1)
    if seq <= report.draft_seq:
        return Saved(report, False)
    report.body = body
    report.draft_seq = seq
    report.draft_saved_at = moment
    db.session.flush()
    return Saved(report, True)


def submit(
    requirement: ReportRequirement, user: User, body: str, moment: datetime, seq: int = 0
) -> ReportVersion:
    """Hand in ``body`` as a new version (late is allowed, and shows as late). ``seq`` is the
    page's latest save number: autosaves numbered up to it, arriving late, change nothing."""
    _check_length(body)
    report = _writable(requirement, user)
    report.draft_seq = max(report.draft_seq, seq)
    count = char_count(body)
    if count < requirement.min_chars:
        report.body = body  # what was typed is kept as the draft even when refused
        report.draft_saved_at = moment
        db.session.flush()
        raise ReportError(
            f"【正文】至少需要{requirement.min_chars}字（不计空格和换行），"
            f"目前{count}字，还差{requirement.min_chars - count}字"
        )
    version = ReportVersion(
        report=report,
        number=len(report.versions) + 1,
        body=body,
        photo_ids=[p.id for p in report.photos if not p.removed],
        submitted_at=moment,
    )
    db.session.add(version)
    report.body = body
    report.status = ReportStatus.SUBMITTED.value
    report.submitted_at = moment
    report.first_submitted_at = report.first_submitted_at or moment
    report.branch_id = user.branch_id
    db.session.flush()
    return version


def review(
    report: StudyReport, reviewer: User, decision: str, comment: str, moment: datetime
) -> ReportReview:
    """Approve the submitted version, or return it (a comment is required). An approved report
    may still be returned: its points are then taken back by a correcting ledger entry."""
    if not can_review(reviewer, report):
        raise ReportError("您不能审阅这份报告", 403)
    report = db.session.scalars(
        sa.select(StudyReport)
        .where(StudyReport.id == report.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    comment = (comment or "").strip()
    version = report.latest
    if decision == "approved":
        if report.status != ReportStatus.SUBMITTED or version is None:
            raise ReportError("只有已提交、待审阅的报告可以通过", 409)
    elif decision == "returned":
        if report.status not in (ReportStatus.SUBMITTED, ReportStatus.APPROVED) or not version:
            raise ReportError("只有已提交或已通过的报告可以退回", 409)
        if not comment:
            raise ReportError("【退回意见】请写明需要修改的地方")
    else:
        raise ReportError("请选择“通过”或“退回”")
    if len(comment) > 2000:
        raise ReportError("【审阅意见】不能超过2000字")
    entry = ReportReview(
        version=version,
        decision=decision,
        comment=comment,
        reviewed_by_id=reviewer.id,
        reviewed_at=moment,
    )
    db.session.add(entry)
    key = f"report:{report.id}"
    if decision == "approved":
        report.status = ReportStatus.APPROVED.value
        report.approved_at = moment
        points.award(report.user_id, "report_approved", key, moment)
    else:
        if report.status == ReportStatus.APPROVED:
            points.correct(report.user_id, "report_approved", key, "一学一报被退回", moment)
        report.status = ReportStatus.RETURNED.value
        report.approved_at = None
    db.session.flush()
    return entry


# --- photos ------------------------------------------------------------------------------------

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes — never from its name."""
    for magic, ctype, ext in _MAGIC:
        if data.startswith(magic):
            return ctype, ext
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def add_photo(
    requirement: ReportRequirement, user: User, data: bytes, folder: Path, moment: datetime
) -> ReportPhoto:
    """Attach an image (JPEG, PNG or WebP by content; at most 5 MB; up to the requirement's
    number) under a random name in ``folder``."""
    if requirement.max_photos == 0:
        raise ReportError("这项一学一报不收照片")
    report = _writable(requirement, user)
    kept = [p for p in report.photos if not p.removed]
    if len(kept) >= requirement.max_photos:
        raise ReportError(f"【照片】最多{requirement.max_photos}张，请先删去一张")
    if not data:
        raise ReportError("【照片】请选择一张图片")
    if len(data) > MAX_PHOTO_BYTES:
        raise ReportError(f"【照片】每张不能超过{MAX_PHOTO_BYTES // 1048576} MB")
    kind = sniff_image(data)
    if kind is None:
        raise ReportError("【照片】只能上传 JPG、PNG 或 WebP 格式的图片")
    name = f"{secrets.token_hex(16)}.{kind[1]}"
    target = folder / PHOTO_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    (target / name).write_bytes(data)
    photo = ReportPhoto(
        report=report, stored_name=name, content_type=kind[0], size=len(data), created_at=moment
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def remove_photo(photo: ReportPhoto, user: User) -> None:
    """Take a photo off a report being written (versions already submitted keep showing it)."""
    if photo.report.user_id != user.id:
        raise ReportError("只能删除自己报告中的照片", 403)
    _writable(photo.report.requirement, user)
    photo.removed = True
    db.session.flush()


def can_see_photo(user: User, photo: ReportPhoto) -> bool:
    """Only the author and the report's reviewers see its photos."""
    return photo.report.user_id == user.id or can_review(user, photo.report)


def photo_path(photo: ReportPhoto, folder: Path) -> Path:
    return folder / PHOTO_FOLDER / photo.stored_name
