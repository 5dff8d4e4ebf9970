"""一学一报: requirements with an audience, autosaved drafts in order, submission with a minimum
length, review round trips with every version kept, counts per branch over the roster, exports,
photos, the year figures and the to-do items."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import PointEntry, ReportRequirement, StudyReport, User
from quiz_app.services import access
from quiz_app.services.reports import figures, requirements, writing
from quiz_app.services.reports.export import compilation_docx, reports_xlsx
from quiz_app.services.reports.requirements import ReportError, RequirementData
from tests.conftest import sign_in
from tests.factories import make_branch, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing
DUE = T0 + timedelta(days=3)
TEXT = "学习《中国共产党纪律处分条例》后，我对六项纪律有了更深的理解，" * 3  # 90+ characters


def make_requirement(organizer: User, branches: list, **changes: object) -> ReportRequirement:  # type: ignore[type-arg]
    data = RequirementData(
        title=str(changes.pop("title", "学习纪律处分条例心得")),
        instructions="结合本职工作谈体会",
        due_at=changes.pop("due_at", DUE),  # type: ignore[arg-type]
        min_chars=int(changes.pop("min_chars", 50)),  # type: ignore[call-overload]
        max_photos=int(changes.pop("max_photos", 2)),  # type: ignore[call-overload]
        branch_ids=[b.id for b in branches],
        group_ids=[],
    )
    return requirements.save_requirement(data, organizer)


@pytest.fixture()
def world(ctx: None) -> dict[str, object]:
    clock.set_now(T0)
    office, party = make_branch("办公室"), make_branch("党建科")
    outside = make_branch("外单位")
    org = make_user("org", real_name="组织者", roles=["organizer"])
    people = {
        "张三": make_user("zs", real_name="张三", branch=office),
        "李四": make_user("ls", real_name="李四", branch=office),
        "王五": make_user("ww", real_name="王五", branch=party),
        "赵六": make_user("zl", real_name="赵六", branch=outside),
    }
    req = make_requirement(org, [office, party])
    return {"org": org, "req": req, "office": office, "party": party, **people}


def test_review_round_trip_keeps_every_version(world: dict) -> None:  # type: ignore[type-arg]
    req, org, zs = world["req"], world["org"], world["张三"]
    writing.save_draft(req, zs, "初稿", 1, T0)
    first = writing.submit(req, zs, TEXT, T0 + timedelta(hours=1))
    report = first.report
    assert report.status == "submitted" and first.number == 1
    with pytest.raises(ReportError, match="退回意见"):
        writing.review(report, org, "returned", "  ", T0)
    writing.review(report, org, "returned", "请结合本科室工作再具体些", T0 + timedelta(hours=2))
    assert report.status == "returned"
    writing.save_draft(req, zs, TEXT + "修改", 2, T0 + timedelta(hours=3))
    second = writing.submit(req, zs, TEXT + "修改后补充了工作实例。", T0 + timedelta(hours=4))
    writing.review(report, org, "approved", "", T0 + timedelta(hours=5))
    db.session.flush()
    assert report.status == "approved"
    assert [(v.number, v.decision) for v in report.versions] == [(1, "returned"), (2, "approved")]
    assert report.versions[0].body == TEXT and second.body.endswith("工作实例。")
    assert report.versions[0].reviews[0].comment == "请结合本科室工作再具体些"
    paid = db.session.scalars(sa.select(PointEntry).where(PointEntry.user_id == zs.id)).all()
    assert [(p.activity, p.amount) for p in paid] == [("report_approved", 3)]


def test_author_cannot_edit_after_approval_and_a_withdrawn_approval_takes_points_back(
    world: dict,  # type: ignore[type-arg]
) -> None:
    req, org, zs = world["req"], world["org"], world["张三"]
    report = writing.submit(req, zs, TEXT, T0).report
    with pytest.raises(ReportError, match="等待审阅"):
        writing.save_draft(req, zs, "改", 5, T0)
    writing.review(report, org, "approved", "", T0)
    with pytest.raises(ReportError, match="已通过审阅") as refused:
        writing.save_draft(req, zs, "改", 6, T0)
    assert refused.value.status == 409
    with pytest.raises(ReportError, match="已通过审阅"):
        writing.submit(req, zs, TEXT, T0)
    writing.review(report, org, "returned", "引文出处有误，请核对", T0 + timedelta(days=1))
    lines = db.session.scalars(
        sa.select(PointEntry.amount).where(PointEntry.user_id == zs.id).order_by(PointEntry.id)
    ).all()
    assert list(lines) == [3, -3]
    assert [r.decision for r in report.versions[0].reviews] == ["approved", "returned"]


def test_the_author_and_strangers_cannot_review(world: dict) -> None:  # type: ignore[type-arg]
    req, zs, ls = world["req"], world["张三"], world["李四"]
    report = writing.submit(req, zs, TEXT, T0).report
    for who in (zs, ls, make_user(roles=["organizer"])):
        assert not requirements.can_review(who, report)
        with pytest.raises(ReportError) as refused:
            writing.review(report, who, "approved", "", T0)
        assert refused.value.status == 403
    assert requirements.can_review(make_user(roles=["admin"]), report)


def test_minimum_length_is_refused_with_the_count_and_keeps_the_text(world: dict) -> None:  # type: ignore[type-arg]
    req, zs = world["req"], world["张三"]
    short = "学习体会：要 守 纪 律\n讲 规 矩"  # spaces and line breaks do not count
    with pytest.raises(ReportError, match="至少需要50字（不计空格和换行），目前12字，还差38字"):
        writing.submit(req, zs, short, T0)
    report = requirements.report_of(zs, req)
    assert report is not None and report.body == short and report.status == "draft"
    assert not report.versions


def test_older_autosave_never_overwrites_a_newer_one(world: dict) -> None:  # type: ignore[type-arg]
    req, zs = world["req"], world["张三"]
    assert writing.save_draft(req, zs, "第三次", 3, T0).applied
    late = writing.save_draft(req, zs, "第二次", 2, T0)
    assert not late.applied and late.report.body == "第三次" and late.report.draft_seq == 3
    assert not writing.save_draft(req, zs, "重复", 3, T0).applied
    assert writing.save_draft(req, zs, "按钮保存", 1, T0, deliberate=True).report.draft_seq == 4


def test_counts_per_branch_with_overdue_and_the_not_yet_list(world: dict) -> None:  # type: ignore[type-arg]
    req, org = world["req"], world["org"]
    report = writing.submit(req, world["张三"], TEXT, T0).report
    writing.review(report, org, "approved", "", T0)
    other = writing.submit(req, world["王五"], TEXT, T0).report
    writing.review(other, org, "returned", "请补充", T0)
    writing.save_draft(req, world["李四"], "草稿不算已报", 1, T0)
    before = figures.requirement_figures(req, DUE - timedelta(minutes=1))
    assert (before.total.expected, before.total.submitted, before.total.overdue) == (3, 2, 0)
    after = figures.requirement_figures(req, DUE + timedelta(minutes=1))
    c = after.total
    assert (c.expected, c.submitted, c.approved, c.returned, c.overdue) == (3, 2, 1, 1, 1)
    rows = {r.branch.name: r.counts for r in after.rows}
    assert (rows["办公室"].expected, rows["办公室"].overdue, rows["办公室"].approved) == (2, 1, 1)
    assert rows["测试局"].expected == 3  # the root rolls its subtree up
    assert after.missing_text == "办公室（1 人）：李四"
    # a leader of 党建科 sees only 党建科
    leader = make_user(roles=["leader"], scope=world["party"])
    scoped = figures.requirement_figures(req, DUE, access.scope_branch_ids(leader))
    assert scoped.total.expected == 1 and scoped.total.returned == 1
    assert [r.branch.name for r in scoped.rows] == ["党建科"]  # no partial rows above the scope
    assert requirements.visible_requirements(leader) == [req]
    elsewhere = make_user(roles=["leader"], scope=make_branch("无关处"))
    assert requirements.visible_requirements(elsewhere) == []
    assert requirements.visible_requirements(make_user(roles=["organizer"])) == []


def test_exports_contain_the_reports(world: dict) -> None:  # type: ignore[type-arg]
    from docx import Document
    from openpyxl import load_workbook

    req, org = world["req"], world["org"]
    report = writing.submit(req, world["张三"], '=HYPERLINK("x")' + TEXT, T0).report
    writing.review(report, org, "approved", "", T0)
    writing.submit(req, world["王五"], TEXT + "王五", T0)
    sheet = load_workbook(io.BytesIO(reports_xlsx(req))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("部门", "姓名", "登录名", "状态")
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"张三", "王五"}
    assert by_name["张三"][3] == "已通过" and by_name["张三"][-1].startswith("'=HYPERLINK")
    assert by_name["王五"][3] == "待审阅" and by_name["王五"][-1].endswith("王五")
    doc = Document(io.BytesIO(compilation_docx(req, "示范局", T0)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "一学一报汇编" in text and "收录审阅通过的报告 1 篇" in text
    assert "张三" in text and TEXT[:20] in text and "王五" not in text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == ["测试局/办公室"]


def test_year_figures_count_submissions_and_approvals_in_the_period(world: dict) -> None:  # type: ignore[type-arg]
    req, org = world["req"], world["org"]
    a = writing.submit(req, world["张三"], TEXT, T0).report
    writing.review(a, org, "approved", "", T0 + timedelta(days=40))
    writing.submit(req, world["王五"], TEXT, T0 + timedelta(days=1))
    db.session.flush()
    raw_count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StudyReport)
        .where(StudyReport.first_submitted_at.is_not(None))
    )
    june = figures.year_figures(T0 - timedelta(days=1), T0 + timedelta(days=30))
    assert {f["key"]: f["value"] for f in june} == {"report.count": raw_count, "report.approved": 0}
    assert all(f["unit"] == "篇" for f in june)
    year = {
        f["key"]: f["value"]
        for f in figures.year_figures(T0 - timedelta(days=1), T0 + timedelta(days=90))
    }
    assert year == {"report.count": 2, "report.approved": 1}
    scoped = figures.year_figures(
        T0 - timedelta(days=1),
        T0 + timedelta(days=90),
        sa.select(sa.literal(world["party"].id)),
    )
    assert {f["key"]: f["value"] for f in scoped} == {"report.count": 1, "report.approved": 0}


def test_todo_items_list_what_is_due_or_returned(world: dict) -> None:  # type: ignore[type-arg]
    req, org, zs = world["req"], world["org"], world["张三"]
    items = figures.todo_items(zs, T0)
    assert items == [
        {
            "kind": "report",
            "title": "学习纪律处分条例心得",
            "url": f"/reports/{req.id}/write",
            "due_at": DUE,
            "status": "未提交",
            "action": "写报告",
        }
    ]
    report = writing.submit(req, zs, TEXT, T0).report
    assert figures.todo_items(zs, T0) == []
    writing.review(report, org, "returned", "请补充", T0)
    assert figures.todo_items(zs, T0)[0]["status"] == "已退回，请修改"
    assert (
        figures.todo_items(world["王五"], DUE + timedelta(hours=1))[0]["status"] == "已逾期，未提交"
    )
    assert figures.todo_items(world["赵六"], T0) == []


def test_requirement_needs_an_audience_and_a_title(world: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ReportError) as refused:
        requirements.save_requirement(RequirementData("  ", "", DUE, 100, 0, [], []), world["org"])
    assert "【标题】不能为空" in str(refused.value) and "【报送范围】" in str(refused.value)


# --- photos --------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_photos_are_checked_by_content_and_counted(world: dict, tmp_path) -> None:  # type: ignore[no-untyped-def,type-arg]
    req, zs = world["req"], world["张三"]
    with pytest.raises(ReportError, match="JPG、PNG 或 WebP"):
        writing.add_photo(req, zs, b"<svg onload=alert(1)>", tmp_path, T0)
    with pytest.raises(ReportError, match="JPG、PNG 或 WebP"):
        writing.add_photo(req, zs, b"GIF89a" + b"\x00" * 20, tmp_path, T0)
    one = writing.add_photo(req, zs, PNG, tmp_path, T0)
    writing.add_photo(req, zs, JPEG, tmp_path, T0)
    with pytest.raises(ReportError, match="最多2张"):
        writing.add_photo(req, zs, PNG, tmp_path, T0)
    assert one.content_type == "image/png" and one.stored_name.endswith(".png")
    assert writing.photo_path(one, tmp_path).read_bytes() == PNG
    writing.remove_photo(one, zs)
    with pytest.raises(ReportError, match="不能超过5 MB"):
        writing.add_photo(req, zs, b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), tmp_path, T0)
    version = writing.submit(req, zs, TEXT, T0)
    assert len(version.photo_ids) == 1  # the removed one is not part of the version
    assert writing.can_see_photo(zs, one)
    assert writing.can_see_photo(world["org"], one)
    assert not writing.can_see_photo(world["李四"], one)


# --- pages and API -------------------------------------------------------------------------------


@pytest.fixture()
def site(app: Flask) -> dict[str, int]:
    clock.set_now(T0)
    with app.app_context():
        office, outside = make_branch("办公室"), make_branch("外单位")
        org = make_user("boss", real_name="组织者", roles=["organizer"])
        make_user("writer", real_name="张三", branch=office)
        make_user("never", real_name="从未登录", branch=office)
        make_user("stranger", real_name="赵六", branch=outside)
        req = make_requirement(org, [office])
        db.session.commit()
        return {"req": req.id}


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_pages_write_submit_return_revise_approve(app: Flask, site: dict[str, int]) -> None:
    rid = site["req"]
    writer, boss = _client(app, "writer"), _client(app, "boss")
    page = writer.get(f"/reports/{rid}/write")
    assert page.status_code == 200 and "不少于 50 字" in page.get_data(as_text=True)
    saved = writer.put(f"/api/v1/reports/{rid}/draft", json={"body": "草稿", "seq": 1})
    assert saved.status_code == 200 and saved.get_json()["applied"] is True
    short = writer.post(
        f"/reports/{rid}/write", data={"body": "太短", "action": "submit", "seq": "2"}
    )
    assert short.status_code == 422 and "还差48字" in short.get_data(as_text=True)
    done = writer.post(f"/reports/{rid}/write", data={"body": TEXT, "action": "submit", "seq": "3"})
    assert done.status_code == 302
    late = writer.put(f"/api/v1/reports/{rid}/draft", json={"body": "迟到", "seq": 9})
    assert late.status_code == 409 and "等待审阅" in late.get_json()["error"]
    with app.app_context():
        report_id = db.session.scalar(sa.select(StudyReport.id))
    overview = boss.get(f"/reports/{rid}").get_data(as_text=True)
    assert "从未登录" in overview and "办公室（1 人）：从未登录" in overview
    assert (
        boss.post(
            f"/reports/r/{report_id}", data={"decision": "returned", "comment": ""}
        ).status_code
        == 422
    )
    assert (
        boss.post(
            f"/reports/r/{report_id}", data={"decision": "returned", "comment": "请补充具体做法"}
        ).status_code
        == 302
    )
    assert "请补充具体做法" in writer.get(f"/reports/{rid}/write").get_data(as_text=True)
    writer.post(
        f"/reports/{rid}/write", data={"body": TEXT + "补充", "action": "submit", "seq": "10"}
    )
    assert boss.post(f"/reports/r/{report_id}", data={"decision": "approved"}).status_code == 302
    history = boss.get(f"/reports/r/{report_id}").get_data(as_text=True)
    assert "第 1 稿" in history and "第 2 稿" in history and "请补充具体做法" in history
    after = writer.put(f"/api/v1/reports/{rid}/draft", json={"body": "改", "seq": 20})
    assert after.status_code == 409 and "已通过" in after.get_json()["error"]
    me = writer.get("/my").get_data(as_text=True)
    assert "一学一报" in me and "已通过" in me and 'id="points-total">3<' in me


def test_someone_outside_the_audience_is_refused(app: Flask, site: dict[str, int]) -> None:
    rid = site["req"]
    stranger = _client(app, "stranger")
    assert stranger.get(f"/reports/{rid}/write").status_code == 403
    assert stranger.get(f"/reports/{rid}").status_code == 403
    assert stranger.get(f"/reports/{rid}/export.xlsx").status_code == 403
    api = stranger.put(f"/api/v1/reports/{rid}/draft", json={"body": "x", "seq": 1})
    assert api.status_code == 403 and "范围" in api.get_json()["error"]
    assert (
        stranger.put("/api/v1/reports/999/draft", json={"body": "x", "seq": 1}).status_code == 404
    )
    bad = _client(app, "writer").put(f"/api/v1/reports/{rid}/draft", json={"body": 3, "seq": "a"})
    assert bad.status_code == 422


def test_photo_is_seen_only_by_author_and_reviewer(app: Flask, site: dict[str, int]) -> None:
    rid = site["req"]
    writer = _client(app, "writer")
    up = writer.post(
        f"/reports/{rid}/photos",
        data={"photo": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 302
    bad = writer.post(
        f"/reports/{rid}/photos",
        data={"photo": (io.BytesIO(b"MZ\x90\x00"), "x.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "只能上传 JPG、PNG 或 WebP" in bad.get_data(as_text=True)
    with app.app_context():
        from quiz_app.models import ReportPhoto

        pid = db.session.scalar(sa.select(ReportPhoto.id))
    shown = writer.get(f"/reports/photos/{pid}")
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    assert _client(app, "boss").get(f"/reports/photos/{pid}").status_code == 200
    assert _client(app, "never").get(f"/reports/photos/{pid}").status_code == 403


def test_organizer_creates_a_requirement_on_the_page(app: Flask, site: dict[str, int]) -> None:
    boss = _client(app, "boss")
    with app.app_context():
        from quiz_app.models import Branch

        office = db.session.scalar(sa.select(Branch.id).where(Branch.name == "办公室"))
    form = boss.get("/reports/new")
    assert form.status_code == 200
    bad = boss.post(
        "/reports/new", data={"title": "", "due_at": "", "min_chars": "x", "campaign_id": "0"}
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "【标题】不能为空" in text and "【最少字数】" in text
    ok = boss.post(
        "/reports/new",
        data={
            "title": "保密法学习体会",
            "due_at": "2026-06-10 18:00",
            "min_chars": "200",
            "max_photos": "0",
            "campaign_id": "0",
            "branch_ids": [str(office)],
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        req = db.session.scalar(
            sa.select(ReportRequirement).where(ReportRequirement.title == "保密法学习体会")
        )
        assert req is not None and req.min_chars == 200
        assert req.due_at == datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # 18:00 Beijing
    assert _client(app, "writer").get("/reports/new").status_code == 403


def test_demo_has_a_required_report_with_every_state_and_points(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    from quiz_app.models import PointEntry as Entry

    result = runner.invoke(args=["demo", "--no-serve", "--simulate", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        req = db.session.scalar(
            sa.select(ReportRequirement).where(ReportRequirement.title.like("纪律教育月%"))
        )
        assert req is not None and req.campaign is not None
        figs = figures.requirement_figures(req, clock.now())
        c = figs.total
        assert (c.submitted, c.approved, c.returned) == (12, 6, 3)
        assert c.expected > c.submitted and figs.missing
        assert all(
            writing.char_count(r.body) >= 200 for r in db.session.scalars(sa.select(StudyReport))
        )
        kinds = set(db.session.scalars(sa.select(Entry.activity)))
        assert {"report_approved", "quiz_taken"} <= kinds
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportRequirement)) == 1


def test_the_secretary_of_the_authors_party_branch_reviews(world: dict) -> None:  # type: ignore[type-arg]
    """A 党支部 covering 办公室: its secretary reviews 张三's report, not 王五's (党建科)."""
    from quiz_app.services.meetings.records import set_covers

    req, zs, ww = world["req"], world["张三"], world["王五"]
    branch = make_branch("第一党支部")
    set_covers(branch, [world["office"].id])  # type: ignore[attr-defined]
    secretary = make_user("sj", roles=["secretary"], scope=branch)
    mine = writing.submit(req, zs, TEXT, T0).report
    theirs = writing.submit(req, ww, TEXT, T0).report
    assert requirements.can_review(secretary, mine)
    assert not requirements.can_review(secretary, theirs)
    writing.review(mine, secretary, "approved", "", T0 + timedelta(hours=1))
    assert mine.status == "approved"
    assert requirements.can_see_counts(secretary, req)
