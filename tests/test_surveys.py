"""Anonymous 思想动态 surveys: anonymity by schema, the ≥5 threshold, one answer each, audience."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.survey import (
    Survey,
    SurveyParticipation,
    SurveyResponse,
    SurveyStatus,
)
from quiz_app.services.surveys import SurveyError, answering, authoring, results
from tests.conftest import sign_in
from tests.factories import make_branch, make_user, root_branch

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
QUESTIONS = "[单选] 满意吗\n满意\n不满意\n\n[多选] 想学什么\n讲座\n线上\n研讨\n\n[量表] 压力\n\n[文字] 建议（选答）"


def make_survey(branches: list[Branch], publish: bool = True, by: User | None = None) -> Survey:
    survey = Survey(status=SurveyStatus.DRAFT.value, created_by=by)
    authoring.save_draft(
        survey,
        title="思想动态调查",
        description="",
        opens_at=T0,
        closes_at=T0 + timedelta(days=10),
        branches=branches,
        groups=[],
        questions=QUESTIONS,
    )
    db.session.add(survey)
    db.session.flush()
    if publish:
        clock.set_now(T0 + timedelta(hours=1))
        authoring.publish(survey)
    return survey


def form_for(survey: Survey, single: int = 0, scale: str = "4", text: str = "") -> dict:
    q = {x.position: x.id for x in survey.questions}
    return {
        f"q{q[1]}": [str(single)],
        f"q{q[2]}": ["0", "2"],
        f"q{q[3]}": [scale],
        f"q{q[4]}": [text],
    }


def test_response_tables_have_no_link_to_a_person(ctx: None) -> None:
    insp = sa.inspect(db.engine)
    for table in ("survey_response", "survey_answer"):
        columns = {c["name"] for c in insp.get_columns(table)}
        assert not columns & {"user_id", "account_id", "created_at", "submitted_at", "answered_on"}
        assert not any("time" in c or "date" in c or "user" in c for c in columns), columns
        targets = {fk["referred_table"] for fk in insp.get_foreign_keys(table)}
        assert targets <= {"survey", "branch", "survey_question", "survey_response"}, targets
        assert "account" not in targets and "survey_participation" not in targets
    # the response key is text (a random UUID), not an autoincrement integer
    pk = insp.get_pk_constraint("survey_response")["constrained_columns"]
    assert pk == ["id"]
    assert (
        "CHAR"
        in str(
            next(c["type"] for c in insp.get_columns("survey_response") if c["name"] == "id")
        ).upper()
    )
    # participation holds who and the day, nothing about the answers
    assert {c["name"] for c in insp.get_columns("survey_participation")} == {"survey_id", "user_id"}


def test_participation_order_cannot_be_matched_to_response_ids(ctx: None) -> None:
    """Twelve people answer one after another, each in a transaction of their own."""
    dept = make_branch("办公室")
    people = [make_user(branch=dept) for _ in range(12)]
    survey = make_survey([dept])
    db.session.commit()
    made = []
    for i, u in enumerate(people):
        made.append(answering.submit(survey, u, form_for(survey, single=i % 2)).id)
        db.session.commit()
    submitted = [u.id for u in people]
    stored = list(db.session.scalars(sa.select(SurveyResponse.id).order_by(SurveyResponse.id)))
    assert sorted(made) == stored
    assert stored != made  # ordering by the key does not give the order of answering
    assert all(len(i) == 36 and i[14] == "4" for i in stored)  # UUID version 4: random
    if db.engine.dialect.name == "sqlite":  # no hidden rowid numbering the inserts either
        for table in ("survey_response", "survey_answer", "survey_participation"):
            with db.session.begin_nested(), pytest.raises(sa.exc.OperationalError):
                db.session.execute(sa.text(f"SELECT rowid FROM {table}")).all()
    else:
        # PostgreSQL: every participation row carries the newest transaction id and they lie in
        # shuffled order, so neither xmin nor ctid lines a person up with a response
        rows = db.session.execute(
            sa.text(
                "SELECT user_id, xmin::text FROM survey_participation"
                " WHERE survey_id = :s ORDER BY ctid"
            ),
            {"s": survey.id},
        ).all()
        xmin = dict(db.session.execute(sa.text("SELECT id, xmin::text FROM survey_response")).all())
        assert len(set(xmin.values())) == len(made)  # each response in its own transaction
        assert {x for _, x in rows} == {xmin[made[-1]]}
        assert [u for u, _ in rows] != submitted


def test_one_answer_per_person_and_all_or_nothing(ctx: None) -> None:
    dept = make_branch()
    user = make_user(branch=dept)
    survey = make_survey([dept])
    bad = form_for(survey, scale="9")
    with pytest.raises(SurveyError) as exc:
        answering.submit(survey, user, bad)
    assert any("第3题" in m for m in exc.value.messages)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    assert not answering.has_answered(user, survey)
    answering.submit(survey, user, form_for(survey))
    with pytest.raises(SurveyError) as again:
        answering.submit(survey, user, form_for(survey))
    assert again.value.status == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 1


def test_required_and_option_checks_name_the_question(ctx: None) -> None:
    dept = make_branch()
    user = make_user(branch=dept)
    survey = make_survey([dept])
    with pytest.raises(SurveyError) as exc:
        answering.submit(survey, user, {})
    assert exc.value.messages == ["第1题：请作答", "第2题：请作答", "第3题：请作答"]
    form = form_for(survey, single=7)
    with pytest.raises(SurveyError, match="第1题：选项无效"):
        answering.submit(survey, user, form)


def test_outside_the_audience_is_refused(ctx: None) -> None:
    a, b = make_branch(), make_branch()
    outsider = make_user(branch=b)
    survey = make_survey([a])
    with pytest.raises(SurveyError) as exc:
        answering.submit(survey, outsider, form_for(survey))
    assert exc.value.status == 403
    assert answering.open_surveys(outsider) == []


def test_bad_question_text_lists_every_problem(ctx: None) -> None:
    with pytest.raises(SurveyError) as exc:
        authoring.parse_questions("[单选] 只有一个选项\n甲\n\n题目没有题型\n\n[量表] 压力\n多余")
    assert exc.value.messages == [
        "第1题：单选题至少需要两个选项（每行一个）",
        "第2题：第一行应以[单选]、[多选]、[量表]或[文字]开头",
        "第3题：量表1-5题不需要选项，请删去题目下面的行",
    ]


def test_small_branches_are_stored_merged_up_and_shown_merged(ctx: None) -> None:
    """A branch of 2 people is never stored on its own: its answers carry the parent's id."""
    dept = make_branch("综合处")
    small = make_branch("档案科", parent=dept)  # 2 people
    big = make_branch("信息科", parent=dept)  # 6 people
    five = make_branch("宣传科", parent=dept)  # 5 people
    retired = make_branch("离退休办")  # 1 person
    people = [make_user(branch=small) for _ in range(2)]
    people += [make_user(branch=big) for _ in range(6)]
    people += [make_user(branch=five) for _ in range(5)]
    people.append(make_user(branch=retired))
    survey = make_survey([dept, retired])
    for u in people:
        answering.submit(survey, u, form_for(survey))
    stored = dict(
        db.session.execute(
            sa.select(SurveyResponse.report_branch_id, sa.func.count()).group_by(
                SurveyResponse.report_branch_id
            )
        ).all()
    )
    # 档案科 (2 people) → 综合处 (13 in the audience); the lone 离退休办 person → 测试局 (14)
    assert stored == {dept.id: 2, big.id: 6, five.id: 5, root_branch().id: 1}
    res = results.results(survey)
    # 综合处's own 2 go up to 测试局 (3), then to 其他 (3 < 5); so that "all minus the groups
    # shown" does not give those 3 answers, the smallest group shown (宣传科, 5) joins 其他
    assert [(g.label, g.responses) for g in res.groups] == [
        ("测试局/综合处/信息科", 6),
        ("其他", 8),
    ]
    assert sorted(res.groups[1].merged) == ["测试局", "测试局/综合处", "测试局/综合处/宣传科"]
    assert res.small_other == 0 and res.responses == 14
    assert res.questions[0].options == [("满意", 14), ("不满意", 0)]
    assert res.questions[2].scale_mean == 4.0


