"""Dashboard pages, export, CLI and API: who sees what, and what the workbook holds."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt
from quiz_app.services import attempts
from tests.conftest import sign_in
from tests.factories import make_user
from tests.test_stats import GRACE, T0, build_world

SHEETS = ["部门汇总", "个人成绩", "未参与名单", "知识点掌握", "试题分析"]


@pytest.fixture()
def site(app: Flask) -> dict[str, Any]:
    """The generated world, a formula-looking name among takers and one among the missing,
    and signed-in people of each kind."""
    with app.app_context():
        w = build_world()
        formula_taker = make_user("evil1", real_name="=1+1", branch=w.office)
        make_user("evil2", real_name="+cmd", branch=w.office)
        clock.set_now(T0 + timedelta(hours=1))
        attempt, _ = attempts.start_attempt(w.quiz, formula_taker, clock.now(), GRACE)
        attempts.submit(attempt.id, formula_taker, clock.now() + timedelta(minutes=1), GRACE)
        make_user("lead_office", roles=["leader"], scope=w.office)
        make_user("lead_all", roles=["leader"])
        make_user("org_owner", roles=["organizer"])
        make_user("org_other", roles=["organizer"])
        make_user("emp", branch=w.office)
        from quiz_app.models import User

        owner = db.session.query(User).filter_by(username="org_owner").one()
        w.campaign.created_by_id = owner.id
        db.session.commit()
        clock.set_now(None)
        return {
            "campaign": w.campaign.id,
            "quiz": w.quiz.id,
            "office": w.office.id,
            "team": w.office_team.id,
            "it": w.it.id,
        }


def client_for(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_pages_for_a_leader_of_one_branch(app: Flask, site: dict[str, Any]) -> None:
    c = client_for(app, "lead_office")
    cid, qid = site["campaign"], site["quiz"]
    index = c.get("/dashboard/")
    assert index.status_code == 200 and "活动" in index.get_data(as_text=True)
    page = c.get(f"/dashboard/campaigns/{cid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "办公室一组" in html and "信息中心" not in html and "财务处" not in html
    for text in ("<svg", "<title>", "aria-label", "参与率", "得分率", "k = 5", "尚未完成", "（"):
        assert text in html, text
    assert c.get(f"/dashboard/campaigns/{cid}?branch={site['team']}").status_code == 200
    # another branch's figures: 403 for pages, export and API
    it = site["it"]
    assert c.get(f"/dashboard/campaigns/{cid}?branch={it}").status_code == 403
    assert c.get(f"/dashboard/quizzes/{qid}/items?branch={it}").status_code == 403
    assert c.get(f"/dashboard/campaigns/{cid}/export.xlsx?branch={it}").status_code == 403
    assert c.get(f"/dashboard/year?branch={it}").status_code == 403
    api = c.get(f"/api/v1/campaigns/{cid}/stats?branch_id={it}")
    assert api.status_code == 403 and api.get_json()["code"] == "forbidden"
    assert c.get(f"/api/v1/campaigns/{cid}/stats/items?branch_id={it}").status_code == 403
    own = c.get(f"/api/v1/campaigns/{cid}/stats").get_json()
    names = {r["branch"] for r in own["quizzes"][0]["branches"]}
    assert names == {"办公室", "办公室一组"}
    assert c.get(f"/dashboard/quizzes/{qid}/items").status_code == 200
    year = c.get("/dashboard/year").get_data(as_text=True)
    assert "今年以来" in year or "年" in year
    assert "学习时长" in year


def test_outsiders_are_refused(app: Flask, site: dict[str, Any]) -> None:
    cid, qid = site["campaign"], site["quiz"]
    emp = client_for(app, "emp")
    for url in ("/dashboard/", f"/dashboard/campaigns/{cid}", "/dashboard/year"):
        assert emp.get(url).status_code == 403, url
    assert emp.get(f"/api/v1/campaigns/{cid}/stats").status_code == 403
    other = client_for(app, "org_other")  # an organizer who did not create the campaign
    assert other.get(f"/dashboard/campaigns/{cid}").status_code == 403
    assert other.get(f"/dashboard/quizzes/{qid}/items").status_code == 403
    assert other.get(f"/dashboard/campaigns/{cid}/export.xlsx").status_code == 403
    assert other.get(f"/api/v1/campaigns/{cid}/stats/items").status_code == 403
    assert f"/dashboard/campaigns/{cid}" not in other.get("/dashboard/").get_data(as_text=True)
    owner = client_for(app, "org_owner")
    html = owner.get(f"/dashboard/campaigns/{cid}").get_data(as_text=True)
    assert "信息中心" in html and "财务处" in html
    assert client_for(app, "lead_all").get(f"/dashboard/campaigns/{cid}").status_code == 200
    assert emp.get("/api/v1/campaigns/999999/stats").status_code == 403
    assert owner.get("/api/v1/campaigns/999999/stats").status_code == 404


def test_export_neutralises_formulas_and_has_every_sheet(app: Flask, site: dict[str, Any]) -> None:
    c = client_for(app, "org_owner")
    response = c.get(f"/dashboard/campaigns/{site['campaign']}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == SHEETS
    people = [[c for c in row] for row in wb["个人成绩"].iter_rows(min_row=2)]
    names = {row[2].value: row[2] for row in people}
    assert "'=1+1" in names and names["'=1+1"].data_type == "s"
    missing = {row[2].value: row[2] for row in wb["未参与名单"].iter_rows(min_row=2)}
    assert "'+cmd" in missing and missing["'+cmd"].data_type == "s"
    assert "从未登录" in missing
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    header = [c.value for c in wb["部门汇总"][1]]
    assert header[:6] == ["竞答", "部门", "应参与人数", "已参与人数", "已完成人数", "参与率(%)"]
    counts = [str(c.value or "") for row in wb["试题分析"].iter_rows(min_row=2) for c in row]
    assert any(v.startswith("正确:") for v in counts), counts  # judge options: 正确 / 错误
    assert not any(v.startswith(("T:", "F:")) for v in counts)


def test_leader_export_only_holds_their_subtree(app: Flask, site: dict[str, Any]) -> None:
    c = client_for(app, "lead_office")
    response = c.get(f"/dashboard/campaigns/{site['campaign']}/export.xlsx")
    wb = load_workbook(io.BytesIO(response.data))
    branches = {row[1].value.strip("　") for row in wb["部门汇总"].iter_rows(min_row=2)}
    assert branches == {"办公室", "办公室一组", "合计"}
    for row in wb["个人成绩"].iter_rows(min_row=2):
        assert "办公室" in row[4].value


def test_cli_export(app: Flask, site: dict[str, Any], runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s.xlsx"
    result = runner.invoke(args=["export-stats", str(site["campaign"]), str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == SHEETS
    missing = runner.invoke(args=["export-stats", "99999", str(out)])
    assert missing.exit_code != 0 and "找不到" in missing.output


def test_api_numbers_agree_with_the_page_service(app: Flask, site: dict[str, Any]) -> None:
    c = client_for(app, "org_owner")
    data = c.get(f"/api/v1/campaigns/{site['campaign']}/stats").get_json()
    quiz = data["quizzes"][0]
    with app.app_context():
        final = (
            db.session.query(Attempt.user_id)
            .filter(Attempt.quiz_id == site["quiz"], Attempt.status != "in_progress")
            .distinct()
            .count()
        )
    root = quiz["branches"][0]
    assert root["branch"] == "测试局" and root == {**quiz["total"], **{k: root[k] for k in (
        "branch_id", "branch", "depth", "path")}}  # fmt: skip
    assert quiz["total"]["scored"] == final
    items = c.get(f"/api/v1/campaigns/{site['campaign']}/stats/items").get_json()
    assert items["quizzes"][0]["attempts"] == final
    assert all("facility" in it for it in items["quizzes"][0]["items"])
    assert c.get(f"/api/v1/campaigns/{site['campaign']}/stats?quiz_id=x").status_code == 422


WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2055A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin "
    "NetType/WIFI Language/zh_CN ABI/arm64"
)
WECHAT_NOTE = "微信内可能无法下载：请点右上角“…”选择“在浏览器打开”后再下载"


def test_wechat_gets_the_download_guidance_next_to_downloads(
    app: Flask, site: dict[str, Any]
) -> None:
    """Inside WeChat (MicroMessenger in the User-Agent) every dashboard page with a download
    button says how to download; other browsers do not see the note."""
    c = client_for(app, "lead_office")
    for url in (f"/dashboard/campaigns/{site['campaign']}", "/dashboard/year"):
        wechat = c.get(url, headers={"User-Agent": WECHAT_UA}).get_data(as_text=True)
        assert "导出 Excel" in wechat or "下载 Excel" in wechat, url
        assert WECHAT_NOTE in wechat, url
        plain = c.get(url, headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
        assert WECHAT_NOTE not in plain.get_data(as_text=True), url


def test_list_rows_carry_the_campaign_figures_computed_once(
    app: Flask, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """参与率 · 得分率 · 未完成 N 人 on the statistics list, in the leader's scope, the same as the
    campaign page's headline — and computed once per campaign, not per template call."""
    from quiz_app.models import Campaign, User
    from quiz_app.services import stats
    from quiz_app.services.stats import summary

    calls: list[int] = []
    real = summary.branch_figures

    def counting(campaign: Any, quiz: Any, focus: Any) -> Any:
        calls.append(campaign.id)
        return real(campaign, quiz, focus)

    monkeypatch.setattr(summary, "branch_figures", counting)
    c = client_for(app, "lead_office")
    html = c.get("/dashboard/").get_data(as_text=True)
    assert calls == [site["campaign"]]
    with app.app_context():
        camp = db.session.get(Campaign, site["campaign"])
        leader = db.session.query(User).filter_by(username="lead_office").one()
        _camp, scope = stats.get_campaign(leader, site["campaign"])
        assert camp is not None
        total = real(camp, camp.quizzes[0], stats.focus_for(scope, None)).total
    assert total.expected > total.finished > 0  # the world has both
    assert f"参与率 {stats.pct(total.participation_rate, 0)}" in html
    assert f"得分率 {stats.pct(total.score_rate, 0)}" in html
    assert f"未完成 {total.expected - total.finished} 人" in html
    page = c.get(f"/dashboard/campaigns/{site['campaign']}").get_data(as_text=True)
    assert stats.pct(total.participation_rate) in page  # the page's headline agrees


def test_plain_words_on_the_item_analysis(app: Flask, site: dict[str, Any]) -> None:
    """KR-20, 区分度 and the standard deviation sit behind 说明; the key is marked 正确答案."""
    c = client_for(app, "lead_office")
    html = c.get(f"/dashboard/quizzes/{site['quiz']}/items").get_data(as_text=True)
    details = html.index("<details")
    assert html.index("信度 KR-20") > details and html.index("区分度 =") > details
    assert "正确答案" in html and "（答案）" not in html
