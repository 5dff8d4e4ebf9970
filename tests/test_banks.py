"""Question banks in the database: import all-or-nothing, duplicates, revisions, search, export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app.extensions import db
from quiz_app.models import Bank, Question, QuestionRevision, User
from quiz_app.services import banks
from quiz_app.services.importing import parse_text, parse_upload

REPO = Path(__file__).resolve().parents[1]

WORD_TEXT = """一、单选题
1．党的最高领导机关是（　）。
A．党的全国代表大会和它所产生的中央委员会
B．中央政治局
C．中央书记处
D．中央纪律检查委员会
答案：A
解析：依据《中国共产党章程》第十条。
二、判断题
2．预备党员的预备期为一年。
答案：正确
"""


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture()
def bank(ctx: None) -> Bank:
    return banks.get_or_create_bank("测试题库")


def test_import_creates_questions_with_first_revisions(bank: Bank) -> None:
    summary = banks.apply_import(bank, parse_text(WORD_TEXT), banks.OnDuplicate.SKIP, None)
    assert (summary.created, summary.skipped) == (2, 0)
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.type for q in questions] == ["single", "judge"]
    first = questions[0].current_revision
    assert first is not None and first.number == 1 and first.answer == ["A"]
    assert questions[1].current_revision.answer == ["T"]  # type: ignore[union-attr]


def test_a_file_with_errors_writes_nothing(bank: Bank) -> None:
    bad = WORD_TEXT.replace("答案：A", "答案：E")
    result = parse_text(bad)
    assert not result.ok
    with pytest.raises(banks.BankError, match="未导入任何题目"):
        banks.apply_import(bank, result, banks.OnDuplicate.SKIP, None)
    assert count(Question) == 0


def test_duplicates_against_the_bank_skip_or_update(bank: Bank) -> None:
    banks.apply_import(bank, parse_text(WORD_TEXT), banks.OnDuplicate.SKIP, None)
    # same stems with different width, spacing and punctuation count as the same question
    again = WORD_TEXT.replace("党的最高领导机关是（　）。", "党的最高领导机关是 ( )").replace(
        "解析：依据《中国共产党章程》第十条。", "解析：依据《中国共产党章程》（2022年修改）第十条。"
    )
    preview = banks.preview_import(bank, parse_text(again))
    assert len(preview.duplicates) == 2 and preview.new_count == 0
    skipped = banks.apply_import(bank, parse_text(again), banks.OnDuplicate.SKIP, None)
    assert (skipped.created, skipped.skipped) == (0, 2)
    assert count(QuestionRevision) == 2
    updated = banks.apply_import(bank, parse_text(again), banks.OnDuplicate.UPDATE, None)
    assert (updated.created, updated.updated, updated.unchanged) == (0, 1, 1)
    assert count(Question) == 2 and count(QuestionRevision) == 3


def test_same_stem_but_other_type_is_not_a_duplicate(bank: Bank) -> None:
    banks.apply_import(bank, parse_text(WORD_TEXT), banks.OnDuplicate.SKIP, None)
    blank = parse_text("四、填空题\n1．预备党员的预备期为一年。____\n答案：一年|1年\n")
    assert banks.preview_import(bank, blank).duplicates == []


def test_edit_makes_a_new_revision_and_keeps_the_old_one(bank: Bank) -> None:
    banks.apply_import(bank, parse_text(WORD_TEXT), banks.OnDuplicate.SKIP, None)
    question = db.session.scalars(sa.select(Question).where(Question.type == "single")).one()
    old = question.current_revision
    assert old is not None
    data = banks.revision_data(old)
    from dataclasses import replace

    edited = replace(data, answer=("B",), explanation="改过的解析")
    revision = banks.revise_question(question, edited, None)
    assert revision is not None and revision.number == 2
    assert question.current_revision is revision
    db.session.refresh(old)
    assert old.answer == ["A"]  # what an attempt drawn with revision 1 keeps
    assert banks.revise_question(question, edited, None) is None  # no empty revisions


def test_search_by_text_type_category_difficulty_and_retired(bank: Bank) -> None:
    text = WORD_TEXT.replace(
        "解析：依据《中国共产党章程》第十条。", "解析：依据党章。\n分类：党章；组织制度\n难度：难"
    )
    banks.apply_import(bank, parse_text(text), banks.OnDuplicate.SKIP, None)

    def found(**kw: object) -> int:
        stmt = banks.search_questions(bank, banks.QuestionFilter(**kw))  # type: ignore[arg-type]
        return len(db.session.scalars(stmt).all())

    assert found() == 2
    assert found(text="预备期") == 1
    assert found(type="judge") == 1
    assert found(category="组织制度") == 1
    assert found(difficulty="难") == 1
    assert "组织制度" in bank.categories
    judge = db.session.scalars(sa.select(Question).where(Question.type == "judge")).one()
    banks.set_active(judge, False)
    assert found() == 1 and found(include_retired=True) == 2
    assert banks.bank_counts(bank) == {"single": 1}


def test_export_then_import_gives_back_the_same_bank(bank: Bank) -> None:
    sample = REPO / "question_banks" / "secrecy.csv"
    original = parse_upload(sample.name, sample.read_bytes())
    assert original.ok, original.errors[:3]
    banks.apply_import(bank, original, banks.OnDuplicate.SKIP, None)
    exported = banks.export_bank(bank)
    back = parse_upload("导出.xlsx", exported)
    assert back.ok, back.errors[:3]
    strip = lambda qs: [q.__class__(**{**q.__dict__, "where": ""}) for q in qs]  # noqa: E731
    assert strip(back.questions) == strip(original.questions)
    other = banks.get_or_create_bank("另一个")
    banks.apply_import(other, back, banks.OnDuplicate.SKIP, None)
    assert banks.bank_counts(other) == banks.bank_counts(bank)


@pytest.mark.parametrize(
    "entry", json.loads((REPO / "question_banks" / "banks.json").read_text("utf-8"))
)
def test_sample_banks_import_cleanly(entry: dict[str, str]) -> None:
    path = REPO / "question_banks" / entry["file"]
    result = parse_upload(path.name, path.read_bytes())
    assert result.ok, [e.message for e in result.errors[:5]]
    assert result.warnings == []
    types = {q.type.value for q in result.questions}
    assert types == {"single", "multiple", "judge", "blank"}
    assert all(q.explanation for q in result.questions), "every 解析 names its source"


def test_sample_banks_hold_at_least_150_questions() -> None:
    total = 0
    for entry in json.loads((REPO / "question_banks" / "banks.json").read_text("utf-8")):
        path = REPO / "question_banks" / entry["file"]
        total += len(parse_upload(path.name, path.read_bytes()).questions)
    assert total >= 150


# --- pages -------------------------------------------------------------------------------------


def _make_bank(app: Flask) -> int:
    """A bank owned by the organizer_client fixture's account (when it exists)."""
    with app.app_context():
        owner = db.session.scalar(sa.select(User).where(User.username == "organizer1"))
        bank_id = banks.get_or_create_bank("页面题库", owner).id
        db.session.commit()
        return bank_id


