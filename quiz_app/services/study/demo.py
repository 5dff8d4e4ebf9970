"""Demo study content: a published 保密法学习专题 with two articles quoting verified official texts,
the PDF 提示卡 from quiz_app/demo_content, an intranet link, and study time for simulated people.

Quoted texts (checked against published reprints when this was written):
- 《中华人民共和国保守国家秘密法》2024年2月27日第二次修订、2024年5月1日起施行，第一条至第六条;
- 《中国共产党章程》2022年10月22日党的二十大部分修改通过，总纲第一、二自然段.
Idempotent: found by title on a rerun.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from quiz_app.clock import to_local
from quiz_app.extensions import db
from quiz_app.models import Branch, Campaign, User
from quiz_app.models.study import StudyDay, StudyFile, StudyMaterial, StudyProgress, StudyTrack
from quiz_app.services.study import content

TRACK_TITLE = "保密法学习专题"
PDF_SOURCE = Path(__file__).resolve().parents[2] / "demo_content" / "secrecy_guide.pdf"

SECRECY_ARTICLE = """\
> 以下条文摘自《中华人民共和国保守国家秘密法》（1988年9月5日第七届全国人民代表大会常务委员会第三次会议通过，2010年4月29日第一次修订，2024年2月27日第十四届全国人民代表大会常务委员会第八次会议第二次修订，2024年5月1日起施行）第一章 总则。

**第一条** 为了保守国家秘密，维护国家安全和利益，保障改革开放和社会主义现代化建设事业的顺利进行，根据宪法，制定本法。

**第二条** 国家秘密是关系国家安全和利益，依照法定程序确定，在一定时间内只限一定范围的人员知悉的事项。

**第三条** 坚持中国共产党对保守国家秘密（以下简称保密）工作的领导。中央保密工作领导机构领导全国保密工作，研究制定、指导实施国家保密工作战略和重大方针政策，统筹协调国家保密重大事项和重要工作，推进国家保密法治建设。

**第四条** 保密工作坚持总体国家安全观，遵循党管保密、依法管理，积极防范、突出重点，技管并重、创新发展的原则，既确保国家秘密安全，又便利信息资源合理利用。

法律、行政法规规定公开的事项，应当依法公开。

**第五条** 国家秘密受法律保护。

一切国家机关和武装力量、各政党和各人民团体、企业事业组织和其他社会组织以及公民都有保密的义务。

任何危害国家秘密安全的行为，都必须受到法律追究。

**第六条** 国家保密行政管理部门主管全国的保密工作。县级以上地方各级保密行政管理部门主管本行政区域的保密工作。

## 学习提示

- 第二条是判断“是不是国家秘密”的三个要素：关系国家安全和利益、依照法定程序确定、在一定时间内只限一定范围的人员知悉。
- 第四条第二款提醒：依法应当公开的事项，要依法公开，不能以保密为由不公开。
- 全法共六章：总则，国家秘密的范围和密级，保密制度，监督管理，法律责任，附则。
"""

CHARTER_ARTICLE = """\
> 以下文字摘自《中国共产党章程》（中国共产党第二十次全国代表大会部分修改，2022年10月22日通过）总纲的第一、二自然段。

中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队，是中国特色社会主义事业的领导核心，代表中国先进生产力的发展要求，代表中国先进文化的前进方向，代表中国最广大人民的根本利益。党的最高理想和最终目标是实现共产主义。

中国共产党以马克思列宁主义、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观、习近平新时代中国特色社会主义思想作为自己的行动指南。

## 学习提示

