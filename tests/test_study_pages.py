"""Study pages: sanitised articles, uploads checked by their bytes, PDFs as page images, videos
with range requests, who may see and fetch what, the heartbeat endpoint and the progress pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import User
from quiz_app.models.study import StudyFile, StudyMaterial, StudyProgress, StudyTrack
from quiz_app.services.study.content import render_markdown
from tests import factories
from tests.conftest import sign_in
from tests.study_helpers import make_material, make_track

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 40


def _pdf(pages: int = 2) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(out, "PNG")
    return out.getvalue()


def _get(client, url: str, **kwargs):  # type: ignore[no-untyped-def]
    """GET a served file and close it (send_file keeps the file open until the response closes)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


# --- sanitising ---------------------------------------------------------------------------------


def test_markdown_is_sanitised_scripts_event_attributes_and_javascript_links_go() -> None:
    html = render_markdown(
        "# 标题\n\n<script>alert(1)</script>\n\n"
        '<img src="/x.png" onerror="alert(2)">\n\n'
        '<a href="javascript:alert(3)">点我</a> [也点我](javascript:alert(4))\n\n'
        '<p onclick="alert(5)" style="color:red">**正文**</p>\n\n<iframe src="http://x"></iframe>'
    )
    assert "<h1>标题</h1>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html and "onclick" not in html and "style=" not in html
    assert "href" not in html  # neither javascript: link survives as a link (text may stay)
    assert "<iframe" not in html
    assert '<img src="/x.png">' in html


def test_markdown_keeps_tables_quotes_and_safe_links() -> None:
    html = render_markdown(
        "> 引文\n\n| 章 | 条 |\n|---|---|\n| 一 | 1 |\n\n[链接](https://oa.local/a)"
    )
    assert "<blockquote>" in html and "<table>" in html
    assert 'href="https://oa.local/a"' in html and 'rel="noopener noreferrer"' in html


# --- organizers build a 专题 ------------------------------------------------------------------


def _organizer_track(app: Flask) -> int:
    with app.app_context():
        organizer = db.session.scalar(sa.select(User).where(User.username == "organizer1"))
        track = make_track(status="draft", creator=organizer)
        db.session.commit()
        return track.id