def test_only_organizers_reach_the_bank_pages(
    app: Flask, employee_client: FlaskClient, leader_client: FlaskClient
) -> None:
    bank_id = _make_bank(app)
    for client in (employee_client, leader_client):
        assert client.get("/manage/banks/").status_code == 403
        assert client.get(f"/manage/banks/{bank_id}/export.xlsx").status_code == 403


def test_upload_with_a_bad_row_shows_the_row_and_imports_nothing(
    app: Flask, organizer_client: FlaskClient
) -> None:
    bank_id = _make_bank(app)
    csv = "题型,题干,选项A,选项B,选项C,选项D,答案\n单选,题一（　）,甲,乙,丙,丁,B\n单选,题二（　）,甲,乙,丙,丁,E\n"
    page = organizer_client.post(
        f"/manage/banks/{bank_id}/import",
        data={"file": (io.BytesIO(csv.encode("gbk")), "题库.csv"), "format": ""},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "发现 1 处错误，未导入任何题目" in page
    assert "第3行【答案】" in page and "“E”" in page
    assert "确认导入" not in page
    with app.app_context():
        assert count(Question) == 0


def test_upload_preview_then_confirm(app: Flask, organizer_client: FlaskClient) -> None:
    bank_id = _make_bank(app)
    page = organizer_client.post(
        f"/manage/banks/{bank_id}/import", data={"text": WORD_TEXT, "format": ""}
    ).get_data(as_text=True)
    assert "共识别 <strong>2</strong> 题" in page
    with app.app_context():
        assert count(Question) == 0  # the preview writes nothing
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = organizer_client.post(
        f"/manage/banks/{bank_id}/import/confirm", data={"token": token, "on_duplicate": "skip"}
    )
    assert done.status_code == 302
    assert "新增 2 题" in organizer_client.get(done.headers["Location"]).get_data(as_text=True)
    again = organizer_client.post(
        f"/manage/banks/{bank_id}/import/confirm",
        data={"token": token, "on_duplicate": "skip"},
        follow_redirects=True,
    )
    assert "已经完成或已过期" in again.get_data(as_text=True)
    with app.app_context():
        assert count(Question) == 2


def test_another_organizer_cannot_confirm_my_upload(
    app: Flask, organizer_client: FlaskClient
) -> None:
    from tests.conftest import sign_in
    from tests.factories import make_user

    bank_id = _make_bank(app)
    page = organizer_client.post(
        f"/manage/banks/{bank_id}/import", data={"text": WORD_TEXT, "format": ""}
    ).get_data(as_text=True)
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    with app.app_context():
        make_user("org2", roles=["organizer"])
        db.session.commit()
    other = app.test_client()
    sign_in(other, "org2")
    confirm = {"token": token, "on_duplicate": "skip"}
    refused = other.post(f"/manage/banks/{bank_id}/import/confirm", data=confirm)
    assert refused.status_code == 403 and "不能修改" in refused.get_data(as_text=True)
    # Even a co-editor of the bank cannot confirm someone else's upload.
    organizer_client.post(f"/manage/banks/{bank_id}/editors", data={"username": "org2"})
    response = other.post(
        f"/manage/banks/{bank_id}/import/confirm", data=confirm, follow_redirects=True
    )
    assert "已经完成或已过期" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Question) == 0


