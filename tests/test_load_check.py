"""The load driver's database check (bench/load.py): it must find a lost answer and a wrong
score, or the contest figures' "0 lost, 0 wrong" means nothing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from bench import load
from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, Quiz, User
from quiz_app.services import attempts
from quiz_app.services.attempt_payload import attempt_payload


def test_the_check_passes_a_clean_run_and_finds_a_lost_answer_and_a_wrong_score(
    app: Flask,
) -> None:
    quiz_id, names = load.setup(app, 2, "t")
    acknowledged: dict[int, dict[int, tuple[object, int]]] = {}
    with app.app_context():
        moment = clock.now()
        for name in names:
            user = db.session.scalar(sa.select(User).where(User.username == name))
            attempt, _ = attempts.start_attempt(db.session.get(Quiz, quiz_id), user, moment)
            questions = attempt_payload(attempt, moment)["questions"]
            mine = acknowledged.setdefault(attempt.id, {})
            for seq, q in enumerate(questions[:3], start=1):
                saved, _ = attempts.save_answer(
                    attempt.id, user, q["id"], load.ANSWERS.get(q["type"], ["x"]), seq, moment
                )
                mine[q["id"]] = (saved.shown, seq)
            attempts.submit(attempt.id, user, moment)
        db.session.commit()
    clean = load.check(app, quiz_id, acknowledged)
    assert clean["answers_checked"] == 6 and clean["answers_lost"] == 0
    assert clean["scores_checked"] == 2 and clean["scores_wrong"] == 0, clean["problems"]

    first = next(iter(acknowledged))
    with app.app_context():  # one stored answer rolled back a step, one score off by a point
        qid = next(iter(acknowledged[first]))
        db.session.execute(
            sa.update(AttemptItem)
            .where(AttemptItem.attempt_id == first, AttemptItem.question_id == qid)
            .values(answer_seq=AttemptItem.answer_seq - 1)
        )
        db.session.execute(
            sa.update(Attempt).where(Attempt.id == first).values(score=Attempt.score + 1)
        )
        db.session.commit()
    bad = load.check(app, quiz_id, acknowledged)
    assert bad["answers_lost"] == 1 and bad["scores_wrong"] == 1
