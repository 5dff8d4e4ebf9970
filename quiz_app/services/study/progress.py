"""学习进度 for one person: per 专题 or campaign, what is done, what remains, time studied."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import User
from quiz_app.models.study import StudyMaterial, StudyProgress
from quiz_app.services.study import materials
from quiz_app.services.study.studytime import is_done


@dataclass(frozen=True)
class MaterialState:
    material: StudyMaterial
    seconds: int
    opened: bool
    done: bool

    @property
    def status(self) -> str:
        if self.done:
            return "已完成"
        if not self.opened:
            return "未开始"
        return "学习中"

    @property
    def remaining_seconds(self) -> int:
        return max(0, self.material.min_seconds - self.seconds)


@dataclass(frozen=True)
class HolderProgress:
    holder: materials.Holder
    items: list[MaterialState]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def seconds(self) -> int:
        return sum(i.seconds for i in self.items)

    @property
    def required_seconds(self) -> int:
        return sum(i.material.min_seconds for i in self.items)

    @property
    def counted_seconds(self) -> int:
        """Time studied toward the requirements (each material's credit is capped at its own)."""
        return sum(min(i.seconds, i.material.min_seconds) for i in self.items)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def status(self) -> str:
        """One line for lists: minutes when time is asked, else materials done."""
        if self.required_seconds:
            return f"已学 {self.counted_seconds // 60}/{self.required_seconds // 60} 分钟"
        return f"已完成 {self.done}/{self.total} 项"


def progress_for(user: User, holder: materials.Holder) -> HolderProgress:
    """Each material of the holder with this person's state in it."""
    items = materials.materials_of(holder)
    rows = {
        r.material_id: r
        for r in db.session.scalars(
            sa.select(StudyProgress).where(
                StudyProgress.user_id == user.id,
                StudyProgress.material_id.in_([m.id for m in items] or [-1]),
            )
        )
    }
    states = [
        MaterialState(
            m,
            rows[m.id].seconds if m.id in rows else 0,
            m.id in rows,
            is_done(m, rows.get(m.id)),
        )
        for m in items
    ]
    return HolderProgress(holder, states)


def material_state(user: User, material: StudyMaterial) -> MaterialState:
    row = db.session.get(StudyProgress, (user.id, material.id))
    return MaterialState(
        material, row.seconds if row else 0, row is not None, is_done(material, row)
    )
