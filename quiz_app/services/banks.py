"""Question banks in the database: importing a parsed file, editing with revisions, searching,
retiring and exporting. Parsing and validation live in services.importing; this module writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Bank, Question, QuestionCategory, QuestionRevision, User
from quiz_app.services.bank_export import questions_to_xlsx
from quiz_app.services.importing import (
    ImportIssue,
    ParseResult,
    QuestionData,
    QuestionType,
    preview_counts,
    question_key,
)
from quiz_app.services.importing.fields import bank_name_problem


class BankError(ValueError):
    """A bank operation that is not allowed; the message is shown as is."""


class OnDuplicate(StrEnum):
    """What to do with a question whose stem and type are already in the bank."""

    SKIP = "skip"
    UPDATE = "update"


def duplicate_key(data: QuestionData | QuestionRevision) -> str:
    """The stored duplicate key: a hash of importing.question_key (long stems fit an index)."""
    qtype = data.type.value if isinstance(data, QuestionData) else data.type
    return hashlib.sha256(question_key(qtype, data.stem, data.options).encode()).hexdigest()


def get_or_create_bank(name: str, owner: User | None = None, description: str = "") -> Bank:
    """The bank called ``name``; created (owned by ``owner``) when there is none."""
    name = name.strip()
    problem = bank_name_problem(name)
    if problem:
        raise BankError(problem)
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == name))
    if bank is None:
        bank = Bank(name=name, description=description, owner=owner, categories=[])
        db.session.add(bank)
        db.session.flush()
    return bank


# --- writing questions -------------------------------------------------------------------------


def _revision_values(
    data: QuestionData, number: int, note: str, user: User | None
) -> dict[str, Any]:
    """A revision's columns from the contract — shared by single edits and bulk imports."""
    return {
        "number": number,
        "type": data.type.value,
        "stem": data.stem,
        "options": list(data.options),
        "answer": list(data.answer),
        "blanks": [list(b) for b in data.blanks],
        "explanation": data.explanation,
        "categories": list(data.categories),
        "difficulty": data.difficulty,
        "score": data.score,
        "note": note,
        "created_by_id": user.id if user is not None else None,
        "created_at": now(),
    }


def _revision_from(
    data: QuestionData, number: int, note: str, user: User | None
) -> QuestionRevision:
    return QuestionRevision(**_revision_values(data, number, note, user))


def _point_to(question: Question, revision: QuestionRevision) -> None:
    question.current_revision = revision
    question.type = revision.type
    question.difficulty = revision.difficulty
    question.stem_key = duplicate_key(revision)
    question.updated_at = revision.created_at
    question.category_links = [
        QuestionCategory(name=c[:50]) for c in dict.fromkeys(revision.categories)
    ]


def _remember_categories(bank: Bank, categories: Iterable[str]) -> None:
    known = list(bank.categories or [])
    added = [c for c in dict.fromkeys(categories) if c and c not in known]
    if added:
        bank.categories = known + added  # a new list, so the JSON column is marked changed


def add_question(bank: Bank, data: QuestionData, user: User | None, note: str = "新建") -> Question:
    """A new question with its first revision."""
    question = Question(bank=bank, type=data.type.value, stem_key=duplicate_key(data))
    revision = _revision_from(data, 1, note, user)
    question.revisions.append(revision)
    db.session.add(question)
    _point_to(
        question, revision
    )  # post_update writes the cycle's second half; no flush per question
    _remember_categories(bank, data.categories)
    return question


def _ids_by(
    column: sa.ColumnElement[Any], key: sa.ColumnElement[Any], values: list[Any], *where: Any
) -> dict[Any, int]:
    """{key value: id} for rows whose ``key`` is in ``values``, fetched in chunks."""
    found: dict[Any, int] = {}
    for start in range(0, len(values), 1000):  # stay far below SQLite's bound-parameter limit
        chunk = values[start : start + 1000]
        found.update(
            (k, i)
            for i, k in db.session.execute(sa.select(column, key).where(key.in_(chunk), *where))
        )
    return found