def test_edit_form_uses_the_import_rules_and_records_a_revision(
    app: Flask, organizer_client: FlaskClient
) -> None:
    bank_id = _make_bank(app)
    with app.app_context():
        bank = db.session.get(Bank, bank_id)
        banks.apply_import(bank, parse_text(WORD_TEXT), banks.OnDuplicate.SKIP, None)  # type: ignore[arg-type]
        db.session.commit()
        qid = db.session.scalars(sa.select(Question.id).where(Question.type == "single")).one()
    url = f"/manage/banks/{bank_id}/questions/{qid}"
    form = organizer_client.get(url).get_data(as_text=True)
    assert "党的全国代表大会和它所产生的中央委员会" in form
    data = {
        "type": "single",
        "stem": "党的最高领导机关是（　）。",
        "option_a": "甲",
        "option_b": "乙",
        "answer": "C",
        "difficulty": "中",
    }
    bad = organizer_client.post(url, data=data).get_data(as_text=True)
    assert "答案“C”不在选项A–B中" in bad
    data["answer"] = "B"
    ok = organizer_client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "已保存为第 2 版" in ok
    with app.app_context():
        assert count(QuestionRevision) == 3


def test_export_and_template_downloads(app: Flask, organizer_client: FlaskClient) -> None:
    bank_id = _make_bank(app)
    response = organizer_client.get(f"/manage/banks/{bank_id}/export.xlsx")
    assert response.status_code == 200
    assert parse_upload("x.xlsx", response.data).questions == []
    template = organizer_client.get("/manage/banks/template.xlsx")
    result = parse_upload("t.xlsx", template.data)
    assert result.ok and len(result.questions) == 4


def test_cli_import_and_export_bank(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.txt"
    bad.write_text(WORD_TEXT.replace("答案：A", "答案：E"), encoding="gbk")
    result = runner.invoke(args=["import-bank", str(bad), "--bank", "命令行题库"])
    assert result.exit_code == 1
    assert "未导入任何题目" in result.output and "第1题【答案】" in result.output
    good = tmp_path / "good.txt"
    good.write_text(WORD_TEXT, encoding="utf-8")
    dry = runner.invoke(args=["import-bank", str(good), "--bank", "命令行题库", "--dry-run"])
    assert dry.exit_code == 0 and "识别 2 题" in dry.output
    with app.app_context():
        assert count(Bank) == 0  # a dry run does not even create the bank
    done = runner.invoke(args=["import-bank", str(good), "--bank", "命令行题库"])
    assert done.exit_code == 0 and "新增 2" in done.output
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(args=["export-bank", "命令行题库", str(out)])
    assert exported.exit_code == 0
    again = runner.invoke(args=["import-bank", str(out), "--bank", "命令行题库"])
    assert "题库中已存在 2 题" in again.output and "跳过 2" in again.output
    missing = runner.invoke(args=["export-bank", "没有这个", str(out)])
    assert missing.exit_code != 0 and "找不到题库" in missing.output


def test_rename_a_bank_but_not_onto_another_name(app: Flask, organizer_client: FlaskClient) -> None:
    bank_id = _make_bank(app)
    with app.app_context():
        banks.get_or_create_bank("已有题库")
        db.session.commit()
    clash = organizer_client.post(
        f"/manage/banks/{bank_id}/settings", data={"name": "已有题库", "description": ""}
    )
    assert "已有名为“已有题库”的题库" in clash.get_data(as_text=True)
    organizer_client.post(
        f"/manage/banks/{bank_id}/settings", data={"name": "新名称", "description": "说明文字"}
    )
    page = organizer_client.get(f"/manage/banks/{bank_id}").get_data(as_text=True)
    assert "新名称" in page and "说明文字" in page


def test_generic_stems_with_other_options_are_separate_questions(bank: Bank) -> None:
    text = "一、单选题\n1．下列说法正确的是（　）。\nA．甲\nB．乙\n答案：A\n2．下列说法正确的是（　）。\nA．丙\nB．丁\n答案：B\n"
    summary = banks.apply_import(bank, parse_text(text), banks.OnDuplicate.SKIP, None)
    assert summary.created == 2
    again = banks.preview_import(bank, parse_text(text.replace("A．甲\nB．乙", "A．乙\nB．甲")))
    assert len(again.duplicates) == 2  # same options in another order is the same question
