"""Question revisions as the quiz page and grading read them, cached per process.

A revision is never changed once written (models/bank.py: an edit writes a new revision), so a
cached copy can never go stale on any app node and needs no invalidation. Every start, resume
and hand-in shows 30 of them; reading and building 30 ORM objects each time was a third of a
start's CPU (bench/RESULTS.md §2h). The cache is bounded (least recently used out) and held
only in server memory: the answer key in it reaches a phone only through ``attempt_payload``,
which decides when.

After restoring a backup into a database with a different history, restart the app nodes
(revision ids could then name other content), as for the paper pools.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import QuestionRevision

CACHE_SIZE = 20_000  # ~1 KB each (measured with tracemalloc): ~20 MB per process when full


@dataclass(frozen=True)
class Revision:
    """What showing and grading need of one revision (the same names as QuestionRevision)."""

    id: int
    type: str
    stem: str
    options: tuple[str, ...]
    answer: tuple[str, ...]
    blanks: tuple[tuple[str, ...], ...]
    explanation: str


_cache: OrderedDict[int, Revision] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "misses": 0}

_COLUMNS = (
    QuestionRevision.id,
    QuestionRevision.type,
    QuestionRevision.stem,
    QuestionRevision.options,
    QuestionRevision.answer,
    QuestionRevision.blanks,
    QuestionRevision.explanation,
)


def forget() -> None:
    """Empty this process's cache (tests; after restoring another database's backup)."""
    with _lock:
        _cache.clear()


def revisions(ids: Iterable[int]) -> dict[int, Revision]:
    """The revisions with these ids: from the cache, the missing ones in one statement."""
    wanted = set(ids)
    found: dict[int, Revision] = {}
    with _lock:
        for rid in wanted:
            hit = _cache.get(rid)
            if hit is not None:
                _cache.move_to_end(rid)
                found[rid] = hit
        stats["hits"] += len(found)
    missing = wanted - found.keys()
    if not missing:
        return found
    rows = db.session.execute(sa.select(*_COLUMNS).where(QuestionRevision.id.in_(missing)))
    loaded = {
        rid: Revision(
            rid,
            rtype,
            stem,
            tuple(options or ()),
            tuple(answer or ()),
            tuple(tuple(b) for b in blanks or ()),
            explanation or "",
        )
        for rid, rtype, stem, options, answer, blanks, explanation in rows
    }
    with _lock:
        stats["misses"] += len(loaded)
        _cache.update(loaded)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    found.update(loaded)
    return found
