"""The campaign workbook: every figure of the campaign page as .xlsx sheets."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from quiz_app.clock import format_local
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    Branch,
    Campaign,
    User,
)
from quiz_app.services.stats.common import (
    _ratio,
)
from quiz_app.services.stats.figures import (
    _counted_in,
    branch_figures,
    not_participated,
    topic_mastery,
)
from quiz_app.services.stats.items import (
    item_analysis,
)
from quiz_app.services.stats.ranking import (
    peers,
)
from quiz_app.services.xlsx_out import workbook_bytes

# --- export ------------------------------------------------------------------------------------


def _p(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _n(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def export_xlsx(campaign: Campaign, focus: Sequence[Branch]) -> bytes:
    """部门汇总, 个人成绩, 未参与名单, 知识点掌握, 试题分析 — values only, text neutralised."""
    from quiz_app.services.branches import full_name

    summary, people, missing, topics, items = [], [], [], [], []
    for quiz in campaign.quizzes:
        figs = branch_figures(campaign, quiz, focus)
        for r in [*figs.rows, figs.total]:
            summary.append(
                [
                    quiz.title,
                    ("　" * r.depth) + r.name,
                    r.expected,
                    r.took_part,
                    r.finished,
                    _p(r.participation_rate),
                    r.scored,
                    _n(r.avg_score),
                    _n(r.median_score),
                    _n(r.max_score_got),
                    _p(r.score_rate),
                    _p(r.pass_rate),
                    _n(r.avg_time, 0),
                ]
            )
        counted, in_focus = _counted_in(quiz, focus)
        stmt = (
            sa.select(
                User.real_name,
                User.username,
                Branch.id,
                counted.c.score,
                Attempt.max_score,
                Attempt.passed,
                counted.c.time_used,
                counted.c.finished_at,
            )
            .join(Attempt, Attempt.id == counted.c.attempt_id)
            .join(User, User.id == counted.c.user_id)
            .join(Branch, Branch.id == counted.c.branch_id)
            .where(in_focus)
            .order_by(
                counted.c.score.desc(), counted.c.time_used.asc(), counted.c.finished_at.asc()
            )
        )
        names: dict[int, str] = {}
        for i, r in enumerate(db.session.execute(stmt), start=1):
            if r[2] not in names:
                names[r[2]] = full_name(db.session.get(Branch, r[2]))  # type: ignore[arg-type]
            people.append(
                [
                    quiz.title,
                    i,
                    r.real_name,
                    r.username,
                    names[r[2]],
                    float(r.score),
                    float(r.max_score),
                    _p(_ratio(r.score, r.max_score)),
                    {True: "是", False: "否"}.get(r.passed, ""),
                    r.time_used,
                    format_local(r.finished_at, "%Y-%m-%d %H:%M:%S"),
                ]
            )
        for g in not_participated(campaign, quiz, focus, figs):
            bname = full_name(db.session.get(Branch, g.branch_id))  # type: ignore[arg-type]
            for name, username in g.people:
                missing.append([quiz.title, bname, name, username])
        cols = peers(figs, focus)
        for t in topic_mastery(quiz, focus, cols):
            topics.append([quiz.title, t.category, "合计", t.answered, t.correct, _p(t.rate)])
            for c in cols:
                n_, c_ = t.by_branch.get(c.branch_id or 0, (0, 0))
                if n_:
                    topics.append([quiz.title, t.category, c.name, n_, c_, _p(_ratio(c_, n_))])
        ia = item_analysis(quiz, focus)
        for it in ia.items:
            items.append(
                [
                    quiz.title,
                    it.question_id,
                    it.revision_number,
                    it.type_label,
                    it.stem,
                    it.key_text,
                    it.drawn,
                    it.answered,
                    _p(it.facility),
                    _n(it.discrimination, 3),
                    "；".join(  # judge options read 正确 / 错误, never T / F
                        f"{o.text if it.type == 'judge' else o.key}:{o.count}" for o in it.options
                    ),
                    it.top_answer or "",
                    "；".join(it.flags),
                ]
            )
    return workbook_bytes(
        [
            (
                "部门汇总",
                [
                    "竞答",
                    "部门",
                    "应参与人数",
                    "已参与人数",
                    "已完成人数",
                    "参与率(%)",
                    "计分人数",
                    "平均分",
                    "中位数",
                    "最高分",
                    "得分率(%)",
                    "及格率(%)",
                    "平均用时(秒)",
                ],
                summary,
            ),
            (
                "个人成绩",
                [
                    "竞答",
                    "名次",
                    "姓名",
                    "登录名",
                    "部门",
                    "得分",
                    "满分",
                    "得分率(%)",
                    "及格",
                    "用时(秒)",
                    "交卷时间",
                ],
                people,
            ),
            ("未参与名单", ["竞答", "部门", "姓名", "登录名"], missing),
            ("知识点掌握", ["竞答", "知识点", "部门", "作答题次", "答对题次", "答对率(%)"], topics),
            (
                "试题分析",
                [
                    "竞答",
                    "题目编号",
                    "版本",
                    "题型",
                    "题干",
                    "正确答案",
                    "抽到次数",
                    "作答次数",
                    "答对率(%)",
                    "区分度",
                    "各选项人次",
                    "选得最多的答案",
                    "提示",
                ],
                items,
            ),
        ]
    )
