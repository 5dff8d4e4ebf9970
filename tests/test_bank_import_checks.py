"""Bank import through the page and the command line: the preview and the dry run refuse what
the import would refuse, warnings and the reconciliation are shown, exports hold no formulas."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from quiz_app.extensions import db
from quiz_app.models import Bank, Question, User
from quiz_app.services import banks
from quiz_app.services.importing import parse_upload

REPEATED = """单选题
1. 国家秘密的密级分为（ ）。
A. 绝密 B. 公开
答案：A
2. 国家秘密的密级分为（ ）。
A. 公开 B. 绝密
答案：B
3. 预备党员的预备期为（ ）。
A. 一年 B. 两年
答案：A
"""


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _bank_id(app: Flask) -> int:
    """A bank owned by the organizer_client fixture's account, so its pages let them in."""
    with app.app_context():
        owner = db.session.scalar(sa.select(User).where(User.username == "organizer1"))
        bank_id = banks.get_or_create_bank("核对题库", owner).id
        db.session.commit()
        return bank_id


def _upload(client: FlaskClient, bank_id: int, data: bytes, name: str) -> str:
    return client.post(
        f"/manage/banks/{bank_id}/import",
        data={"file": (io.BytesIO(data), name), "format": ""},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def test_csv_with_a_nul_byte_is_refused_at_the_preview(
    app: Flask, organizer_client: FlaskClient
) -> None:
    bank_id = _bank_id(app)
    csv = "题型,题干,答案\n判断,预备党员的预备期为一年。,对\n判断,坏\x00题。,错\n"
    page = _upload(organizer_client, bank_id, csv.encode("utf-8"), "nul.csv")
    assert "第3行【题干】：含有不可见的控制字符（U+0000），请删除后再上传" in page
    assert "确认导入" not in page
    with app.app_context():
        assert _count(Question) == 0


def test_long_category_is_refused_at_the_preview_not_at_confirm(
    app: Flask, organizer_client: FlaskClient
) -> None:
    bank_id = _bank_id(app)
    csv = f"题型,题干,答案,分类\n判断,预备党员的预备期为一年。,对,{'党' * 51}\n"
    page = _upload(organizer_client, bank_id, csv.encode("utf-8"), "long.csv")
    assert "第2行【分类】：分类“党党党党党党党党党党…”有51个字，最多50个字" in page
    assert "确认导入" not in page


def test_preview_shows_repeats_as_warnings_and_the_reconciliation(
    app: Flask, organizer_client: FlaskClient
) -> None:
    bank_id = _bank_id(app)
    page = organizer_client.post(
        f"/manage/banks/{bank_id}/import", data={"text": REPEATED, "format": ""}
    ).get_data(as_text=True)
    assert "发现" not in page  # no error section
    assert "提示 1 条（不影响导入，请核对）" in page
    assert "第2题：与第1题重复（题型、题干、选项和答案均相同），只导入第1题，第2题已跳过" in page
    assert "文件中像题目的块 3，识别为题目 3（可导入 2，重复跳过 1）：一致" in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    organizer_client.post(
        f"/manage/banks/{bank_id}/import/confirm", data={"token": token, "on_duplicate": "skip"}
    )
    with app.app_context():
        assert _count(Question) == 2


def test_cli_prints_warnings_and_the_reconciliation(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "repeats.txt"
    path.write_text(REPEATED + "5.2024年是中华人民共和国成立（ ）周年。\nA. 75 B. 70\n答案：A\n")
    out = runner.invoke(args=["import-bank", str(path), "--bank", "命令行核对", "--dry-run"])
    assert out.exit_code == 1, out.output  # the merged question's second answer is an error
    assert (
        "核对：文件中像题目的块 5，识别为题目 3（可导入 1，重复跳过 1，有错误 1）：不一致"
        in out.output
    )
    assert "  核对：第11行“5.2024年是中华人民共和国成立（ ）”像是题号" in out.output
    assert "  核对：第13行是第3题的第二个答案行" in out.output
    assert "提示：第2题：与第1题重复" in out.output


def test_cli_dry_run_refuses_what_the_import_would_refuse(
    app: Flask, runner, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "long.csv"
    path.write_text(f"题型,题干,答案,分类\n判断,预备期为一年。,对,{'党' * 51}\n")
    dry = runner.invoke(args=["import-bank", str(path), "--bank", "命令行题库", "--dry-run"])
    assert dry.exit_code == 1 and "有51个字，最多50个字" in dry.output
    good = tmp_path / "good.csv"
    good.write_text("题型,题干,答案\n判断,预备党员的预备期为一年。,对\n")
    name = "题" * 101
    dry = runner.invoke(args=["import-bank", str(good), "--bank", name, "--dry-run"])
    assert dry.exit_code != 0 and "题库名称有101个字，最多100个字" in dry.output
    with app.app_context():
        assert _count(Bank) == 0


def test_bank_export_page_and_cli_write_no_formulas(
    app: Flask, organizer_client: FlaskClient, runner, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bank_id = _bank_id(app)
    csv = "题型,题干,选项A,选项B,答案\n判断,'=1+1 是公式吗？,,,错\n单选,x² = 4 的负数解是（　）,-2.0,2.0,A\n"
    page = _upload(organizer_client, bank_id, csv.encode("utf-8"), "f.csv")
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    organizer_client.post(
        f"/manage/banks/{bank_id}/import/confirm", data={"token": token, "on_duplicate": "skip"}
    )
    with app.app_context():
        stems = set(db.session.scalars(sa.select(Question.id)))
        assert len(stems) == 2
    web = organizer_client.get(f"/manage/banks/{bank_id}/export.xlsx").data
    out = tmp_path / "export.xlsx"
    assert runner.invoke(args=["export-bank", "核对题库", str(out)]).exit_code == 0
    for data in (web, out.read_bytes()):
        ws = load_workbook(io.BytesIO(data))["题库"]
        assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
        result = parse_upload("back.xlsx", data)
        assert sorted(q.stem for q in result.questions) == [
            "=1+1 是公式吗？",
            "x² = 4 的负数解是（　）",
        ]
        assert {o for q in result.questions for o in q.options} == {"-2.0", "2.0"}
