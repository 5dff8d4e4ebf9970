"""Item analysis of a quiz: facility, discrimination, option counts, KR-20, and the items to look at."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import (
    AttemptItem,
    Branch,
    Question,
    QuestionRevision,
    Quiz,
)
from quiz_app.services.importing import OPTION_KEYS
from quiz_app.services.stats.common import (
    MIN_FLAG_ANSWERS,
    TYPE_LABELS,
    UPPER_LOWER,
    _int,
    _ratio,
)
from quiz_app.services.stats.figures import (
    _counted_in,
)

# --- item analysis -----------------------------------------------------------------------------


@dataclass
class OptionCount:
    key: str
    text: str
    count: int
    is_key: bool


@dataclass
class ItemRow:
    question_id: int
    bank_id: int
    revision_id: int
    revision_number: int
    type: str
    stem: str
    key_text: str
    drawn: int
    answered: int
    correct: int
    facility: float | None
    upper_facility: float | None
    lower_facility: float | None
    discrimination: float | None
    options: list[OptionCount]
    top_answer: str | None  # the most chosen complete answer, as text
    top_answer_count: int
    top_answer_is_key: bool | None
    flags: list[str] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)


@dataclass
class ItemAnalysis:
    quiz: Quiz
    attempts: int
    mean: float | None
    sd: float | None
    max_score: float
    kr20: float | None
    items_per_paper: float | None
    items: list[ItemRow]

    @property
    def flagged(self) -> list[ItemRow]:
        return [i for i in self.items if i.flags]


def _answer_text(rev: QuestionRevision, answer: Any) -> str:
    if answer is None:
        return "未作答"
    if rev.type == "judge":
        return "正确" if answer is True else "错误"
    if rev.type in ("single", "multiple"):
        keys = answer if isinstance(answer, list) else [answer]
        return "、".join(
            f"{k}. {rev.options[OPTION_KEYS.index(k)]}"
            if k in OPTION_KEYS[: len(rev.options)]
            else str(k)
            for k in keys
        )
    if isinstance(answer, list):
        return "；".join(str(a) for a in answer)
    return str(answer)


def _key_value(rev: QuestionRevision) -> Any:
    if rev.type == "single":
        return rev.answer[0] if rev.answer else None
    if rev.type == "multiple":
        return sorted(rev.answer)
    if rev.type == "judge":
        return list(rev.answer) == ["T"]
    return None


def item_analysis(quiz: Quiz, focus: Sequence[Branch]) -> ItemAnalysis:
    """Moodle-style statistics over counted attempts in the focus (one row per revision drawn)."""
    counted, in_focus = _counted_in(quiz, focus)
    scoped = (
        sa.select(counted.c.attempt_id, counted.c.score, counted.c.time_used, counted.c.finished_at)
        .where(in_focus)
        .subquery("scoped")
    )
    head = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(scoped.c.score),
            sa.func.sum(scoped.c.score * scoped.c.score),
        )
    ).one()
    n = int(head[0] or 0)
    mean = sd = None
    if n:
        total, squares = float(head[1]), float(head[2])
        mean = total / n
        if n > 1:
            sd = math.sqrt(max(0.0, (squares - n * mean * mean) / (n - 1)))
    cut = math.ceil(UPPER_LOWER * n) if n >= 2 else 0
    ranked = sa.select(
        scoped.c.attempt_id,
        sa.func.row_number()
        .over(
            order_by=(
                scoped.c.score.desc(),
                scoped.c.time_used.asc(),
                scoped.c.finished_at.asc(),
                scoped.c.attempt_id,
            )
        )
        .label("rk"),
    ).subquery("ranked")
    upper = _int(ranked.c.rk <= cut).label("up")
    lower = _int(ranked.c.rk > n - cut).label("lo")
    right = _int(AttemptItem.correct.is_(True)).label("right")
    answer_txt = sa.cast(AttemptItem.answer, sa.Text).label("answer")
    # one pass over the answers: grouped by revision, group (upper/lower), right, answer given
    stats: dict[tuple[int, int], list[int]] = {}
    answers: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    seen_answers: dict[tuple[int, str | None], int] = {}
    for rid, qid, up, lo, ok, text, cnt in db.session.execute(
        sa.select(
            AttemptItem.revision_id,
            AttemptItem.question_id,
            upper,
            lower,
            right,
            answer_txt,
            sa.func.count(),
        )
        .select_from(ranked)
        .join(AttemptItem, AttemptItem.attempt_id == ranked.c.attempt_id)
        .group_by(AttemptItem.revision_id, AttemptItem.question_id, upper, lower, right, answer_txt)
    ):
        cnt = int(cnt)
        st = stats.setdefault((rid, qid), [0] * 6)  # drawn, right, nu, cu, nl, cl
        st[0] += cnt
        st[1] += cnt * ok
        st[2] += cnt * up
        st[3] += cnt * up * ok
        st[4] += cnt * lo
        st[5] += cnt * lo * ok
        seen_answers[(rid, text)] = seen_answers.get((rid, text), 0) + cnt
    for (rid, text), cnt in sorted(seen_answers.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        answers[rid].append((None if text is None else json.loads(text), cnt))
    stats_rows = [(rid, qid, *st) for (rid, qid), st in stats.items()]
    # per-person number right, for KR-20
    per = (
        sa.select(
            AttemptItem.attempt_id,
            sa.func.sum(_int(AttemptItem.correct.is_(True))).label("x"),
            sa.func.count().label("k"),
        )
        .select_from(scoped)
        .join(AttemptItem, AttemptItem.attempt_id == scoped.c.attempt_id)
        .group_by(AttemptItem.attempt_id)
        .subquery()
    )
    xs = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(per.c.x),
            sa.func.sum(per.c.x * per.c.x),
            sa.func.sum(per.c.k),
        )
    ).one()
    revisions = {
        r.id: r
        for r in db.session.scalars(
            sa.select(QuestionRevision).where(
                QuestionRevision.id.in_([row[0] for row in stats_rows])
            )
        )
    }
    banks = dict(
        db.session.execute(
            sa.select(Question.id, Question.bank_id).where(
                Question.id.in_([row[1] for row in stats_rows])
            )
        ).all()
    )
    items: list[ItemRow] = []
    sum_pq = 0.0
    for rid, qid, drawn, corr, nu, cu, nl, cl in stats_rows:
        rev = revisions[rid]
        drawn, corr = int(drawn), int(corr or 0)
        p = corr / drawn if drawn else None
        if p is not None and n:
            sum_pq += (drawn / n) * p * (1 - p)
        pu, pl = _ratio(cu, nu), _ratio(cl, nl)
        disc = pu - pl if pu is not None and pl is not None and cut else None
        given = [(v, c) for v, c in answers.get(rid, []) if v is not None]
        answered = sum(c for _, c in given)
        key = _key_value(rev)
        options: list[OptionCount] = []
        if rev.type in ("single", "multiple"):
            chosen: dict[str, int] = defaultdict(int)
            for v, c in given:
                for k in v if isinstance(v, list) else [v]:
                    chosen[k] += c
            key_set = set(rev.answer)
            options = [
                OptionCount(
                    OPTION_KEYS[i], text, chosen.get(OPTION_KEYS[i], 0), OPTION_KEYS[i] in key_set
                )
                for i, text in enumerate(rev.options)
            ]
        elif rev.type == "judge":
            counts = {True: 0, False: 0}
            for v, c in given:
                counts[bool(v)] += c
            options = [
                OptionCount("T", "正确", counts[True], key is True),
                OptionCount("F", "错误", counts[False], key is False),
            ]
        top_value, top_count = None, 0
        merged: dict[str, tuple[Any, int]] = {}
        for v, c in given:
            norm = json.dumps(
                sorted(v) if isinstance(v, list) and rev.type != "blank" else v, ensure_ascii=False
            )
            old = merged.get(norm, (v, 0))
            merged[norm] = (old[0], old[1] + c)
        for norm in sorted(merged):
            v, c = merged[norm]
            if c > top_count:
                top_value, top_count = v, c
        top_is_key: bool | None = None
        if top_value is not None and rev.type != "blank":
            top_is_key = (sorted(top_value) if isinstance(top_value, list) else top_value) == key
        row = ItemRow(
            question_id=qid,
            bank_id=banks.get(qid, 0),
            revision_id=rid,
            revision_number=rev.number,
            type=rev.type,
            stem=rev.stem,
            key_text=_answer_text(rev, key)
            if rev.type != "blank"
            else "；".join("/".join(b) for b in rev.blanks),
            drawn=drawn,
            answered=answered,
            correct=corr,
            facility=p,
            upper_facility=pu,
            lower_facility=pl,
            discrimination=disc,
            options=options,
            top_answer=None if top_value is None else _answer_text(rev, top_value),
            top_answer_count=top_count,
            top_answer_is_key=top_is_key,
        )
        if answered >= MIN_FLAG_ANSWERS:
            if disc is not None and disc < 0:
                row.flags.append("区分度为负：高分组答对的比例低于低分组")
            if top_is_key is False:
                row.flags.append("选得最多的是错误选项")
        items.append(row)
    kr20 = None
    items_per_paper = None
    xn = int(xs[0] or 0)
    if xn:
        items_per_paper = float(xs[3]) / xn
        xmean = float(xs[1]) / xn
        var = float(xs[2]) / xn - xmean * xmean
        k = items_per_paper
        if k > 1 and var > 1e-12:
            kr20 = (k / (k - 1)) * (1 - sum_pq / var)
    items.sort(key=lambda r: (not r.flags, r.facility if r.facility is not None else 2))
    return ItemAnalysis(quiz, n, mean, sd, float(quiz.max_score), kr20, items_per_paper, items)