def _bulk_add(bank: Bank, questions: list[QuestionData], user: User | None, note: str) -> None:
    """Many new questions in a few statements (an import of 10,000 rows must not take minutes).

    The same columns as add_question, written with executemany on the tables; ids are read back
    by the duplicate key, which is unique within the import.
    """
    if not questions:
        return
    db.session.flush()
    moment = now()
    keys = [duplicate_key(q) for q in questions]
    question_table, revision_table = Question.__table__, QuestionRevision.__table__
    db.session.execute(
        sa.insert(question_table),
        [
            {
                "bank_id": bank.id,
                "type": q.type.value,
                "difficulty": q.difficulty,
                "stem_key": key,
                "active": True,
                "created_at": moment,
                "updated_at": moment,
            }
            for q, key in zip(questions, keys, strict=True)
        ],
    )
    by_key = _ids_by(
        question_table.c.id,
        question_table.c.stem_key,
        keys,
        question_table.c.bank_id == bank.id,
        question_table.c.current_revision_id.is_(None),
    )
    question_ids = [by_key[k] for k in keys]
    db.session.execute(
        sa.insert(revision_table),
        [
            {**_revision_values(q, 1, note, user), "question_id": qid}
            for q, qid in zip(questions, question_ids, strict=True)
        ],
    )
    by_question = _ids_by(revision_table.c.id, revision_table.c.question_id, question_ids)
    db.session.execute(
        sa.update(question_table)
        .where(question_table.c.id == sa.bindparam("qid"))
        .values(current_revision_id=sa.bindparam("rid")),
        [{"qid": qid, "rid": by_question[qid]} for qid in question_ids],
    )
    links = [
        {"question_id": qid, "name": c[:50]}
        for q, qid in zip(questions, question_ids, strict=True)
        for c in dict.fromkeys(q.categories)
    ]
    if links:
        db.session.execute(sa.insert(QuestionCategory.__table__), links)
    _remember_categories(bank, [c for q in questions for c in q.categories])


def revise_question(
    question: Question, data: QuestionData, user: User | None, note: str = "编辑"
) -> QuestionRevision | None:
    """Record an edit as a new revision; None when nothing changed (no empty revisions).

    Attempts keep pointing at the revision they were drawn with, so their history is untouched.
    """
    current = question.current_revision
    number = (max((r.number for r in question.revisions), default=0)) + 1
    revision = _revision_from(data, number, note, user)
    if current is not None and current.content() == revision.content():
        return None
    clash = find_duplicates(question.bank, [data], exclude_id=question.id)
    if clash:
        raise BankError(
            f"题库中已有题干、题型和选项都相同的题目（编号{clash[0][1]}），请勿重复添加"
        )
    question.revisions.append(revision)
    db.session.flush()
    _point_to(question, revision)
    _remember_categories(question.bank, data.categories)
    return revision


def set_active(question: Question, active: bool) -> None:
    """Retire (or restore) a question: retired ones are not drawn into new papers."""
    question.active = active
    question.updated_at = now()


def revision_data(revision: QuestionRevision) -> QuestionData:
    """A stored revision back in the import/export contract."""
    return QuestionData(
        type=QuestionType(revision.type),
        stem=revision.stem,
        options=tuple(revision.options),
        answer=tuple(revision.answer),
        blanks=tuple(tuple(b) for b in revision.blanks),
        explanation=revision.explanation,
        categories=tuple(revision.categories),
        difficulty=revision.difficulty,
        score=None if revision.score is None else Decimal(revision.score),
    )


# --- importing ---------------------------------------------------------------------------------


def find_duplicates(
    bank: Bank, questions: Iterable[QuestionData], exclude_id: int | None = None
) -> list[tuple[QuestionData, int]]:
    """(question, id of the bank's question with the same stem, type and options)."""
    keys = {duplicate_key(q): q for q in questions}
    found: dict[str, int] = {}
    key_list = list(keys)
    for start in range(0, len(key_list), 1000):  # stay far below SQLite's bound-parameter limit
        stmt = sa.select(Question.id, Question.stem_key).where(
            Question.bank_id == bank.id, Question.stem_key.in_(key_list[start : start + 1000])
        )
        if exclude_id is not None:
            stmt = stmt.where(Question.id != exclude_id)
        found.update((k, qid) for qid, k in db.session.execute(stmt))
    return [(q, found[key]) for key, q in keys.items() if key in found]


