"""专题 and materials: creating, editing, publishing, and who may edit, study or fetch them.

A material lives in a campaign or in a 专题 (its "holder"); both have an audience of branches
with subtrees narrowed by groups, which ``services.audience`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Campaign, CampaignStatus, User
from quiz_app.models.study import (
    MaterialKind,
    StudyFile,
    StudyMaterial,
    StudyTrack,
    TrackStatus,
)
from quiz_app.services import access
from quiz_app.services.audience import in_audience, set_audience
from quiz_app.services.study import content

Holder = StudyTrack | Campaign
MAX_MIN_MINUTES = 600


class StudyError(ValueError):
    """A change refused; the message (Chinese) is shown as is."""


# --- who may do what ---------------------------------------------------------------------------


def can_edit_track(user: User, track: StudyTrack) -> bool:
    """A 专题 belongs to its creator: the creator (still an organizer) or an admin edits it."""
    if access.is_admin(user):
        return True
    return access.can_organize(user) and track.created_by_id == user.id


def can_edit_materials(user: User, holder: Holder) -> bool:
    """Editing materials follows the holder's own edit right."""
    if isinstance(holder, StudyTrack):
        return can_edit_track(user, holder)
    return access.can_edit_campaign(user, holder)


def holder_of(material: StudyMaterial) -> Holder:
    holder = material.track if material.track_id is not None else material.campaign
    assert holder is not None  # the table's check constraint
    return holder


def is_published(holder: Holder) -> bool:
    if isinstance(holder, StudyTrack):
        return holder.status == TrackStatus.PUBLISHED
    return holder.status != CampaignStatus.DRAFT


def is_open(holder: Holder, moment: datetime | None = None) -> bool:
    """Published and inside its window: study time is credited only then."""
    moment = moment or now()
    return is_published(holder) and holder.opens_at <= moment < holder.closes_at


def may_view(user: User, holder: Holder) -> bool:
    """People in the audience of a published holder, and organizers and admins (to check)."""
    if access.can_organize(user):
        return True
    return is_published(holder) and in_audience(user, holder)


def may_fetch(user: User, file: StudyFile) -> bool:
    return may_view(user, holder_of(file.material))


# --- 专题 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackInput:
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    quiz_id: int | None
    branch_ids: list[int]
    group_ids: list[int]


def save_track(track: StudyTrack | None, data: TrackInput, user: User) -> StudyTrack:
    """Create or update a 专题 from validated form input; flushes."""
    if not data.title.strip():
        raise StudyError("【专题名称】不能为空")
    if data.closes_at <= data.opens_at:
        raise StudyError("【结束时间】必须晚于开始时间")
    if track is None:
        track = StudyTrack(created_by_id=user.id)
        db.session.add(track)
    track.title = data.title.strip()
    track.description = data.description.strip()
    track.opens_at, track.closes_at = data.opens_at, data.closes_at
    track.quiz_id = data.quiz_id
    set_audience(track, data.branch_ids, data.group_ids)
    db.session.flush()
    return track


def publish_track(track: StudyTrack, moment: datetime | None = None) -> None:
    """Open a draft 专题 to its audience once it has an audience and something to study."""
    problems = []
    if track.status != TrackStatus.DRAFT:
        problems.append("只有草稿状态的专题可以发布")
    if not track.branches:
        problems.append("请先选择参加的部门")
    if not track.materials:
        problems.append("专题中还没有学习资料")
    if problems:
        raise StudyError("；".join(problems))
    track.status = TrackStatus.PUBLISHED.value
    track.published_at = moment or now()


def withdraw_track(track: StudyTrack) -> None:
    """Back to draft (hidden from employees); study time already credited stays."""
    if track.status != TrackStatus.PUBLISHED:
        raise StudyError("只有已发布的专题可以撤回")
    track.status = TrackStatus.DRAFT.value
    track.published_at = None


def visible_tracks(user: User, moment: datetime | None = None) -> list[StudyTrack]:
    """Published 专题 for this person that have opened, open ones first, soonest closing first."""
    moment = moment or now()
    rows = db.session.scalars(
        sa.select(StudyTrack)
        .where(StudyTrack.status == TrackStatus.PUBLISHED, StudyTrack.opens_at <= moment)
        .order_by(StudyTrack.closes_at)
    ).all()
    mine = [t for t in rows if in_audience(user, t)]
    return sorted(mine, key=lambda t: t.closes_at <= moment)


def campaigns_with_materials(user: User, moment: datetime | None = None) -> list[Campaign]:
    """Published campaigns for this person that have opened and hold study materials."""
    moment = moment or now()
    rows = db.session.scalars(
        sa.select(Campaign)
        .where(
            Campaign.status != CampaignStatus.DRAFT,
            Campaign.opens_at <= moment,
            Campaign.id.in_(sa.select(StudyMaterial.campaign_id)),
        )
        .order_by(Campaign.closes_at)
    ).all()
    return [c for c in rows if in_audience(user, c)]


def materials_of(holder: Holder) -> list[StudyMaterial]:
    if isinstance(holder, StudyTrack):
        return list(holder.materials)
    return list(
        db.session.scalars(
            sa.select(StudyMaterial)
            .where(StudyMaterial.campaign_id == holder.id)
            .order_by(StudyMaterial.position, StudyMaterial.id)
        )
    )


# --- materials ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialInput:
    kind: str
    title: str
    min_minutes: int
    body_md: str = ""
    url: str = ""


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StudyError("【链接地址】请填写以 http:// 或 https:// 开头的完整网址")
    return url


