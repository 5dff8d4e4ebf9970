"""A demo survey with answers: some branches with enough answers to show on their own, some
merged upward, so the results page shows the threshold at work. Found by title on a rerun."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.survey import Survey, SurveyStatus
from quiz_app.services.surveys import answering, authoring

TITLE = "2026年第四季度干部职工思想动态调查"
QUESTIONS = """[量表] 您对本单位当前学习安排的总体满意度（1很不满意，5很满意）

[单选] 您认为当前工作压力主要来自
业务任务繁重
学习考核较多
人手不足
其他

[多选] 您希望增加哪些学习形式
专题讲座
线上学习
交流研讨
实地参观

[文字] 您对单位工作有什么意见和建议（选答）"""

# branch code → how many answer: 办公室 and 信息中心 reach 5 on their own; 人事教育处 (3) and
# 执法一大队 (2) do not, so their answers show under 局机关 / 执法支队 or 其他
ANSWERS = {"BGS": 6, "XXZX": 7, "RSC": 3, "ZFZD1": 2}
TEXTS = ["希望多组织业务培训", "学习时间能否安排在工作日", "建议精简重复的台账", "加强部门之间沟通"]


def seed_demo_survey(moment: datetime, seed: int = 11) -> bool:
    """Create and answer the demo survey once; returns whether it was created."""
    if db.session.scalar(sa.select(Survey.id).where(Survey.title == TITLE)) is not None:
        return False
    root = db.session.scalar(sa.select(Branch).where(Branch.code == "SFJ"))
    organizer = db.session.scalar(sa.select(User).where(User.username == "demo-organizer"))
    if root is None:
        return False
    survey = Survey(status=SurveyStatus.DRAFT.value, created_by=organizer)
    authoring.save_draft(
        survey,
        title=TITLE,
        description="了解大家的学习和工作状态，结果只用于改进工作。",
        opens_at=moment - timedelta(days=7),
        closes_at=moment + timedelta(days=21),
        branches=[root],
        groups=[],
        questions=QUESTIONS,
    )
    db.session.add(survey)
    db.session.flush()
    authoring.publish(survey)
    rng = random.Random(seed)
    q = {x.position: x for x in survey.questions}
    for code, count in ANSWERS.items():
        people = db.session.scalars(
            sa.select(User)
            .join(Branch, Branch.id == User.branch_id)
            .where(Branch.code == code, User.username.like("D%"), User.active)
            .order_by(User.username)
        ).all()
        for user in people[:count]:
            form = {
                f"q{q[1].id}": [str(rng.choice([3, 4, 4, 5, 5, 2]))],
                f"q{q[2].id}": [str(rng.randrange(len(q[2].options)))],
                f"q{q[3].id}": [str(i) for i in rng.sample(range(4), rng.randint(1, 3))],
                f"q{q[4].id}": [rng.choice(TEXTS) if rng.random() < 0.5 else ""],
            }
            answering.submit(survey, user, form)
    db.session.flush()
    return True
