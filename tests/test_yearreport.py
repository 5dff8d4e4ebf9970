"""The year's report: the paragraph from whichever providers exist, the quiz figures against a
count from raw rows, the .docx/.xlsx downloads, and leader scope."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, Branch, Campaign, QuizResult, User
from quiz_app.services.stats import year, yearreport
from tests.conftest import sign_in
from tests.factories import make_branch, make_user
from tests.test_stats import T0, build_world

MEETING_CODES = ("party_congress", "committee", "group", "lecture", "theme_day", "life_meeting",
                 "center_group", "special")  # fmt: skip


def fig(key: str, value: Any, unit: str = "次", url: str | None = None) -> dict[str, Any]:
    return {"key": key, "label": key, "value": value, "unit": unit, "url": url}


def every_key() -> dict[str, dict[str, Any]]:
    figs = [fig(f"meeting.{c}.count", i + 1) for i, c in enumerate(MEETING_CODES)]
    figs += [fig(f"meeting.{c}.attendance", 10, "人次") for c in MEETING_CODES]
    figs += [
        fig("study.people", 120, "人"),
        fig("study.minutes", 5400, "分钟"),
        fig("track.count", 3, "期"),
        fig("track.people", 80, "人"),
        fig("track.minutes", 2400, "分钟"),
        fig("report.count", 45, "篇"),
        fig("report.approved", 40, "篇"),
        fig("quiz.count", 4, "次", "/dashboard/"),
        fig("quiz.person_times", 310, "人次"),
        fig("quiz.participation_rate", 87.5, "%"),
        fig("quiz.avg_score_rate", 81.25, "%"),
        fig("survey.count", 2, "次", "/surveys/manage"),
        fig("survey.responses", 57, "份"),
    ]
    return {f["key"]: f for f in figs}


def test_paragraph_with_every_provider_writes_every_clause() -> None:
    p = yearreport.build(every_key(), date(2026, 1, 1), date(2026, 12, 31), date(2026, 11, 30))
    assert p.text == (
        "今年以来，理论学习中心组学习7次，召开支委会2次，党员大会1次，党小组会3次，"
        "支部书记讲党课4次，主题党日活动5次，组织生活会6次，专题宣讲、专题学习8次。"
        "开展线上学习120人参加、累计学习5400分钟，组织专题学习3期、80人参加、累计2400分钟。"
        "严格落实“一学一报”制度，提交学习报告45篇，其中审核通过40篇。"
        "组织开展网上知识竞答活动4次，参与310人次，参与率87.5%，平均得分率81.2%。"
        "开展干部职工思想动态匿名问卷调查2次，收回答卷57份。"
    )
    assert p.missing == []
    numbers = [x for x in p.pieces if x.figure]
    assert all(x.url for x in numbers)  # every number links somewhere
    assert not any(ch.isdigit() for x in p.pieces if not x.figure for ch in x.text)
    urls = {x.figure["key"]: x.url for x in numbers}
    assert urls["quiz.count"] == "/dashboard/"
    assert urls["study.people"] == "#fig-study-people"  # no url given: the row in the table


def test_missing_providers_leave_their_clause_out_and_are_named() -> None:
    figs = {k: v for k, v in every_key().items() if k.startswith(("quiz.", "survey."))}
    p = yearreport.build(figs, date(2026, 1, 1), date(2026, 6, 30), date(2026, 11, 30))
    assert p.text.startswith("2026年1月1日至2026年6月30日，组织开展网上知识竞答活动4次")
    assert "支委会" not in p.text and "一学一报" not in p.text and "线上学习" not in p.text
    assert p.missing == [
        "会议记录（三会一课、主题党日、中心组学习等）",
        "线上学习和专题学习记录（人数、学习时长）",
        "“一学一报”学习报告",
    ]
    only_some = {
        "meeting.committee.count": fig("meeting.committee.count", 3),
        "meeting.party_congress.count": fig("meeting.party_congress.count", 0),
    }
    q = yearreport.build(only_some, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 1))
    assert q.text == "今年以来，召开支委会3次。"  # a type held 0 times is not written as "0次"
    assert "网上知识竞答" in q.missing


def test_collect_takes_figures_from_every_provider(
    ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        year, "PROVIDERS", [*year.PROVIDERS, lambda s, e, b: [fig("report.count", 3, "篇")]]
    )
    lo, hi = year.local_bounds(date(2026, 1, 1), date(2026, 12, 31))
    got = year.collect(lo, hi, None)
    assert {"quiz.count", "survey.count", "survey.responses", "report.count"} <= set(got)


def _raw_quiz_counts(lo: datetime, hi: datetime, ids: set[int]) -> dict[str, Any]:
    """The same figures from raw rows, in Python, without the services' SQL."""
    camps = [
        c
        for c in db.session.scalars(sa.select(Campaign))
        if c.status != "draft"
        and lo <= c.opens_at < hi
        and any(b.id in ids or any(x.id in ids for x in _subtree(b)) for b in c.branches)
    ]
    quiz_ids = {q.id for c in camps for q in c.quizzes}
    final = [
        a
        for a in db.session.scalars(sa.select(Attempt))
        if a.quiz_id in quiz_ids
        and a.status != "in_progress"
        and a.finished_at is not None
        and lo <= a.finished_at < hi
        and a.branch_id in ids
    ]
    expected = finished = 0
    users = list(db.session.scalars(sa.select(User)))
    results = {(r.quiz_id, r.user_id) for r in db.session.scalars(sa.select(QuizResult))}
    for c in camps:
        for q in c.quizzes:
            for u in users:
                if (
                    u.active
                    and u.branch_id in ids
                    and any(u.branch.path.startswith(b.path) for b in c.branches)
                ):
                    expected += 1
                    finished += (q.id, u.id) in results
    rates = [float(a.score / a.max_score) for a in final if a.max_score]
    return {
        "quiz.count": len(camps),
        "quiz.people": len({a.user_id for a in final}),
        "quiz.person_times": len(final),
        "quiz.participation_rate": round(finished / expected * 100, 1) if expected else None,
        "quiz.avg_score_rate": round(sum(rates) / len(rates) * 100, 1) if rates else None,
    }


