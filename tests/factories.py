"""Factories for branches and people, with sensible defaults so tests name only what matters."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.services.accounts import set_password, set_roles
from quiz_app.services.branches import create_branch

DEFAULT_PASSWORD = "Passw0rd2024"
_seq = itertools.count(1)


def root_branch() -> Branch:
    """The organisation's top branch, created on first use."""
    root = db.session.scalar(sa.select(Branch).where(Branch.code == "ROOT"))
    return root or create_branch("测试局", "ROOT", None)


def make_branch(
    name: str | None = None, code: str | None = None, parent: Branch | None = None
) -> Branch:
    n = next(_seq)
    return create_branch(name or f"部门{n}", code or f"B{n}", parent or root_branch())


def make_user(
    username: str | None = None,
    *,
    real_name: str | None = None,
    branch: Branch | None = None,
    roles: Iterable[str] = (),
    scope: Branch | None = None,
    groups: Iterable[str] = (),
    password: str = DEFAULT_PASSWORD,
    must_change: bool = False,
    phone: str | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"u{n}",
        real_name=real_name or f"测试{n}",
        branch=branch or root_branch(),
        phone=phone,
        active=active,
    )
    set_password(user, password, must_change=must_change)
    for name in groups:
        group = db.session.scalar(sa.select(Group).where(Group.name == name)) or Group(name=name)
        user.groups.append(group)
    db.session.add(user)
    db.session.flush()
    scope_id = scope.id if scope else None
    set_roles(  # the leader's, organizer's or secretary's scope
        user,
        {Role(r) for r in roles},
        scope_id,
        organizer_scope_branch_id=scope_id,
        secretary_scope_branch_id=scope_id,
    )
    db.session.flush()
    return user


# --- banks, campaigns, quizzes -----------------------------------------------------------------


def make_bank(  # type: ignore[no-untyped-def]
    name: str | None = None,
    per_type: int = 5,
    categories: tuple[str, ...] = ("党章",),
    owner: str | None = "organizer1",
):
    """A bank with ``per_type`` questions of each type; keys are predictable for tests:
    single → "B", multiple → ["A", "C"], judge → true, blank → ["甲", "乙"] (two blanks).
    Owned by the account named ``owner`` when it exists (the organizer_client fixture's)."""
    from decimal import Decimal

    from quiz_app.models import User
    from quiz_app.services import banks
    from quiz_app.services.importing import QuestionData, QuestionType

    owner_user = db.session.scalar(sa.select(User).where(User.username == owner)) if owner else None
    bank = banks.get_or_create_bank(name or f"题库{next(_seq)}", owner_user)
    for i in range(per_type):
        for data in (
            QuestionData(
                QuestionType.SINGLE,
                f"单选题{i}（　）",
                ("甲", "乙", "丙", "丁"),
                ("B",),
                explanation=f"单选解析{i}",
                categories=categories,
            ),
            QuestionData(
                QuestionType.MULTIPLE,
                f"多选题{i}（　）",
                ("甲", "乙", "丙", "丁"),
                ("A", "C"),
                explanation=f"多选解析{i}",
                categories=categories,
            ),
            QuestionData(
                QuestionType.JUDGE,
                f"判断题{i}。",
                (),
                ("T",),
                explanation=f"判断解析{i}",
                categories=categories,
            ),
            QuestionData(
                QuestionType.BLANK,
                f"填空题{i}：____和____。",
                (),
                (),
                blanks=(("甲", "甲方"), ("乙",)),
                explanation=f"填空解析{i}",
                categories=categories,
                score=Decimal(2),
            ),
        ):
            banks.add_question(bank, data, None)
    db.session.flush()
    return bank


def make_campaign(
    branches: Iterable[Branch] | None = None,
    *,
    opens_at=None,  # type: ignore[no-untyped-def]
    closes_at=None,  # type: ignore[no-untyped-def]
    status: str = "published",
    groups: Iterable[str] = (),
    title: str | None = None,
    owner: str | None = "organizer1",
):  # type: ignore[no-untyped-def]
    """A campaign; its creator is the account named ``owner`` when it exists (by default the
    organizer_client fixture's, so organizer page tests act on their own campaigns)."""
    from datetime import timedelta

    from quiz_app import clock
    from quiz_app.models import Campaign, User

    moment = clock.now()
    campaign = Campaign(
        title=title or f"活动{next(_seq)}",
        opens_at=opens_at or moment - timedelta(days=1),
        closes_at=closes_at or moment + timedelta(days=7),
        status=status,
        created_by=db.session.scalar(sa.select(User).where(User.username == owner))
        if owner
        else None,
    )
    campaign.branches = list(branches) if branches is not None else [root_branch()]
    for name in groups:
        group = db.session.scalar(sa.select(Group).where(Group.name == name)) or Group(name=name)
        campaign.groups.append(group)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_quiz(
    campaign,  # type: ignore[no-untyped-def]
    bank,  # type: ignore[no-untyped-def]
    *,
    sections: Iterable[tuple[str, int, str]] = (
        ("single", 2, "2"),
        ("multiple", 1, "3"),
        ("judge", 1, "1"),
        ("blank", 1, "4"),
    ),
    time_limit_seconds: int | None = 600,
    attempts_allowed: int | None = 1,
    **rules: object,
):  # type: ignore[no-untyped-def]
    """A quiz whose sections are (type, count, points each) drawn from ``bank``."""
    from decimal import Decimal

    from quiz_app.models import Quiz, QuizSection

    quiz = Quiz(
        campaign=campaign,
        title=rules.pop("title", f"竞答{next(_seq)}"),  # type: ignore[arg-type]
        time_limit_seconds=time_limit_seconds,
        attempts_allowed=attempts_allowed,
        shuffle_questions=rules.pop("shuffle_questions", False),  # type: ignore[arg-type]
        **rules,
    )
    quiz.sections = [
        QuizSection(position=i, question_type=t, count=n, points=Decimal(p), bank_ids=[bank.id])
        for i, (t, n, p) in enumerate(sections)
    ]
    db.session.add(quiz)
    db.session.flush()
    return quiz