@dataclass
class ImportPreview:
    """What an import would do, shown before anything is written."""

    result: ParseResult
    counts: dict[str, object]
    duplicates: list[tuple[QuestionData, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok and bool(self.result.questions)

    @property
    def new_count(self) -> int:
        return len(self.result.questions) - len(self.duplicates)

    @property
    def other_warnings(self) -> list[ImportIssue]:
        """Warnings other than the reconciliation's notes, which are shown with its counts."""
        rec = self.result.reconciliation
        notes = set(rec.notes) if rec is not None else set()
        return [w for w in self.result.warnings if w not in notes]

    def reconciliation_line(self) -> str | None:
        """“文件中像题目的块 12，识别为题目 12（可导入 10，重复跳过 1，…）”, or None."""
        rec = self.result.reconciliation
        if rec is None:
            return None
        r = self.result
        parts = [f"可导入 {len(r.questions)}"]
        if r.repeats:
            parts.append(f"重复跳过 {len(r.repeats)}")
        failed = rec.recognised - len(r.questions) - len(r.repeats) - len(r.skipped)
        if failed > 0:
            parts.append(f"有错误 {failed}")
        if r.skipped:
            parts.append(f"跳过 {len(r.skipped)}")
        verdict = "一致" if rec.matches else "不一致，请检查下列位置"
        return (
            f"文件中像题目的块 {rec.seen}，识别为题目 {rec.recognised}（{'，'.join(parts)}）："
            f"{verdict}"
        )


def preview_import(bank: Bank | None, result: ParseResult) -> ImportPreview:
    """Counts per type and category, every error, and the questions already in the bank."""
    duplicates = find_duplicates(bank, result.questions) if bank is not None else []
    return ImportPreview(result, preview_counts(result), duplicates)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    skipped: int


def apply_import(
    bank: Bank, result: ParseResult, on_duplicate: OnDuplicate, user: User | None
) -> ImportSummary:
    """Write a validated file into the bank: all of it, or (on any error) none of it.

    Flushes; the caller commits once, so a failure part-way leaves nothing behind.
    """
    if not result.ok:
        raise BankError(f"文件有{len(result.errors)}处错误，未导入任何题目")
    if not result.questions:
        raise BankError("文件中没有可导入的题目")
    existing = {id(q): qid for q, qid in find_duplicates(bank, result.questions)}
    by_id = (
        {
            q.id: q
            for q in db.session.scalars(
                sa.select(Question).where(Question.id.in_(set(existing.values())))
            )
        }
        if existing
        else {}
    )
    created = updated = unchanged = skipped = 0
    note = f"导入（{result.format or '文件'}）"
    new = [data for data in result.questions if id(data) not in existing]
    _bulk_add(bank, new, user, note)
    created = len(new)
    for data in result.questions:
        qid = existing.get(id(data))
        if qid is None:
            continue
        if on_duplicate == OnDuplicate.SKIP:
            skipped += 1
        elif revise_question(by_id[qid], data, user, f"{note}更新") is None:
            unchanged += 1
        else:
            updated += 1
    db.session.flush()
    return ImportSummary(created, updated, unchanged, skipped)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFilter:
    text: str = ""
    type: str = ""
    category: str = ""
    difficulty: str = ""
    include_retired: bool = False


def search_questions(bank: Bank, f: QuestionFilter) -> sa.Select[tuple[Question]]:
    """The bank's questions matching the filter, newest first."""
    stmt = (
        sa.select(Question)
        .join(QuestionRevision, Question.current_revision_id == QuestionRevision.id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.id.desc())
    )
    if not f.include_retired:
        stmt = stmt.where(Question.active)
    if f.type:
        stmt = stmt.where(Question.type == f.type)
    if f.difficulty:
        stmt = stmt.where(Question.difficulty == f.difficulty)
    if f.category:
        stmt = stmt.where(
            Question.id.in_(
                sa.select(QuestionCategory.question_id).where(QuestionCategory.name == f.category)
            )
        )
    if f.text.strip():
        like = f"%{f.text.strip()}%"
        stmt = stmt.where(
            sa.or_(QuestionRevision.stem.ilike(like), QuestionRevision.explanation.ilike(like))
        )
    return stmt


def bank_counts(bank: Bank) -> dict[str, int]:
    """Active questions per type, for the bank list and for checking a paper can be filled."""
    rows = db.session.execute(
        sa.select(Question.type, sa.func.count())
        .where(Question.bank_id == bank.id, Question.active)
        .group_by(Question.type)
    ).all()
    return {t: n for t, n in rows}


def export_bank(bank: Bank, include_retired: bool = False) -> bytes:
    """The bank as .xlsx in the template's format (export then import gives the same bank)."""
    stmt = (
        sa.select(QuestionRevision)
        .join(Question, Question.current_revision_id == QuestionRevision.id)
        .where(Question.bank_id == bank.id)
        .order_by(Question.id)
    )
    if not include_retired:
        stmt = stmt.where(Question.active)
    return questions_to_xlsx(revision_data(r) for r in db.session.scalars(stmt))
