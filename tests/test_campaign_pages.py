"""Organizer pages for campaigns and quizzes: what an organizer does and sees, including refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Campaign, CampaignStatus, Question, Quiz, QuizSection
from quiz_app.services import attempts
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user, root_branch

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
BASE = "/manage/campaigns"


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


@pytest.fixture()
def office(app: Flask) -> int:
    with app.app_context():
        branch = make_branch("办公室", "BGS", root_branch())
        db.session.commit()
        return branch.id


def campaign_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "纪律教育月知识竞答",
        "description": "学习党纪处分条例",
        "theme": "纪律教育月",
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-07-10T18:00",
    }
    data.update(overrides)
    return data


def quiz_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "第一轮",
        "instructions": "独立完成",
        "time_limit": "20",
        "attempts_mode": "one",
        "attempts_number": "",
        "counting": "best",
        "pass_mark": "60",
        "shuffle_questions": "y",
        "review_policy": "immediate",
        "multiple_scoring": "all_or_nothing",
    }
    data.update(overrides)
    return data


def draft_with_quiz(app: Flask, singles: int = 2, **quiz_rules: object) -> tuple[int, int]:
    """A draft campaign for the whole organisation with one quiz drawn from a 5-per-type bank."""
    with app.app_context():
        clock.set_now(T0)
        bank = make_bank(per_type=5)
        campaign = make_campaign(
            status="draft", opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=3)
        )
        quiz = make_quiz(
            campaign, bank, sections=(("single", singles, "5"),), title="第一轮", **quiz_rules
        )
        db.session.commit()
        return campaign.id, quiz.id


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/new"])
def test_only_organizers_and_admins(
    path: str,
    employee_client: FlaskClient,
    leader_client: FlaskClient,
    organizer_client: FlaskClient,
    admin_client: FlaskClient,
) -> None:
    for client in (employee_client, leader_client):
        assert client.get(BASE + path).status_code == 403
    for client in (organizer_client, admin_client):
        assert client.get(BASE + path).status_code == 200


def test_non_organizers_cannot_publish_or_see_a_campaign(
    app: Flask, employee_client: FlaskClient
) -> None:
    campaign_id, quiz_id = draft_with_quiz(app)
    assert employee_client.get(f"{BASE}/{campaign_id}").status_code == 403
    assert employee_client.post(f"{BASE}/{campaign_id}/publish").status_code == 403
    assert (
        employee_client.get(f"{BASE}/{campaign_id}/quizzes/{quiz_id}/participation").status_code
        == 403
    )
    with app.app_context():
        assert get_campaign(campaign_id).status == CampaignStatus.DRAFT


# --- campaigns ---------------------------------------------------------------------------------


def test_create_a_campaign_in_beijing_time(
    app: Flask, organizer_client: FlaskClient, office: int
) -> None:
    form = organizer_client.get(f"{BASE}/new")
    assert 'type="datetime-local"' in page(form) and "党史学习教育" in page(form)
    assert "办公室" in page(form)
    response = organizer_client.post(f"{BASE}/new", data=campaign_form(branch_ids=[office]))
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalars(sa.select(Campaign)).one()
        assert campaign.opens_at == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
        assert campaign.closes_at == datetime(2026, 7, 10, 10, 0, tzinfo=UTC)
        assert campaign.status == CampaignStatus.DRAFT
        assert [b.name for b in campaign.branches] == ["办公室"]
        assert campaign.theme == "纪律教育月"
        assert campaign.created_by is not None
    listing = page(organizer_client.get(f"{BASE}/"))
    assert "纪律教育月知识竞答" in listing and "草稿" in listing
    assert "7月1日 09:00 至 7月10日 18:00" in listing and "0 项竞答" in listing


def test_closing_before_opening_is_refused(app: Flask, organizer_client: FlaskClient) -> None:
    response = organizer_client.post(
        f"{BASE}/new", data=campaign_form(opens_at="2026-07-10T09:00", closes_at="2026-07-01T09:00")
    )
    assert response.status_code == 200
    assert "结束时间必须晚于开始时间" in page(response)
    bad = organizer_client.post(f"{BASE}/new", data=campaign_form(opens_at="7月1日"))
    assert "请按“年-月-日 时:分”填写北京时间" in page(bad)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_edit_a_draft_changes_window_and_audience(
    app: Flask, organizer_client: FlaskClient, office: int
) -> None:
    campaign_id, _ = draft_with_quiz(app)
    shown = page(organizer_client.get(f"{BASE}/{campaign_id}/edit"))
    assert 'value="2026-06-01T11:00"' in shown  # opens T0+1h, shown in Beijing time
    organizer_client.post(
        f"{BASE}/{campaign_id}/edit",
        data=campaign_form(opens_at="2026-06-02T08:30", branch_ids=[office], group_ids=[]),
    )
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.opens_at == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)
        assert [b.id for b in campaign.branches] == [office]


# --- quizzes and sections ----------------------------------------------------------------------


def test_build_a_quiz_with_sections_and_see_max_score_and_shortfalls(
    app: Flask, organizer_client: FlaskClient
) -> None:
    with app.app_context():
        clock.set_now(T0)
        bank = make_bank("纪律题库", per_type=5, categories=("党章",))
        campaign = make_campaign(status="draft")
        db.session.commit()
        bank_id, campaign_id = bank.id, campaign.id
    response = organizer_client.post(
        f"{BASE}/{campaign_id}/quizzes/new",
        data=quiz_form(time_limit="", attempts_mode="many", attempts_number="3", counting="last"),
    )
    assert response.status_code == 302
    with app.app_context():
        quiz = db.session.scalars(sa.select(Quiz)).one()
        assert quiz.time_limit_seconds is None and quiz.attempts_allowed == 3
        assert quiz.counting == "last" and quiz.pass_mark == Decimal("60")
        quiz_id = quiz.id
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}"
    response = organizer_client.post(
        f"{url}/sections/new",
        data={
            "title": "一、单选题",
            "question_type": "single",
            "count": "20",
            "points": "2",
            "bank_ids": [bank_id],
            "categories": ["党章"],
        },
        follow_redirects=True,
    )
    assert "单选·党章 需要 20 题，题库只有 5 题" in page(response)
    with app.app_context():
        judge_ids = list(
            db.session.scalars(
                sa.select(Question.id)
                .where(Question.bank_id == bank_id, Question.type == "judge")
                .order_by(Question.id)
                .limit(2)
            )
        )
    organizer_client.post(
        f"{url}/sections/new?kind=fixed",
        data={"title": "二、判断题", "points": "1.5", "question_ids": [str(i) for i in judge_ids]},
    )
    shown = page(organizer_client.get(url))
    assert "满分 <strong>43.00</strong> 分" in shown  # 20 × 2 + 2 × 1.5
    assert "单选·党章 需要 20 题，题库只有 5 题" in shown
    assert "指定题目 2 题 × 1.5 分" in shown
    with app.app_context():
        sections = db.session.scalars(sa.select(QuizSection).order_by(QuizSection.position)).all()
        assert [s.title for s in sections] == ["一、单选题", "二、判断题"]
        assert sections[1].fixed_question_ids == judge_ids
        second = sections[1].id
    organizer_client.post(f"{url}/sections/{second}/move", data={"direction": "up"})
    with app.app_context():
        titles = db.session.scalars(
            sa.select(QuizSection.title).order_by(QuizSection.position)
        ).all()
        assert titles == ["二、判断题", "一、单选题"]
    organizer_client.post(f"{url}/sections/{second}/delete")
    with app.app_context():
        assert db.session.scalars(sa.select(QuizSection.title)).all() == ["一、单选题"]


def test_section_form_errors_are_in_chinese(app: Flask, organizer_client: FlaskClient) -> None:
    campaign_id, quiz_id = draft_with_quiz(app)
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}/sections/new"
    shown = page(organizer_client.post(url, data={"question_type": "single", "count": "x"}))
    assert "题数应为1到500之间的整数" in shown
    assert "请填写每题分值" in shown and "请至少选择一个题库" in shown
    fixed = page(organizer_client.post(url + "?kind=fixed", data={"points": "1"}))
    assert "请至少勾选一道题目" in fixed
    bad_quiz = page(
        organizer_client.post(
            f"{BASE}/{campaign_id}/quizzes/new", data=quiz_form(time_limit="0", pass_mark="abc")
        )
    )
    assert "限时应为1到1440之间的整数（分钟），不限时请留空" in bad_quiz
    assert "及格分应为不小于0的数字，最多两位小数" in bad_quiz


# --- publishing --------------------------------------------------------------------------------


def test_publish_refused_with_the_shortfall_and_nothing_changes(
    app: Flask, organizer_client: FlaskClient
) -> None:
    campaign_id, _ = draft_with_quiz(app, singles=20)
    response = organizer_client.post(f"{BASE}/{campaign_id}/publish", follow_redirects=True)
    shown = page(response)
    assert "暂不能发布" in shown
    assert "“第一轮”：单选 需要 20 题，题库只有 5 题" in shown
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.status == CampaignStatus.DRAFT and campaign.published_at is None


def test_publish_succeeds_and_locks_the_rules(app: Flask, organizer_client: FlaskClient) -> None:
    campaign_id, quiz_id = draft_with_quiz(app)
    response = organizer_client.post(f"{BASE}/{campaign_id}/publish", follow_redirects=True)
    assert "已发布" in page(response)
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.status == CampaignStatus.PUBLISHED and campaign.published_at == T0

    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}"
    shown = page(organizer_client.get(url))
    assert "竞答规则（已锁定）" in shown and 'name="time_limit"' not in shown
    refused = organizer_client.post(url, data=quiz_form(title="改名", time_limit="60"))
    assert "活动已发布，竞答规则已锁定，不能修改：限时" in page(refused)
    section = organizer_client.post(
        f"{url}/sections/new",
        data={"question_type": "judge", "count": "1", "points": "1", "bank_ids": ["1"]},
        follow_redirects=True,
    )
    assert "竞答规则已锁定，不能修改：题目设置" in page(section)
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert quiz is not None
        assert (quiz.title, quiz.time_limit_seconds, len(quiz.sections)) == ("第一轮", 600, 1)
    # the words and the review policy may still change
    ok = organizer_client.post(
        url, data={"title": "第一轮（修订）", "instructions": "", "review_policy": "after_close"}
    )
    assert ok.status_code == 302
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert quiz is not None
        assert (quiz.title, quiz.review_policy, quiz.time_limit_seconds) == (
            "第一轮（修订）",
            "after_close",
            600,
        )
    new_quiz = organizer_client.post(
        f"{BASE}/{campaign_id}/quizzes/new", data=quiz_form(), follow_redirects=True
    )
    assert "活动已发布，不能再新增竞答" in page(new_quiz)


def test_after_publishing_closing_time_can_only_be_extended(
    app: Flask, organizer_client: FlaskClient
) -> None:
    campaign_id, _ = draft_with_quiz(app)
    organizer_client.post(f"{BASE}/{campaign_id}/publish")
    edit = page(organizer_client.get(f"{BASE}/{campaign_id}/edit"))
    assert "结束时间只能延后" in edit and 'name="opens_at"' not in edit
    # closes 2026-06-04 10:00 Beijing
    shorter = organizer_client.post(
        f"{BASE}/{campaign_id}/edit",
        data={"title": "新名称", "closes_at": "2026-06-03T10:00"},
    )
    assert "活动已发布，结束时间只能延后，不能提前" in page(shorter)
    moved = organizer_client.post(
        f"{BASE}/{campaign_id}/edit",
        data={"title": "新名称", "closes_at": "2026-06-04T10:00", "opens_at": "2026-06-01T08:00"},
    )
    assert "活动已发布，开始时间不能修改" in page(moved)
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.title != "新名称"
        assert campaign.closes_at == T0 + timedelta(days=3)
    longer = organizer_client.post(
        f"{BASE}/{campaign_id}/edit",
        data={"title": "新名称", "theme": "保密知识学习", "closes_at": "2026-06-10T18:00"},
    )
    assert longer.status_code == 302
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.title == "新名称" and campaign.theme == "保密知识学习"
        assert campaign.closes_at == datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def test_close_early_needs_confirmation(app: Flask, organizer_client: FlaskClient) -> None:
    campaign_id, _ = draft_with_quiz(app)
    organizer_client.post(f"{BASE}/{campaign_id}/publish")
    unconfirmed = organizer_client.post(f"{BASE}/{campaign_id}/close", follow_redirects=True)
    assert "请先勾选“我已确认”，再提前结束活动" in page(unconfirmed)
    with app.app_context():
        assert get_campaign(campaign_id).status == CampaignStatus.PUBLISHED
    clock.set_now(T0 + timedelta(hours=2))
    done = organizer_client.post(
        f"{BASE}/{campaign_id}/close", data={"confirm": "y"}, follow_redirects=True
    )
    assert "活动已结束" in page(done)
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.status == CampaignStatus.CLOSED
        assert campaign.closes_at == T0 + timedelta(hours=2)
    again = organizer_client.post(
        f"{BASE}/{campaign_id}/close", data={"confirm": "y"}, follow_redirects=True
    )
    assert "只有已发布的活动可以结束" in page(again)


def test_only_drafts_can_be_deleted(app: Flask, organizer_client: FlaskClient) -> None:
    draft_id, _ = draft_with_quiz(app)
    published_id, _ = draft_with_quiz(app)
    organizer_client.post(f"{BASE}/{published_id}/publish")
    refused = organizer_client.post(
        f"{BASE}/{published_id}/delete", data={"confirm": "y"}, follow_redirects=True
    )
    assert "已发布的活动不能删除" in page(refused)
    unconfirmed = organizer_client.post(f"{BASE}/{draft_id}/delete", follow_redirects=True)
    assert "请先勾选“我已确认”，再删除活动" in page(unconfirmed)
    deleted = organizer_client.post(
        f"{BASE}/{draft_id}/delete", data={"confirm": "y"}, follow_redirects=True
    )
    assert "已删除草稿" in page(deleted)
    with app.app_context():
        assert db.session.get(Campaign, draft_id) is None
        assert db.session.get(Campaign, published_id) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == 1


# --- participation -----------------------------------------------------------------------------


def test_participation_lists_who_has_not_finished(
    app: Flask, organizer_client: FlaskClient
) -> None:
    with app.app_context():
        clock.set_now(T0)
        bank = make_bank(per_type=2)
        office = make_branch("办公室", "BGS", root_branch())
        finance = make_branch("财务处", "CWC", root_branch())
        archive = make_branch("档案室", "DAS", office)
        other = make_branch("外单位", "WDW", None)
        campaign = make_campaign(
            [office, finance],
            opens_at=T0 - timedelta(hours=1),
            closes_at=T0 + timedelta(days=1),
        )
        quiz = make_quiz(campaign, bank, sections=(("judge", 1, "1"),))
        make_user("zs", real_name="张三", branch=office)  # never signed in
        make_user("ls", real_name="李四", branch=archive)  # in a sub-branch
        done = make_user("ww", real_name="王五", branch=office)
        running = make_user("zl", real_name="赵六", branch=finance)
        make_user("sq", real_name="孙七", branch=other)  # outside the audience
        make_user("zb", real_name="周八", branch=finance, active=False)
        attempt, _ = attempts.start_attempt(quiz, done, T0)
        attempts.submit(attempt.id, done, T0 + timedelta(minutes=1))
        attempts.start_attempt(quiz, running, T0)
        db.session.commit()
        url = f"{BASE}/{campaign.id}/quizzes/{quiz.id}/participation"
    shown = page(organizer_client.get(url))
    assert "张三" in shown and "李四" in shown and "赵六" in shown
    assert "王五" not in shown and "孙七" not in shown and "周八" not in shown
    assert "<strong>1</strong> / 4 人已完成" in shown
    assert "办公室：张三\n档案室：李四\n财务处：赵六" in shown
    assert "从未登录" in shown and "作答中" in shown


def test_saving_words_keeps_a_closing_time_with_seconds(
    app: Flask, organizer_client: FlaskClient
) -> None:
    with app.app_context():
        clock.set_now(T0)
        closes = T0 + timedelta(days=3, seconds=25)
        campaign = make_campaign(opens_at=T0 - timedelta(hours=1), closes_at=closes)
        db.session.commit()
        campaign_id = campaign.id
    shown = page(organizer_client.get(f"{BASE}/{campaign_id}/edit"))
    assert 'value="2026-06-04T10:00"' in shown
    response = organizer_client.post(
        f"{BASE}/{campaign_id}/edit", data={"title": "改个名字", "closes_at": "2026-06-04T10:00"}
    )
    assert response.status_code == 302
    with app.app_context():
        campaign = get_campaign(campaign_id)
        assert campaign.title == "改个名字" and campaign.closes_at == closes
        campaign.status = CampaignStatus.CLOSED.value
        db.session.commit()
    later = organizer_client.post(
        f"{BASE}/{campaign_id}/edit", data={"title": "再改", "closes_at": "2026-06-09T10:00"}
    )
    assert "活动已结束，结束时间不能再修改" in page(later)
    ok = organizer_client.post(
        f"{BASE}/{campaign_id}/edit", data={"title": "再改", "closes_at": "2026-06-04T10:00"}
    )
    assert ok.status_code == 302


def test_quizzes_of_a_published_campaign_cannot_be_deleted(
    app: Flask, organizer_client: FlaskClient
) -> None:
    campaign_id, quiz_id = draft_with_quiz(app)
    organizer_client.post(f"{BASE}/{campaign_id}/publish")
    response = organizer_client.post(
        f"{BASE}/{campaign_id}/quizzes/{quiz_id}/delete",
        data={"confirm": "y"},
        follow_redirects=True,
    )
    assert "活动已发布，竞答不能删除" in page(response)
    with app.app_context():
        assert db.session.get(Quiz, quiz_id) is not None


def test_filtering_the_picker_keeps_unsaved_ticks(
    app: Flask, organizer_client: FlaskClient
) -> None:
    """Tick two 判断 questions, then filter to 单选: both stay ticked under 已选题目, nothing is
    saved until 保存, and no error is shown for the points not yet filled in."""
    campaign_id, quiz_id = draft_with_quiz(app)
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}/sections/new?kind=fixed"
    count = sa.select(sa.func.count()).select_from(QuizSection)
    with app.app_context():
        before = db.session.scalar(count)
        bank_id = db.session.scalars(sa.select(Question.bank_id)).first()
        judges = list(
            db.session.scalars(
                sa.select(Question.id)
                .where(Question.type == "judge")
                .order_by(Question.id)
                .limit(2)
            )
        )
    shown = page(
        organizer_client.post(
            url,
            data={
                "action": "filter",
                "bank": str(bank_id),
                "type": "single",
                "question_ids": [str(i) for i in judges],
            },
        )
    )
    for qid in judges:
        assert f'id="chosen-{qid}" name="question_ids" value="{qid}" checked' in shown
    assert "已选题目（2 道" in shown
    assert 'id="found-' in shown and "请填写每题分值" not in shown
    with app.app_context():
        assert db.session.scalar(count) == before
    organizer_client.post(
        url, data={"action": "save", "points": "1", "question_ids": [str(i) for i in judges]}
    )
    with app.app_context():
        fixed = db.session.scalars(
            sa.select(QuizSection.fixed_question_ids).order_by(QuizSection.id.desc())
        ).first()
        assert db.session.scalar(count) == before + 1 and fixed == judges