def test_organizer_builds_and_publishes_a_track(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        root_id = factories.root_branch().id
        db.session.commit()
    response = organizer_client.post(
        "/study/manage/tracks/new",
        data={
            "title": "保密法学习专题",
            "description": "学习新修订的保密法",
            "opens_at": "2026-01-01 09:00",
            "closes_at": "2030-01-01 09:00",
            "quiz_id": "0",
            "branch_ids": [str(root_id)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        track = db.session.scalar(sa.select(StudyTrack))
        track_id = track.id
        assert track.branches[0].id == root_id and track.status == "draft"
    refused = organizer_client.post(
        f"/study/manage/tracks/{track_id}/publish", follow_redirects=True
    )
    assert "专题中还没有学习资料" in refused.get_data(as_text=True)
    added = organizer_client.post(
        f"/study/manage/tracks/{track_id}/materials",
        data={
            "kind": "article",
            "title": "第一章 总则",
            "min_minutes": "5",
            "body_md": "正文<script>x</script>",
        },
    )
    assert added.status_code == 302
    organizer_client.post(f"/study/manage/tracks/{track_id}/publish")
    with app.app_context():
        track = db.session.get(StudyTrack, track_id)
        assert track.status == "published"
        assert track.materials[0].min_seconds == 300
        assert "<script" not in track.materials[0].body_html


def test_bad_material_input_says_where(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    url = f"/study/manage/tracks/{track_id}/materials"
    page = organizer_client.post(
        url, data={"kind": "article", "title": "空文章", "min_minutes": "0"}
    )
    assert page.status_code == 400 and "【正文】不能为空" in page.get_data(as_text=True)
    page = organizer_client.post(
        url, data={"kind": "link", "title": "链接", "url": "javascript:alert(1)"}
    )
    assert "【链接地址】" in page.get_data(as_text=True)
    page = organizer_client.post(
        url, data={"kind": "article", "title": "x", "min_minutes": "abc", "body_md": "y"}
    )
    assert page.status_code == 400 and "请填写 0 到 600 的整数" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(StudyMaterial.id))) == 0


def test_a_track_belongs_to_its_creator(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        other = factories.make_user("organizer2", roles=["organizer"])
        track = make_track(status="draft", creator=other)
        db.session.commit()
        track_id = track.id
    assert organizer_client.get(f"/study/manage/tracks/{track_id}").status_code == 403
    assert organizer_client.post(f"/study/manage/tracks/{track_id}/publish").status_code == 403
    response = organizer_client.post(
        f"/study/manage/tracks/{track_id}/materials",
        data={"kind": "article", "title": "t", "min_minutes": "1", "body_md": "x"},
    )
    assert response.status_code == 403


def test_employees_cannot_manage(employee_client) -> None:  # type: ignore[no-untyped-def]
    assert employee_client.get("/study/manage").status_code == 403
    assert employee_client.get("/study/manage/tracks/new").status_code == 403


# --- uploads -----------------------------------------------------------------------------------


def test_pdf_upload_becomes_page_images_and_keeps_the_original(
    app: Flask, organizer_client
) -> None:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    response = organizer_client.post(
        f"/study/manage/tracks/{track_id}/materials",
        data={
            "kind": "pdf",
            "title": "学习手册",
            "min_minutes": "1",
            "file": (io.BytesIO(_pdf(2)), "../../etc/passwd.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        material = db.session.scalar(sa.select(StudyMaterial))
        files = {f.role: f for f in material.files}
        assert material.page_count == 2
        pages = [f for f in material.files if f.role == "page"]
        assert [p.page_no for p in pages] == [1, 2]
        assert all(len(f.id) == 32 and "passwd" not in f.id for f in material.files)
        pdf_id, material_id = files["pdf"].id, material.id
    page = organizer_client.get(f"/study/materials/{material_id}").get_data(as_text=True)
    assert (
        page.count('class="pdf-page"') == 2 and 'loading="lazy"' in page and 'width="375"' in page
    )
    image = _get(organizer_client, f"/study/files/{pages[0].id}")
    assert image.status_code == 200 and image.data.startswith(b"\xff\xd8\xff")
    original = _get(organizer_client, f"/study/files/{pdf_id}?download=1")
    assert (
        original.data.startswith(b"%PDF-")
        and "attachment" in original.headers["Content-Disposition"]
    )


def test_non_pdf_and_oversize_uploads_are_refused_in_chinese(
    app: Flask, organizer_client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    url = f"/study/manage/tracks/{track_id}/materials"
    fake = organizer_client.post(
        url,
        data={
            "kind": "pdf",
            "title": "假PDF",
            "min_minutes": "1",
            "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "a.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and "只能上传 PDF 文件" in fake.get_data(as_text=True)
    from quiz_app.web import study as study_pages

    with app.app_context():
        limits = {**study_pages._limits(), "pdf_bytes": 1048576 // 4}  # 0.25 MB: a small test
    monkeypatch.setattr(study_pages, "_limits", lambda: limits)
    big = organizer_client.post(
        url,
        data={
            "kind": "pdf",
            "title": "大文件",
            "min_minutes": "1",
            "file": (io.BytesIO(b"%PDF-1.7\n" + b"0" * 300_000), "big.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert big.status_code == 400 and "超过 0.25 MB 上限" in big.get_data(as_text=True)
    video = organizer_client.post(
        url,
        data={
            "kind": "video",
            "title": "不是视频",
            "min_minutes": "1",
            "file": (io.BytesIO(b"hello world, no"), "v.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert "只能上传 MP4 格式的视频" in video.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(StudyMaterial.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StudyFile)) == 0


def test_article_images_are_checked_by_their_bytes(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    with app.app_context():
        material_id = make_material(db.session.get(StudyTrack, track_id)).id
        db.session.commit()
    url = f"/study/manage/materials/{material_id}/images"
    fake = organizer_client.post(
        url, data={"image": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert "只能上传 PNG、JPG 或 GIF 图片" in fake.get_data(as_text=True)
    good = organizer_client.post(
        url, data={"image": (io.BytesIO(_png()), "photo.png")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert "图片已上传" in good.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(sa.select(StudyFile).where(StudyFile.role == "image"))
        assert row.content_type == "image/png"
        file_id = row.id
    assert _get(organizer_client, f"/study/files/{file_id}").headers["Content-Type"] == "image/png"


def _video(app: Flask, organizer_client) -> str:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    response = organizer_client.post(
        f"/study/manage/tracks/{track_id}/materials",
        data={
            "kind": "video",
            "title": "保密宣传片",
            "min_minutes": "1",
            "file": (io.BytesIO(MP4), "v.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(sa.select(StudyFile.id).where(StudyFile.role == "video"))


def test_video_is_served_with_range_requests(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    file_id = _video(app, organizer_client)
    whole = _get(organizer_client, f"/study/files/{file_id}")
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    assert whole.data == MP4
    part = _get(organizer_client, f"/study/files/{file_id}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(MP4)}"
    assert part.data == MP4[100:200]
    bad = _get(
        organizer_client, f"/study/files/{file_id}", headers={"Range": f"bytes={len(MP4) + 10}-"}
    )
    assert bad.status_code == 416


def test_files_are_only_for_the_audience(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    file_id = _video(app, organizer_client)
    with app.app_context():
        track = db.session.scalar(sa.select(StudyTrack))
        elsewhere = factories.make_branch("外单位")
        factories.make_user("outsider", branch=elsewhere)
        factories.make_user("member")
        track.status = "published"
        db.session.commit()
    outsider, member = app.test_client(), app.test_client()
    sign_in(outsider, "outsider")
    sign_in(member, "member")
    assert _get(member, f"/study/files/{file_id}").status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(StudyTrack)).branches = [
            db.session.scalar(sa.select(factories.Branch).where(factories.Branch.code != "ROOT"))
        ]
        db.session.commit()
    assert _get(member, f"/study/files/{file_id}").status_code == 403
    assert app.test_client().get(f"/study/files/{file_id}").status_code == 302  # sign in first
    assert organizer_client.get("/study/files/not-a-real-id").status_code == 404


# --- heartbeat endpoint and progress pages ----------------------------------------------------


@pytest.fixture()
def studying(app: Flask, employee_client):  # type: ignore[no-untyped-def]
    clock.set_now(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    with app.app_context():
        track = make_track()
        article = make_material(track, min_seconds=60, title="第一章 总则")
        make_material(
            track, kind="link", min_seconds=0, url="http://oa.local/n/1", title="通知原文"
        )
        db.session.commit()
        return track.id, article.id


def test_heartbeats_through_the_page_endpoint_finish_an_article(
    app: Flask, employee_client, studying
) -> None:  # type: ignore[no-untyped-def]
    track_id, article_id = studying
    url = f"/study/materials/{article_id}/beat"
    assert (
        employee_client.post(url, json={"page": "p", "seq": 0, "active": True}).json["credited"]
        == 0
    )
    clock.advance(seconds=30)
    forged = employee_client.post(
        url, json={"page": "p", "seq": 1, "active": True, "seconds": 9999}
    )
    assert forged.json["credited"] == 30 and forged.json["status"] == "已学 30 秒 / 要求 1 分钟"
    clock.advance(seconds=30)
    done = employee_client.post(url, json={"page": "p", "seq": 2, "active": True, "end_seen": True})
    assert done.json == {**done.json, "done": True, "status": "已完成", "seconds": 60}
    page = employee_client.get(f"/study/tracks/{track_id}").get_data(as_text=True)
    assert "第一章 总则" in page and "已完成" in page and "完成 1/2 项" in page


def test_heartbeat_refuses_bad_bodies(employee_client, studying) -> None:  # type: ignore[no-untyped-def]
    _, article_id = studying
    url = f"/study/materials/{article_id}/beat"
    assert employee_client.post(url, data="x").status_code == 400
    assert employee_client.post(url, json={"page": "", "seq": 1}).status_code == 400
    assert employee_client.post(url, json={"page": "p", "seq": "1"}).status_code == 400


def test_opening_a_link_counts_as_opened(app: Flask, employee_client, studying) -> None:  # type: ignore[no-untyped-def]
    track_id, _ = studying
    with app.app_context():
        link_id = db.session.scalar(sa.select(StudyMaterial.id).where(StudyMaterial.kind == "link"))
    response = employee_client.get(f"/study/materials/{link_id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "http://oa.local/n/1"
    page = employee_client.get(f"/study/tracks/{track_id}").get_data(as_text=True)
    assert "完成 1/2 项" in page


def test_my_study_list_shows_open_tracks(employee_client, studying) -> None:  # type: ignore[no-untyped-def]
    page = employee_client.get("/study/").get_data(as_text=True)
    assert "保密法学习专题" in page and "已学 0/1 分钟" in page


def test_a_draft_track_is_hidden_from_employees(app: Flask, employee_client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        track = make_track(status="draft")
        material_id = make_material(track).id
        db.session.commit()
        track_id = track.id
    assert employee_client.get(f"/study/tracks/{track_id}").status_code == 403
    assert employee_client.get(f"/study/materials/{material_id}").status_code == 403
    assert "保密法学习专题" not in employee_client.get("/study/").get_data(as_text=True)


def test_organizer_pages_edit_move_and_delete(app: Flask, organizer_client) -> None:  # type: ignore[no-untyped-def]
    track_id = _organizer_track(app)
    with app.app_context():
        track = db.session.get(StudyTrack, track_id)
        first, second = make_material(track, title="甲"), make_material(track, title="乙")
        learner = factories.make_user("learner")
        db.session.add(StudyProgress(user_id=learner.id, material_id=second.id, seconds=10))
        db.session.commit()
        first_id, second_id = first.id, second.id
    for url in ("/study/manage", f"/study/manage/tracks/{track_id}", f"/study/manage/tracks/{track_id}/edit",
                f"/study/manage/materials/{first_id}", "/study/stats", f"/study/stats/tracks/{track_id}"):  # fmt: skip
        assert organizer_client.get(url).status_code == 200, url
    saved = organizer_client.post(
        f"/study/manage/materials/{first_id}",
        data={
            "kind": "article",
            "title": "甲（修订）",
            "min_minutes": "2",
            "body_md": "新正文 <b onmouseover=x>粗</b>",
        },
    )
    assert saved.status_code == 302
    organizer_client.post(f"/study/manage/materials/{second_id}/move?step=up")
    with app.app_context():
        titles = [m.title for m in db.session.get(StudyTrack, track_id).materials]
        assert titles == ["乙", "甲（修订）"]
        edited = db.session.get(StudyMaterial, first_id)
        assert edited.min_seconds == 120 and "onmouseover" not in edited.body_html
    kept = organizer_client.post(
        f"/study/manage/materials/{second_id}/delete", follow_redirects=True
    )
    assert "已经有人学习过这份资料，不能删除" in kept.get_data(as_text=True)
    organizer_client.post(f"/study/manage/materials/{first_id}/delete")
    with app.app_context():
        assert db.session.get(StudyMaterial, first_id) is None
        assert db.session.get(StudyMaterial, second_id) is not None