def test_fewer_than_five_answers_show_no_branch_at_all(ctx: None) -> None:
    dept = make_branch("小处")
    people = [make_user(branch=dept) for _ in range(6)]
    survey = make_survey([dept])
    for u in people[:4]:
        answering.submit(survey, u, form_for(survey))
    res = results.results(survey)
    assert res.groups == [] and res.small_other == 4 and res.responses == 4


def test_merge_small_joins_siblings_into_their_parent(ctx: None) -> None:
    parent = make_branch("机关")
    a, b = make_branch("甲", parent=parent), make_branch("乙", parent=parent)
    merged = results.merge_small({a.id: 3, b.id: 2, parent.id: 0})
    assert sorted(merged[parent.id]) == sorted([a.id, b.id])  # 5 together: shown as 机关
    merged = results.merge_small({a.id: 3, b.id: 5, parent.id: 6})
    # 甲 (3) → 机关 (9); 乙 (5) stays on its own
    assert merged == {parent.id: [parent.id, a.id], b.id: [b.id]}


def test_not_yet_list_comes_from_participation(ctx: None) -> None:
    dept = make_branch()
    done, waiting = make_user(branch=dept), make_user(branch=dept)
    survey = make_survey([dept])
    answering.submit(survey, done, form_for(survey))
    assert results.not_yet(survey) == [waiting]
    assert db.session.get(SurveyParticipation, (survey.id, done.id)) is not None


# --- pages -----------------------------------------------------------------------------------------


def _world(app: Flask) -> tuple[int, str]:
    with app.app_context():
        dept = make_branch("调研处")
        emp = make_user("emp", branch=dept)
        org = make_user("org1", roles=["organizer"])
        survey = make_survey([dept], by=org)
        sid, name = survey.id, emp.username
        db.session.commit()
    return sid, name


