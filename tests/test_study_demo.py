"""The demo 专题: published, four materials (two quoted articles, the PDF as page images, a link),
study time for simulated people, and nothing twice on a rerun."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models.study import StudyDay, StudyFile, StudyTrack
from quiz_app.services import demo
from quiz_app.services.study import demo as study_demo


def test_demo_track_is_seeded_once_with_study_time(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    branches = demo.seed_organisation()
    db.session.flush()
    demo.seed_people(branches)
    demo.seed_demo_accounts(branches)
    db.session.flush()
    assert study_demo.seed(clock.now(), tmp_path) == 40
    assert study_demo.seed(clock.now(), tmp_path) == 0
    track = db.session.scalar(sa.select(StudyTrack))
    assert track.status == "published" and track.title == "保密法学习专题"
    assert [m.kind for m in track.materials] == ["article", "article", "pdf", "link"]
    assert "2024年2月27日" in track.materials[0].body_html
    assert "第一条" in track.materials[0].body_html
    pages = db.session.scalars(sa.select(StudyFile).where(StudyFile.role == "page")).all()
    assert len(pages) == track.materials[2].page_count == 2
    assert all((tmp_path / f.id).exists() for f in pages)
    assert db.session.scalar(sa.select(sa.func.sum(StudyDay.seconds))) > 0


def test_the_study_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    """Revision 0006 can be undone (every study table goes) and applied again."""
    from flask_migrate import downgrade, upgrade

    from quiz_app import create_app

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    tables = {"study_track", "study_material", "study_file", "study_progress", "study_day",
              "study_presence", "study_track_branch", "study_track_group"}  # fmt: skip
    with other.app_context():
        upgrade()
        assert tables <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="0005")
        assert not tables & set(sa.inspect(db.engine).get_table_names())
        upgrade()
        assert tables <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