def _subtree(branch: Branch) -> list[Branch]:
    return list(db.session.scalars(sa.select(Branch).where(Branch.path.startswith(branch.path))))


def test_quiz_figures_match_a_count_from_raw_rows(ctx: None) -> None:
    w = build_world()
    db.session.commit()
    clock.set_now(T0 + timedelta(days=20))
    lo, hi = year.local_bounds(date(2026, 1, 1), date(2026, 12, 31))
    for focus in ([w.root], [w.office], [w.it, w.finance], [w.outside]):
        ids = {b.id for f in focus for b in _subtree(f)}
        branch_ids = None if focus == [w.root] else year.branch_ids_of(focus)
        got = {f["key"]: f["value"] for f in year.quiz_year_figures(lo, hi, branch_ids)}
        assert got == _raw_quiz_counts(lo, hi, ids), [b.name for b in focus]
    assert got["quiz.count"] == 0  # 机关服务中心 is not in the audience
    # a range before the campaign: nothing
    lo2, hi2 = year.local_bounds(date(2025, 1, 1), date(2025, 12, 31))
    assert year.quiz_year_figures(lo2, hi2, None)[0]["value"] == 0


# --- pages and downloads ---------------------------------------------------------------------------


@pytest.fixture()
def tree(app: Flask) -> dict[str, int]:
    with app.app_context():
        a, b = make_branch("甲处"), make_branch("乙处")
        make_user("lead_a", roles=["leader"], scope=a)
        make_user("boss", roles=["admin"])
        db.session.commit()
        return {"a": a.id, "b": b.id}


def test_year_page_links_every_number_and_names_missing_records(
    app: Flask, client: FlaskClient, tree: dict[str, int]
) -> None:
    clock.set_now(datetime(2026, 11, 30, 4, tzinfo=UTC))
    sign_in(client, "boss")
    html = client.get("/dashboard/year").get_data(as_text=True)
    # Nothing happened in this tree: no clause says "0次"; every source is named as without records.
    assert "0次</a>" not in html
    assert "平台上没有以下记录" in html and "学习时长" in html and "会议记录" in html
    assert 'id="fig-survey-count"' in html


def test_downloads_open_in_word_and_excel(
    app: Flask, client: FlaskClient, tree: dict[str, int]
) -> None:
    clock.set_now(datetime(2026, 11, 30, 4, tzinfo=UTC))
    sign_in(client, "boss")
    resp = client.get("/dashboard/year.docx?start=2026-01-01&end=2026-06-30")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "网上知识竞答活动0次" not in text
    assert "平台上没有记录" in text and "网上知识竞答" in text
    keys = [row.cells[3].text for row in doc.tables[0].rows[1:]]
    assert "quiz.count" in keys and "survey.responses" in keys
    resp = client.get("/dashboard/year.xlsx?start=2026-01-01&end=2026-06-30")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    rows = list(wb["年度数据"].iter_rows(values_only=True))
    assert rows[0] == ("指标", "数值", "单位", "代码", "来源")
    assert rows[1][:4] == ("网上知识竞答", 0, "次", "quiz.count")
    assert rows[1][4].startswith("http://localhost/")  # the link, absolute
    said = "".join(c.value or "" for c in wb["报告用语"]["A"])
    assert "平台上没有记录" in said and "网上知识竞答" in said


def test_leader_sees_only_their_scope(
    app: Flask, client: FlaskClient, tree: dict[str, int]
) -> None:
    sign_in(client, "lead_a")
    for path in ("/dashboard/year", "/dashboard/year.docx", "/dashboard/year.xlsx"):
        assert client.get(f"{path}?branch={tree['b']}").status_code == 403, path
        assert client.get(f"{path}?branch={tree['a']}").status_code == 200, path
    html = client.get("/dashboard/year").get_data(as_text=True)
    assert "甲处" in html and "乙处" not in html  # the branch picker offers only the scope


def test_parts_without_a_value_are_left_out() -> None:
    figs = {
        "quiz.count": fig("quiz.count", 2),
        "quiz.person_times": fig("quiz.person_times", 0, "人次"),
        "quiz.participation_rate": fig("quiz.participation_rate", None, "%"),
        "quiz.avg_score_rate": fig("quiz.avg_score_rate", None, "%"),
    }
    p = yearreport.build(figs, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 1))
    assert p.text == "今年以来，组织开展网上知识竞答活动2次，参与0人次。"
    none = yearreport.build(
        {"quiz.count": fig("quiz.count", 0)}, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 1)
    )
    assert none.text == "" and none.missing == [label for label, _ in yearreport.SOURCES.values()]
