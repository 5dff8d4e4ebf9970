"""Benchmark: what anonymity costs a survey submission.

Each submission rewrites the survey's participation list in a shuffled order, so that on
PostgreSQL no row's transaction id (xmin) or physical position (ctid) lines a person up with a
response (see services/surveys/answering.py). This measures a submission with N people already
answered against a baseline in the same run: the same submission inserting only the new
participation row (what an ordinary design would do).

Run: python bench/bench_surveys.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/bench_surveys]
     [--answered 2000] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
QUESTIONS = "[单选] 满意吗\n满意\n不满意\n\n[量表] 压力\n\n[文字] 建议（选答）"


def run(url: str, answered: int, runs: int) -> None:
    from quiz_app import clock, create_app
    from quiz_app.extensions import db
    from quiz_app.models import User
    from quiz_app.models.survey import Survey, SurveyParticipation
    from quiz_app.services.branches import create_branch
    from quiz_app.services.surveys import answering, authoring

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        root = create_branch("局", "R", None)
        db.session.flush()
        people = answered + 2 * runs
        db.session.execute(
            sa.insert(User.__table__),
            [
                {
                    "username": f"p{i}",
                    "real_name": f"人{i}",
                    "branch_id": root.id,
                    "active": True,
                    "password_hash": "x",
                    "must_change_password": False,
                    "created_at": T0,
                }
                for i in range(people)
            ],
        )
        clock.set_now(T0)
        survey = Survey(status="draft")
        authoring.save_draft(
            survey,
            title="基准问卷",
            description="",
            opens_at=T0,
            closes_at=T0 + timedelta(days=7),
            branches=[root],
            groups=[],
            questions=QUESTIONS,
        )
        db.session.add(survey)
        db.session.flush()
        authoring.publish(survey)
        clock.set_now(T0 + timedelta(hours=1))
        ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
        db.session.execute(
            sa.insert(SurveyParticipation.__table__),
            [{"survey_id": survey.id, "user_id": u} for u in ids[:answered]],
        )
        db.session.commit()
        q = [x.id for x in survey.questions]
        form = {f"q{q[0]}": ["0"], f"q{q[1]}": ["4"], f"q{q[2]}": ["多组织交流"]}

        def timed(user_ids: list[int]) -> list[float]:
            out = []
            for u in user_ids:
                user = db.session.get(User, u)
                start = time.perf_counter()
                answering.submit(survey, user, form)
                db.session.commit()
                out.append(time.perf_counter() - start)
            return out

        shuffled = timed(ids[answered : answered + runs])
        original: Callable[..., None] = answering._record_participation

        def one_row(s: Survey, user: User) -> None:
            db.session.add(SurveyParticipation(survey_id=s.id, user_id=user.id))

        answering._record_participation = one_row  # type: ignore[assignment]
        try:
            plain = timed(ids[answered + runs :])
        finally:
            answering._record_participation = original  # type: ignore[assignment]
        a, b = statistics.median(shuffled), statistics.median(plain)
        print(
            f"{engine.dialect.name:10s} {answered} answered: submission {a * 1000:.0f} ms "
            f"(shuffled rewrite) vs {b * 1000:.0f} ms (one row) — ratio {a / b:.1f}"
        )
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL URL (its public schema is wiped)")
    parser.add_argument("--answered", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.answered, args.runs)
    if args.pg:
        run(args.pg, args.answered, args.runs)


if __name__ == "__main__":
    main()