- 第一段讲党的性质和最高理想、最终目标；第二段讲党的行动指南。
- 与保密工作的联系：保密法第三条规定，坚持中国共产党对保密工作的领导。
"""


def _article(
    track: StudyTrack, position: int, title: str, body: str, minutes: int
) -> StudyMaterial:
    return StudyMaterial(
        track=track, position=position, kind="article", title=title, body_md=body,
        body_html=content.render_markdown(body), min_seconds=minutes * 60,
    )  # fmt: skip


def _pdf(track: StudyTrack, folder: Path) -> StudyMaterial:
    data = PDF_SOURCE.read_bytes()
    rendered = content.render_pdf(data, max_pages=20)
    material = StudyMaterial(
        track=track, position=3, kind="pdf", title="保密法学习提示卡（PDF）",
        file_name="保密法学习提示卡.pdf", page_count=len(rendered.pages), min_seconds=120,
    )  # fmt: skip
    db.session.add(material)
    db.session.flush()
    file_id, size = content.store(folder, data)
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
        db.session.add(
            StudyFile(
                id=file_id, material_id=material.id, role="page", content_type="image/jpeg",
                size=size, page_no=number,
            )
        )  # fmt: skip
    return material


def seed(
    moment: datetime, folder: Path | None = None, simulate: int = 40, rng_seed: int = 11
) -> int:
    """The demo 专题 (created once) and study time for up to ``simulate`` simulated people;
    files go to the app's upload folder unless ``folder`` is given."""
    if folder is None:
        from flask import current_app

        folder = content.upload_folder(current_app.instance_path)
    track = db.session.scalar(sa.select(StudyTrack).where(StudyTrack.title == TRACK_TITLE))
    if track is None:
        organizer = db.session.scalar(sa.select(User).where(User.username == "demo-organizer"))
        root = db.session.scalar(
            sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id)
        )
        quiz_campaign = db.session.scalar(
            sa.select(Campaign).where(Campaign.title.like("%保密%")).order_by(Campaign.id)
        )
        track = StudyTrack(
            title=TRACK_TITLE,
            description="学习2024年修订的《中华人民共和国保守国家秘密法》总则和党章总纲有关内容，学完后参加结业测试。",
            opens_at=moment - timedelta(days=7),
            closes_at=moment + timedelta(days=30),
            status="published",
            published_at=moment - timedelta(days=7),
            created_by_id=organizer.id if organizer else None,
            quiz_id=quiz_campaign.quizzes[0].id
            if quiz_campaign and quiz_campaign.quizzes
            else None,
        )
        track.branches = [root] if root else []
        db.session.add(track)
        db.session.add(
            _article(track, 1, "保密法第一章 总则（第一条至第六条）", SECRECY_ARTICLE, 3)
        )
        db.session.add(_article(track, 2, "党章总纲（节选）", CHARTER_ARTICLE, 2))
        db.session.flush()
        _pdf(track, folder)
        db.session.add(
            StudyMaterial(
                track=track, position=4, kind="link", title="本局保密工作制度（内网）",
                url="http://oa.example.internal/baomi/zhidu",
            )
        )  # fmt: skip
        db.session.flush()
    return _simulate(track, moment, simulate, random.Random(rng_seed))


def _simulate(track: StudyTrack, moment: datetime, count: int, rng: random.Random) -> int:
    """Study rows for simulated people (sign-in names D…), as if their heartbeats had come in."""
    items = [m for m in track.materials if m.kind != "link"]
    studied = set(
        db.session.scalars(
            sa.select(StudyProgress.user_id).where(
                StudyProgress.material_id.in_([m.id for m in items])
            )
        )
    )
    people = [
        u
        for u in db.session.scalars(
            sa.select(User)
            .where(User.username.like("D%"), ~User.username.like("demo-%"), User.active)
            .order_by(User.username)
        )
        if u.id not in studied
    ]
    rng.shuffle(people)
    added = 0
    for user in people[: max(0, count - len(studied))]:
        for material in items:
            if rng.random() < 0.25:
                continue
            seconds = min(material.min_seconds, rng.randint(30, material.min_seconds + 60))
            day = moment - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 8))
            done = seconds >= material.min_seconds and rng.random() < 0.9
            db.session.add(
                StudyProgress(
                    user_id=user.id, material_id=material.id, seconds=seconds, end_seen=done,
                    opened_at=day, completed_at=day if done else None,
                )
            )  # fmt: skip
            db.session.add(
                StudyDay(
                    user_id=user.id, material_id=material.id, day=to_local(day).date(),  # type: ignore[union-attr]
                    branch_id=user.branch_id, seconds=seconds,
                )
            )  # fmt: skip
        added += 1
    db.session.flush()
    return added
