"""Demo data for 一学一报: a report required after the 纪律教育月 campaign, with some reports
approved, some returned with a comment, one waiting, and the rest not yet written.

The texts are plausible study notes; the facts in them are the ones verified for the sample bank
(question_banks/SOURCES.md): the 2023 revision of 《中国共产党纪律处分条例》 (published by the
Central Committee on 19 December 2023, in force from 1 January 2024), its five kinds of
punishment (Article 8) and the six disciplines its specific provisions are arranged by.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, Campaign, ReportRequirement, User
from quiz_app.services.reports import writing

TITLE = "纪律教育月学习心得（一学一报）"
CAMPAIGN = "纪律教育月·党章党规知识测试"

OPENINGS = (
    "通过参加纪律教育月的集中学习和知识测试，我重新系统学习了2023年修订的《中国共产党纪律处分条例》。",
    "这次纪律教育月，我结合知识测试中答错的题目，逐章重读了2023年12月中共中央发布、2024年1月1日起施行的《中国共产党纪律处分条例》。",
    "纪律教育月期间，我参加了支部组织的集中学习，并认真完成了党章党规知识测试。",
)
MIDDLES = (
    "条例分则按照政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律六项纪律排列，"
    "让我更清楚地认识到，纪律要求覆盖工作和生活的方方面面，不存在“纪律管不到”的角落。",
    "条例规定的党纪处分有警告、严重警告、撤销党内职务、留党察看、开除党籍五种。"
    "学习中我体会到，处分是最后的手段，更重要的是把纪律规矩作为日常言行的尺子，防微杜渐。",
    "测试中关于违反中央八项规定精神的几道题我答错了，回头对照原文才发现，自己对一些细节问题的认识还停留在表面。"
    "这提醒我，学习不能只满足于知道大概，要在细处下功夫。",
)
CLOSINGS = (
    "今后我将把学习成果落实到本职工作中：办事按程序，用权守规矩，"
    "在日常工作中主动接受监督，做到知敬畏、存戒惧、守底线。",
    "下一步，我准备结合科室业务，把容易出问题的环节梳理出来，逐项对照纪律要求查找不足，"
    "并在支部学习中与同事交流，做到学用结合。",
)
RETURN_COMMENTS = (
    "体会写得比较笼统，请结合本处室的具体工作，谈一谈准备怎样落实。",
    "请补充一两个与本职工作相关的实例，并核对引用的条例名称和修订时间。",
)


def _text(n: int) -> str:
    return "\n".join((OPENINGS[n % 3], MIDDLES[(n + 1) % 3], MIDDLES[(n + 2) % 3], CLOSINGS[n % 2]))


def seed_demo(moment: datetime) -> int:
    """Create the demo requirement and its reports once (found by title on a rerun); returns how
    many reports were written. Approvals earn the authors their points, as in real use."""
    if db.session.scalar(sa.select(ReportRequirement.id).where(ReportRequirement.title == TITLE)):
        return 0
    organizer = db.session.scalar(sa.select(User).where(User.username == "demo-organizer"))
    office = db.session.scalar(sa.select(Branch).where(Branch.code == "JG"))
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.title == CAMPAIGN))
    if organizer is None or office is None:
        return 0
    requirement = ReportRequirement(
        title=TITLE,
        instructions="结合纪律教育月的学习和知识测试，谈学习《中国共产党纪律处分条例》的体会，"
        "联系本职工作，写明今后的打算。可附学习现场照片。",
        campaign_id=campaign.id if campaign else None,
        min_chars=200,
        max_photos=3,
        due_at=moment + timedelta(days=7),
        created_by_id=organizer.id,
    )
    requirement.branches = [office]
    db.session.add(requirement)
    db.session.flush()
    people = list(
        db.session.scalars(
            sa.select(User)
            .where(User.active, User.username.like("D%"))
            .where(
                User.branch_id.in_(sa.select(Branch.id).where(Branch.path.startswith(office.path)))
            )
            .order_by(User.username)
        )
    )
    written = 0
    for n, person in enumerate(people[:12]):
        submitted = moment - timedelta(days=3, hours=n)
        version = writing.submit(requirement, person, _text(n), submitted)
        written += 1
        if n % 4 == 3:
            continue  # waiting for review
        if n % 4 == 1:
            writing.review(
                version.report,
                organizer,
                "returned",
                RETURN_COMMENTS[n % 2],
                submitted + timedelta(days=1),
            )
        else:
            writing.review(version.report, organizer, "approved", "", submitted + timedelta(days=1))
    db.session.flush()
    return written
