"""Demo data: a believable bureau with about 80 people and the four fixed demo sign-ins.

Idempotent: running it again finds everything by code or sign-in name and changes nothing twice.
Demo data only — ``quiz-app init`` never calls this.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.services.accounts import set_password, set_roles, set_unusable_password
from quiz_app.services.branches import create_branch
from quiz_app.services.meetings import demo as meetings_demo
from quiz_app.services.reports import demo as reports_demo
from quiz_app.services.study import demo as study_demo
from quiz_app.services.surveys import demo as surveys_demo

DEMO_PASSWORD = "Demo@2021"

# (code, name, parent code, people in it)
DEMO_TREE: list[tuple[str, str, str | None, int]] = [
    ("SFJ", "示范局", None, 0),
    ("JG", "局机关", "SFJ", 0),
    ("BGS", "办公室", "JG", 10),
    ("RSC", "人事教育处", "JG", 8),
    ("ZCFGC", "政策法规处", "JG", 8),
    ("YWGLC", "业务管理处", "JG", 12),
    ("JGDW", "机关党委", "SFJ", 4),
    ("XXZX", "信息中心", "SFJ", 12),
    ("ZFZD", "执法支队", "SFJ", 6),
    ("ZFZD1", "执法一大队", "ZFZD", 10),
    ("ZFZD2", "执法二大队", "ZFZD", 10),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    real_name: str
    branch_code: str
    role: Role | None
    scope_code: str | None  # for the leader
    groups: tuple[str, ...]
    note: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "demo-admin", "王管理", "BGS", Role.ADMIN, None, ("党员",), "管理员：部门、人员、花名册"
    ),
    DemoAccount(
        "demo-organizer",
        "陈组织",
        "JGDW",
        Role.ORGANIZER,
        None,
        ("党员",),
        "组织者：题库、活动、竞答",
    ),
    DemoAccount(
        "demo-leader", "刘领导", "JG", Role.LEADER, "JG", ("党员", "中层干部"), "领导：局机关的统计"
    ),
    DemoAccount("demo-employee", "张职工", "BGS", None, None, ("党员",), "员工：参加学习和竞答"),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅文斌宇浩凯鹏辉晨欣悦婷雪琳鑫志海波建国新春晓东子涵思雨博文一鸣佳怡"


def _name(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def seed_organisation() -> dict[str, Branch]:
    """Create (or find) the demo tree; returns branches by code."""
    found = {b.code: b for b in db.session.scalars(sa.select(Branch))}
    for code, name, parent_code, _ in DEMO_TREE:
        if code not in found:
            parent = found[parent_code] if parent_code else None
            found[code] = create_branch(name, code, parent)
    return found


def seed_people(branches: dict[str, Branch]) -> int:
    """About 80 employees with stable sign-in names (D001 …); returns how many were created."""
    rng = random.Random(2021)
    groups = {g.name: g for g in db.session.scalars(sa.select(Group))}
    for name in ("党员", "入党积极分子", "中层干部"):
        if name not in groups:
            groups[name] = Group(name=name)
            db.session.add(groups[name])
    existing = set(db.session.scalars(sa.select(User.username)))
    created = 0
    serial = 0
    for code, _, _, count in DEMO_TREE:
        for _ in range(count):
            serial += 1
            username = f"D{serial:03d}"
            real_name = _name(rng)
            roll = rng.random()
            tags = ["党员"] if roll < 0.62 else (["入党积极分子"] if roll < 0.72 else [])
            if rng.random() < 0.12:
                tags.append("中层干部")
            if username in existing:
                continue
            user = User(username=username, real_name=real_name, branch=branches[code])
            set_unusable_password(user)  # hashing 80 real passwords would slow the demo
            user.groups = [groups[t] for t in tags]
            db.session.add(user)
            created += 1
    return created


def seed_demo_accounts(branches: dict[str, Branch]) -> list[DemoAccount]:
    """The four fixed sign-ins guides can name; their password is reset to the demo one."""
    groups = {g.name: g for g in db.session.scalars(sa.select(Group))}
    for acc in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.username == acc.username))
        if user is None:
            user = User(
                username=acc.username, real_name=acc.real_name, branch=branches[acc.branch_code]
            )
            db.session.add(user)
        user.active = True
        set_password(user, DEMO_PASSWORD, must_change=False)
        user.groups = [groups[g] for g in acc.groups if g in groups]
        scope = branches[acc.scope_code].id if acc.scope_code else None
        set_roles(user, {acc.role} if acc.role else set(), scope)
    return list(DEMO_ACCOUNTS)


SAMPLE_BANKS = Path(__file__).resolve().parents[2] / "question_banks"


def seed_banks(folder: Path = SAMPLE_BANKS) -> dict[str, int]:
    """The sample banks listed in question_banks/banks.json, through the ordinary importer.

    Questions already in a bank are skipped, so a second run adds nothing.
    """
    from quiz_app.services import banks
    from quiz_app.services.importing import parse_upload

    manifest = json.loads((folder / "banks.json").read_text(encoding="utf-8"))
    organizer = db.session.scalar(sa.select(User).where(User.username == "demo-organizer"))
    added: dict[str, int] = {}
    for entry in manifest:
        path = folder / entry["file"]
        result = parse_upload(path.name, path.read_bytes())
        if not result.ok:
            problems = "; ".join(e.message for e in result.errors[:3])
            raise ValueError(f"sample bank {path.name} does not import: {problems}")
        bank = banks.get_or_create_bank(entry["name"], organizer, entry.get("description", ""))
        if not bank.categories:
            bank.categories = list(entry.get("categories", []))
        summary = banks.apply_import(bank, result, banks.OnDuplicate.SKIP, organizer)
        added[bank.name] = summary.created
    return added


# (title, theme, bank name, [(type, count, points)], minutes, attempts allowed, review policy)
DEMO_CAMPAIGNS = (
    (
        "党史学习教育知识竞答",
        "党史学习教育",
        "党史学习教育",
        [("single", 10, "3"), ("multiple", 5, "4"), ("judge", 10, "2"), ("blank", 5, "6")],
        20,
        1,
        "immediate",
    ),
    (
        "纪律教育月·党章党规知识测试",
        "纪律教育月",
        "党章党规与廉洁纪律",
        [("single", 8, "5"), ("multiple", 4, "5"), ("judge", 5, "4")],
        15,
        3,
        "immediate",
    ),
)


def seed_campaigns(moment: datetime) -> int:
    """Open campaigns with a timed quiz each, for the whole bureau; found by title on a rerun."""
    from quiz_app.models import Bank, Campaign, Quiz, QuizSection

    organizer = db.session.scalar(sa.select(User).where(User.username == "demo-organizer"))
    root = db.session.scalar(sa.select(Branch).where(Branch.code == "SFJ"))
    created = 0
    for title, theme, bank_name, sections, minutes, allowed, review in DEMO_CAMPAIGNS:
        if db.session.scalar(sa.select(Campaign.id).where(Campaign.title == title)) is not None:
            continue
        bank = db.session.scalar(sa.select(Bank).where(Bank.name == bank_name))
        assert bank is not None and root is not None
        campaign = Campaign(
            title=title,
            description=f"面向全局干部职工的{theme}线上知识竞答。",
            theme=theme,
            opens_at=moment - timedelta(days=10),
            closes_at=moment + timedelta(days=30),
            status="published",
            published_at=moment - timedelta(days=10),
            created_by=organizer,
        )
        campaign.branches = [root]
        quiz = Quiz(
            campaign=campaign,
            title=f"{theme}竞答",
            instructions="请独立完成。计时以服务器时间为准，时间到自动交卷。",
            time_limit_seconds=minutes * 60,
            attempts_allowed=allowed,
            pass_mark=Decimal(60),
            shuffle_questions=True,
            shuffle_options=True,
            review_policy=review,
            multiple_scoring="half_for_partial",
        )
        quiz.sections = [
            QuizSection(position=i, question_type=t, count=n, points=Decimal(p), bank_ids=[bank.id])
            for i, (t, n, p) in enumerate(sections)
        ]
        db.session.add(campaign)
        created += 1
    db.session.flush()
    return created


def simulate(count: int, moment: datetime, seed: int = 7) -> int:
    """Past participants with plausible answers, so leaders' pages have figures: up to ``count``
    of them in all, so a rerun with the same number adds nothing.

    Each simulated person has an ability; they answer right with that probability, else pick a
    wrong option. Starts are spread over the campaign's first days.
    """
    from quiz_app.models import Attempt, Campaign
    from quiz_app.services import attempts
    from quiz_app.services.importing import OPTION_KEYS

    rng = random.Random(seed)
    quiz = db.session.scalar(
        sa.select(Campaign).where(Campaign.title == DEMO_CAMPAIGNS[0][0])
    ).quizzes[0]  # type: ignore[union-attr]
    taken = set(db.session.scalars(sa.select(Attempt.user_id).where(Attempt.quiz_id == quiz.id)))
    people = [
        u
        for u in db.session.scalars(
            sa.select(User).where(User.username.like("D%"), User.active).order_by(User.username)
        )
        if u.id not in taken
    ]
    rng.shuffle(people)
    count = max(0, count - len(taken))
    done = 0
    opens = quiz.campaign.opens_at
    for user in people[:count]:
        start = min(
            opens + timedelta(minutes=rng.randint(30, 9 * 24 * 60)), moment - timedelta(hours=1)
        )
        attempt, _ = attempts.start_attempt(quiz, user, start)
        ability = rng.betavariate(5, 2)
        for seq, item in enumerate(attempt.items, start=1):
            rev = item.revision
            right = rng.random() < ability
            keys = list(OPTION_KEYS[: len(rev.options)])
            if rev.type == "single":
                answer = (
                    rev.answer[0] if right else rng.choice([k for k in keys if k not in rev.answer])
                )
                shown = attempts.to_shown(item, answer)
            elif rev.type == "multiple":
                answer = (
                    list(rev.answer) if right else rng.sample(keys, rng.randint(1, len(keys) - 1))
                )
                shown = attempts.to_shown(item, sorted(answer))
            elif rev.type == "judge":
                shown = (rev.answer == ["T"]) == right
            else:
                shown = [alts[0] if right else "不记得" for alts in rev.blanks]
            attempts.save_answer(attempt.id, user, item.question_id, shown, seq, start)
        used = timedelta(seconds=rng.randint(240, (quiz.time_limit_seconds or 1200) - 30))
        attempts.submit(attempt.id, user, start + used)
        done += 1
    db.session.flush()
    return done


def seed_all() -> dict[str, int]:
    """Everything the demo needs; flushes, the caller commits."""
    branches = seed_organisation()
    db.session.flush()
    people = seed_people(branches)
    db.session.flush()
    seed_demo_accounts(branches)
    db.session.flush()
    questions = sum(seed_banks().values())
    campaigns = seed_campaigns(now())
    study_demo.seed(now())
    reports_demo.seed_demo(now())
    meetings_demo.seed(now())
    surveys_demo.seed_demo_survey(now())
    return {
        "campaigns_created": campaigns,
        "questions_created": questions,
        "branches": len(branches),
        "people_created": people,
        "people": db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0,
    }