def _apply(material: StudyMaterial, data: MaterialInput) -> None:
    if not data.title.strip():
        raise StudyError("【标题】不能为空")
    if not 0 <= data.min_minutes <= MAX_MIN_MINUTES:
        raise StudyError(f"【最短学习时间】应在 0 到 {MAX_MIN_MINUTES} 分钟之间")
    material.title = data.title.strip()[:200]
    material.min_seconds = data.min_minutes * 60
    if material.kind == MaterialKind.ARTICLE:
        if not data.body_md.strip():
            raise StudyError("【正文】不能为空")
        material.body_md = data.body_md
        material.body_html = content.render_markdown(data.body_md)
    elif material.kind == MaterialKind.LINK:
        material.url = _check_url(data.url)
        material.min_seconds = 0  # a link is counted as opened, never as studied


def add_material(
    holder: Holder,
    data: MaterialInput,
    user: User,
    *,
    upload: Any = None,
    folder: Path | None = None,
    limits: dict[str, int] | None = None,
) -> StudyMaterial:
    """A new material at the end of the holder's list. PDFs and videos come with ``upload``
    (a file-like with ``.read``), stored in ``folder``; all-or-nothing: a refused file writes
    no row, and a failed row leaves no file behind. Flushes."""
    if data.kind not in {k.value for k in MaterialKind}:
        raise StudyError("【类型】请选择文章、PDF、视频或链接")
    material = StudyMaterial(kind=data.kind, created_by_id=user.id)
    _apply(material, data)
    if isinstance(holder, StudyTrack):
        material.track_id = holder.id
    else:
        material.campaign_id = holder.id
    last = db.session.scalar(
        sa.select(sa.func.max(StudyMaterial.position)).where(
            StudyMaterial.track_id == holder.id
            if isinstance(holder, StudyTrack)
            else StudyMaterial.campaign_id == holder.id
        )
    )
    material.position = (last or 0) + 1
    written: list[Path] = []
    try:
        if data.kind in (MaterialKind.PDF, MaterialKind.VIDEO):
            if upload is None or folder is None or limits is None:
                raise StudyError("【文件】请选择要上传的文件")
            material.file_name = (getattr(upload, "filename", "") or "")[-200:]
            db.session.add(material)
            db.session.flush()
            if data.kind == MaterialKind.PDF:
                written += _store_pdf(material, upload, folder, limits)
            else:
                written += _store_video(material, upload, folder, limits)
        db.session.add(material)
        db.session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return material


def _store_pdf(
    material: StudyMaterial, upload: Any, folder: Path, limits: dict[str, int]
) -> list[Path]:
    data = content.read_limited(upload.stream, limits["pdf_bytes"], "PDF 文件")
    rendered = content.render_pdf(data, limits["pdf_pages"])
    written = []
    file_id, size = content.store(folder, data)
    written.append(folder / file_id)
    db.session.add(
        StudyFile(
            id=file_id,
            material_id=material.id,
            role="pdf",
            content_type="application/pdf",
            size=size,
        )
    )
    for number, page in enumerate(rendered.pages, start=1):
        file_id, size = content.store(folder, page)
        written.append(folder / file_id)
        db.session.add(
            StudyFile(
                id=file_id, material_id=material.id, role="page", content_type="image/jpeg",
                size=size, page_no=number,
            )
        )  # fmt: skip
    material.page_count = len(rendered.pages)
    return written


def _store_video(
    material: StudyMaterial, upload: Any, folder: Path, limits: dict[str, int]
) -> list[Path]:
    head = upload.stream.read(12)
    content.check_mp4(head)
    upload.stream.seek(0)
    file_id, size = content.store_stream(folder, upload.stream, limits["video_bytes"], "视频文件")
    db.session.add(
        StudyFile(
            id=file_id, material_id=material.id, role="video", content_type="video/mp4", size=size
        )
    )
    return [folder / file_id]


def update_material(material: StudyMaterial, data: MaterialInput) -> None:
    """Change a material's title, minimum time, text or link (its kind and file stay)."""
    _apply(
        material, MaterialInput(material.kind, data.title, data.min_minutes, data.body_md, data.url)
    )
    db.session.flush()


def add_image(material: StudyMaterial, data: bytes, folder: Path) -> StudyFile:
    """An image for an article, checked by its bytes; returns the stored file."""
    if material.kind != MaterialKind.ARTICLE:
        raise StudyError("只有文章可以插入图片")
    mime = content.check_image(data)
    file_id, size = content.store(folder, data)
    row = StudyFile(id=file_id, material_id=material.id, role="image", content_type=mime, size=size)
    db.session.add(row)
    db.session.flush()
    return row


def move_material(material: StudyMaterial, step: int) -> None:
    """Swap with the neighbour above (step −1) or below (+1)."""
    siblings = materials_of(holder_of(material))
    for index, m in enumerate(siblings):
        m.position = index + 1
    index = siblings.index(material)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = other + 1, index + 1
    db.session.flush()


def delete_material(material: StudyMaterial, folder: Path) -> list[Path]:
    """Remove a material, its progress rows and files; returns the file paths to unlink once the
    transaction commits."""
    from quiz_app.models.study import StudyProgress

    if db.session.scalar(sa.select(sa.exists().where(StudyProgress.material_id == material.id))):
        raise StudyError("已经有人学习过这份资料，不能删除（学习记录要保留）")
    paths = [folder / f.id for f in material.files]
    db.session.delete(material)
    db.session.flush()
    return paths


def file_row(file_id: str) -> StudyFile | None:
    return db.session.get(StudyFile, file_id)
