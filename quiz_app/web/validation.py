"""The request edge: ids in URLs, query numbers, and text that may not enter at all.

Every form field, query argument and JSON string passes :func:`reject_bad_text` before a view
runs, so a NUL, a U+000B or a lone surrogate gets a 422 in Chinese instead of reaching the
database and breaking the pages and exports that show it later. Field-specific rules (lengths
from the model's columns, one-line names) stay with the forms and importers.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from quiz_app.services.textcheck import (
    INT32_MAX,
    column_length,
    first_bad_string,
    parse_id,
    text_problem,
)

MAX_PAGE = 100_000
# Text pasted from Word carries manual line breaks as U+000B and page breaks as U+000C; where a
# paste is split into lines (str.splitlines treats both as line ends) they are line breaks,
# not hostile input. Everywhere else they are refused like other control characters.
LINE_BREAK_FIELDS = {("banks.import_questions", "text")}
_AS_NEWLINE = {0x0B: "\n", 0x0C: "\n"}


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 1..2^31-1, so /quizzes/99999999999 is a 404, not an
    integer overflow in PostgreSQL (or SQLite's "Python int too large")."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


def page_arg(name: str = "page") -> int:
    """A page number from the query string: 1 when missing or nonsense, at most MAX_PAGE."""
    value = parse_id(request.args.get(name, ""))
    return min(value or 1, MAX_PAGE)


def id_arg(name: str) -> int | None:
    """An id from the query string (see :func:`parse_id`); None when missing or not an id."""
    return parse_id(request.args.get(name, ""))


def _refuse(message: str) -> Any:
    if request.path.startswith("/api/"):
        return {"error": message, "code": "bad_text"}, 422
    return render_template("error.html", code=422, title="输入有误", message=message), 422


def reject_bad_text() -> Any:
    """before_request: refuse control characters, NULs and invalid Unicode anywhere in the input."""
    for source, values in (("查询参数", request.args), ("表单", request.form)):
        for key, value in values.items(multi=True):
            if (request.endpoint, key) in LINE_BREAK_FIELDS:
                value = value.translate(_AS_NEWLINE)
            problem = text_problem(key, multiline=False) or text_problem(value, multiline=True)
            if problem:
                return _refuse(f"{source}【{key if not text_problem(key) else '?'}】{problem}")
    if request.is_json:
        body = request.get_json(silent=True)
        problem = first_bad_string(body)
        if problem:
            return _refuse(f"请求内容{problem}")
    return None


def api_body_must_be_object() -> Any:
    """before_request on /api/v1: a JSON body is an object ({…}); an array or a bare value is
    refused here rather than failing as ``body.get`` deep in a view."""
    if request.method in ("POST", "PUT", "PATCH") and request.is_json:
        body = request.get_json(silent=True)
        if body is not None and not isinstance(body, dict):
            return {"error": "请求体应为 JSON 对象（{…}）", "code": "bad_request"}, 422
    return None


def install(app: Flask) -> None:
    """Register the id converter (before any blueprint) and the edge checks."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(reject_bad_text)


class CleanLine:
    """WTForms validator for one-line text (names, titles): no control characters or line
    breaks, and no longer than the model column it is stored in (``column=User.real_name``)."""

    def __init__(self, column: Any = None, max_len: int | None = None) -> None:
        self.max_len = column_length(column) if column is not None else max_len

    def __call__(self, form: Any, field: Any) -> None:
        problem = text_problem((field.data or "").strip(), max_len=self.max_len)
        if problem:
            raise ValidationError(f"【{field.label.text}】{problem}")