def test_notice_is_shown_before_answering_and_a_submission_is_thanked(
    app: Flask, client: FlaskClient
) -> None:
    sid, name = _world(app)
    sign_in(client, name)
    page = client.get(f"/surveys/{sid}").get_data(as_text=True)
    notice = page.index("本问卷匿名")
    assert "少于 5 人的部门合并到上级部门显示" in page
    assert notice < page.index("提交问卷") and notice < page.index("满意吗")
    with app.app_context():
        form = form_for(db.session.get(Survey, sid), text="多组织交流")
    resp = client.post(f"/surveys/{sid}", data=form)
    assert resp.status_code == 302
    again = client.post(f"/surveys/{sid}", data=form)
    assert again.status_code == 409 and "每人只能提交一次" in again.get_data(as_text=True)


def test_bad_submission_shows_the_question_and_keeps_choices(
    app: Flask, client: FlaskClient
) -> None:
    sid, name = _world(app)
    sign_in(client, name)
    with app.app_context():
        form = form_for(db.session.get(Survey, sid), scale="")
    resp = client.post(f"/surveys/{sid}", data=form)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "第3题：请作答" in body
    assert 'value="2" checked' in body  # the ticked 研讨 stays ticked


def test_outsider_gets_403_and_employee_cannot_see_results(
    app: Flask, client: FlaskClient, employee_client: FlaskClient
) -> None:
    sid, name = _world(app)
    assert employee_client.get(f"/surveys/{sid}").status_code == 403
    sign_in(client, name)
    assert client.get(f"/surveys/{sid}/results").status_code == 403
    assert client.get(f"/surveys/{sid}/not-yet").status_code == 403


def test_another_organizer_cannot_manage(app: Flask, organizer_client: FlaskClient) -> None:
    sid, _ = _world(app)
    assert organizer_client.get(f"/surveys/{sid}/results").status_code == 403


def test_organizer_creates_publishes_and_reads_results(
    app: Flask, organizer_client: FlaskClient
) -> None:
    with app.app_context():
        dept = make_branch("宣传处")
        for _ in range(5):
            make_user(branch=dept)
        dept_id = dept.id
        db.session.commit()
    clock.set_now(T0)
    bad = organizer_client.post(
        "/surveys/new",
        data={
            "title": "调查",
            "opens_at": "2026-06-01 10:00",
            "closes_at": "2026-06-08 10:00",
            "branch_ids": [dept_id],
            "questions": "[单选] 只有一个\n甲",
        },
    )
    assert bad.status_code == 400 and "第1题：单选题至少需要两个选项" in bad.get_data(as_text=True)
    ok = organizer_client.post(
        "/surveys/new",
        data={
            "title": "调查",
            "opens_at": "2026-06-01 10:00",
            "closes_at": "2026-06-08 10:00",
            "branch_ids": [dept_id],
            "questions": QUESTIONS,
        },
    )
    assert ok.status_code == 302
    sid = int(ok.headers["Location"].split("/")[-2])
    assert organizer_client.post(f"/surveys/{sid}/publish").status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, sid)
        assert survey.status == "published"
        for u in db.session.scalars(sa.select(User).where(User.branch_id == dept_id)):
            answering.submit(survey, u, form_for(survey, text=f"建议{u.id}"))
        db.session.commit()
    page = organizer_client.get(f"/surveys/{sid}/results").get_data(as_text=True)
    assert "收回答卷 <strong>5</strong> 份" in page
    assert "宣传处" in page and "建议" in page
    assert "调查对象都已填写" in organizer_client.get(f"/surveys/{sid}/not-yet").get_data(
        as_text=True
    )


def test_a_draft_is_not_shown_to_its_audience(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        dept = make_branch("草稿处")
        make_user("emp_draft", branch=dept)
        sid = make_survey([dept], publish=False).id
        db.session.commit()
    sign_in(client, "emp_draft")
    assert client.get(f"/surveys/{sid}").status_code == 404
    assert "思想动态调查" not in client.get("/surveys/").get_data(as_text=True)


def test_a_draft_is_edited_then_locked_once_published(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        dept = make_branch("编辑处")
        org = make_user("org_edit", roles=["organizer"])
        sid, dept_id = make_survey([dept], publish=False, by=org).id, dept.id
        db.session.commit()
    clock.set_now(T0)
    sign_in(client, "org_edit")
    form = client.get(f"/surveys/{sid}/edit").get_data(as_text=True)
    assert "[单选] 满意吗" in form and "[文字] 建议（选答）" in form  # the questions as text
    data = {
        "title": "改过的标题",
        "opens_at": "2026-06-01 10:00",
        "closes_at": "2026-06-05 10:00",
        "branch_ids": [dept_id],
        "questions": "[量表] 只剩一题",
    }
    assert client.post(f"/surveys/{sid}/edit", data=data).status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, sid)
        assert survey.title == "改过的标题" and [q.prompt for q in survey.questions] == ["只剩一题"]
    assert client.post(f"/surveys/{sid}/publish").status_code == 302
    locked = client.get(f"/surveys/{sid}/edit")
    assert locked.status_code == 302  # published: back to the survey page with a message
    assert client.post(f"/surveys/{sid}/close").status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, sid)
        assert survey.status == "closed" and not answering.is_open(survey)
