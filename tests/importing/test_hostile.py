"""Hostile and unsupported uploads are refused before any parser reads them."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from importing_helpers import HEADER, bank, messages, raw_xlsx

from quiz_app.services.importing import Limits, parse_upload

BOMB = "文件解压后过大，疑似压缩炸弹，已拒绝"
UNSAFE = "文件包含不安全的 XML 内容（DTD/实体），已拒绝"


def _with_member(base: bytes, name: str, size: int) -> bytes:
    """Copy an .xlsx and add a member of `size` zero bytes, streamed so the test stays small."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        member = zipfile.ZipInfo(name)
        member.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(member, "w", force_zip64=True) as fh:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    base = bank(["判断", "题。", "", "", "", "", "对"])
    return _with_member(base, "xl/media/zeros.bin", 200 * 1024 * 1024)


def test_zip_bomb_refused_quickly_without_decompressing(zip_bomb):
    assert len(zip_bomb) < 1024 * 1024  # ~200 MB of zeros deflates to ~200 KB
    tracemalloc.start()
    start = time.perf_counter()
    result = parse_upload("bomb.xlsx", zip_bomb)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert messages(result) == [BOMB]
    assert result.questions == []
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024


def test_declared_total_over_limit_is_refused_even_at_low_ratio():
    data = bank(["判断", "题。", "", "", "", "", "对"])
    result = parse_upload("a.xlsx", data, limits=Limits(max_unzipped_bytes=1000))
    assert messages(result) == [BOMB]


def test_high_ratio_member_is_refused():
    data = _with_member(
        bank(["判断", "题。", "", "", "", "", "对"]), "xl/zeros.bin", 2 * 1024 * 1024
    )
    result = parse_upload("a.xlsx", data)  # 2 MiB at ratio ~1000, far below the size limit
    assert messages(result) == [BOMB]


def test_too_many_members():
    result = parse_upload("a.xlsx", bank(), limits=Limits(max_members=3))
    assert "超过上限 3" in messages(result)[0]


BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
    + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)


def test_billion_laughs_xlsx_is_refused():
    data = raw_xlsx([HEADER], prolog=BILLION_LAUGHS, entity_cell="&i;")
    start = time.perf_counter()
    result = parse_upload("laughs.xlsx", data)
    assert messages(result) == [UNSAFE]
    assert time.perf_counter() - start < 1.0


def test_external_entity_in_utf16_part_is_refused():
    sheet = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/>'
        "</worksheet>"
    ).encode("utf-16")
    out = io.BytesIO()
    base = raw_xlsx([HEADER])
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, body)
    assert b"<!DOCTYPE" not in sheet  # a plain byte search would miss it
    assert messages(parse_upload("u16.xlsx", out.getvalue())) == [UNSAFE]


def test_not_a_zip_named_xlsx():
    result = parse_upload("题库.xlsx", "题型,题干\n".encode())
    assert messages(result) == ["文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）"]


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert messages(parse_upload("x.xlsx", buf.getvalue())) == [
        "文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）"
    ]


@pytest.mark.parametrize("name", ["题库.xls", "题库.XLSM", "题库.et", "题库.pdf", "题库"])
def test_unsupported_extensions(name):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
    result = parse_upload(name, data)
    assert len(result.errors) == 1
    msg = result.errors[0].message
    assert msg.startswith("不支持该文件格式")
    assert msg.endswith("请另存为 .xlsx 后上传")
    ext = name.rpartition(".")[2].lower() if "." in name else None
    if ext:
        assert f".{ext}" in msg
    assert result.questions == []


def test_too_large_refused_before_parsing():
    result = parse_upload("big.xlsx", b"PK" + bytes(2000), limits=Limits(max_bytes=1000))
    assert len(result.errors) == 1
    assert "超过上限" in result.errors[0].message
    assert result.errors[0].message.startswith("文件大小为")


def test_too_many_rows_is_one_error_with_the_figure():
    rows = [["判断", f"第{i}题。", "", "", "", "", "对"] for i in range(5)]
    result = parse_upload("many.xlsx", bank(*rows), limits=Limits(max_rows=4))
    assert messages(result) == ["文件共有5道题，超过单次导入上限4道，请拆分后分批导入"]
    assert result.questions == []
    assert parse_upload("ok.xlsx", bank(*rows), limits=Limits(max_rows=5)).ok


def test_too_many_rows_in_csv_and_text():
    csv = "题型,题干,答案\n" + "".join(f"判断,第{i}题。,对\n" for i in range(3))
    assert (
        "文件共有3道题"
        in messages(parse_upload("a.csv", csv.encode(), limits=Limits(max_rows=2)))[0]
    )


def test_huge_sheet_stops_reading_past_the_limit():
    rows = [["判断", f"第{i}题。", "", "", "", "", "对"] for i in range(40)]
    result = parse_upload("many.xlsx", bank(*rows), limits=Limits(max_rows=10))
    assert len(result.errors) == 1
    assert "超过单次导入上限10道" in result.errors[0].message
