"""The questions a quiz may draw from, cached per process and keyed by the database's versions.

At 9:00 two thousand people start the same quiz; each start used to read every section's pool
and then each drawn question's current revision (82 statements). The pools only change when the
quiz's rules or its banks' questions change, so a start now reads one row per bank (its
``pool_version``) and finds the pools in a small per-process LRU.

Invalidation lives here and nowhere else: every flush that adds, changes or deletes a Question
or QuestionCategory, and every bulk INSERT/UPDATE/DELETE on those tables through the session
(imports), raises ``bank.pool_version`` in the same transaction. The cache key holds the quiz's
rules and those versions read from the database, so on several app nodes a node that has not
seen a change still cannot serve a stale pool: the version it reads is already the new one.
Writes that bypass the ORM session (raw SQL on the database) must bump the version themselves
(``bump``) or call ``forget()`` on every node.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from quiz_app.extensions import db
from quiz_app.models import Bank, Question, QuestionCategory, QuestionRevision, Quiz

CACHE_SIZE = 64


@dataclass(frozen=True)
class Drawable:
    """What drawing needs of a question: the revision it would be drawn with, its type and
    how many options it has (to shuffle them)."""

    revision_id: int | None
    type: str
    n_options: int


@dataclass(frozen=True)
class QuizPools:
    """Per random section the ids it may draw (by id, fixed questions left out), and what
    drawing needs of every question in the quiz's banks and fixed lists."""

    pools: dict[int, list[int]]
    questions: dict[int, Drawable]


_cache: OrderedDict[tuple[Any, ...], QuizPools] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "misses": 0}


def forget() -> None:
    """Empty this process's cache (tests; an operator after writing questions by hand)."""
    with _lock:
        _cache.clear()


def _rules(quiz: Quiz) -> tuple[Any, ...]:
    return tuple(
        (
            s.id,
            s.question_type,
            s.count,
            tuple(s.bank_ids or ()),
            tuple(s.categories or ()),
            tuple(s.difficulties or ()),
            tuple(s.fixed_question_ids or ()),
        )
        for s in quiz.sections
    )


def _versions(bank_ids: set[int], fixed_ids: set[int]) -> tuple[tuple[int, int], ...]:
    condition = Bank.id.in_(bank_ids or [-1])
    if fixed_ids:
        condition = sa.or_(
            condition, Bank.id.in_(sa.select(Question.bank_id).where(Question.id.in_(fixed_ids)))
        )
    rows = db.session.execute(sa.select(Bank.id, Bank.pool_version).where(condition))
    return tuple(sorted((bank_id, version) for bank_id, version in rows))


def _load(quiz: Quiz, fixed_ids: set[int], bank_ids: set[int]) -> QuizPools:
    from quiz_app.services.papers import pool_condition

    pools: dict[int, list[int]] = {}
    for s in quiz.sections:
        if s.is_fixed:
            continue
        ids = db.session.scalars(
            sa.select(Question.id).where(pool_condition(s)).order_by(Question.id)
        )
        pools[s.id] = [q for q in ids if q not in fixed_ids]
    condition = Question.bank_id.in_(bank_ids or [-1])
    if fixed_ids:
        condition = sa.or_(condition, Question.id.in_(fixed_ids))
    rows = db.session.execute(
        sa.select(
            Question.id, Question.current_revision_id, Question.type, QuestionRevision.options
        )
        .outerjoin(QuestionRevision, QuestionRevision.id == Question.current_revision_id)
        .where(condition)
    )
    questions = {
        qid: Drawable(rev_id, qtype, len(options or [])) for qid, rev_id, qtype, options in rows
    }
    return QuizPools(pools, questions)


def quiz_pools(quiz: Quiz) -> QuizPools:
    """The quiz's pools: from this process's cache when the rules and bank versions match."""
    fixed_ids = {q for s in quiz.sections if s.is_fixed for q in s.fixed_question_ids}
    bank_ids = {b for s in quiz.sections if not s.is_fixed for b in (s.bank_ids or ())}
    key = (quiz.id, _rules(quiz), _versions(bank_ids, fixed_ids))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            stats["hits"] += 1
            return found
    loaded = _load(quiz, fixed_ids, bank_ids)
    with _lock:
        stats["misses"] += 1
        _cache[key] = loaded
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


# --- invalidation: the one place -----------------------------------------------------------------


def bump(connection: sa.Connection, bank_ids: set[int] | None = None) -> None:
    """Raise the pool version of these banks (all banks when None), in the caller's transaction."""
    stmt = sa.update(Bank.__table__).values(pool_version=Bank.__table__.c.pool_version + 1)
    if bank_ids is not None:
        if not bank_ids:
            return
        stmt = stmt.where(Bank.__table__.c.id.in_(bank_ids))
    connection.execute(stmt)


_WATCHED = {Question.__tablename__, QuestionCategory.__tablename__}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # new/dirty/deleted still show what this flush wrote (they are cleared after it)
    bank_ids: set[int] = set()
    question_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Question):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj.bank_id is not None:
                bank_ids.add(obj.bank_id)
        elif isinstance(obj, QuestionCategory) and obj.question_id is not None:
            question_ids.add(obj.question_id)
    if question_ids:
        bank_ids.update(
            session.connection().scalars(
                sa.select(Question.bank_id).where(Question.id.in_(question_ids))
            )
        )
    if bank_ids:
        bump(session.connection(), bank_ids)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    # Bulk writes (an import's executemany) do not flush objects: raise every bank's version.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED:
        bump(state.session.connection())
