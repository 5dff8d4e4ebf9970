"""Organizer pages for question banks: list, import with preview, search, edit, retire, export."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from quiz_app.extensions import db
from quiz_app.models import Bank, Question
from quiz_app.services import access, audit, banks
from quiz_app.services.bank_export import template_xlsx
from quiz_app.services.importing import (
    DIFFICULTIES,
    ParseResult,
    QuestionType,
    parse_text,
    parse_upload,
)
from quiz_app.services.importing.validate import RawQuestion, check
from quiz_app.web import get_child_or_404, role_required, stash, xlsx_download
from quiz_app.web.forms import (
    BankForm,
    BankImportForm,
    ConfirmForm,
    ImportConfirmForm,
    QuestionForm,
)
from quiz_app.web.validation import page_arg

bp = Blueprint("banks", __name__, url_prefix="/manage/banks")
PAGE_SIZE = 30
TYPE_LABELS = {t.value: t.label for t in QuestionType}


@bp.before_request
@role_required(access.can_organize)
def _organizers_only() -> None:
    return None


NOT_YOURS = (
    "这个题库由其他组织者维护：您可以查看和从中抽题，但不能修改。请联系题库的创建者把您加为协作者。"
)


def _editable_bank(bank_id: int) -> Bank:
    """The bank, if this organizer may change it (owner, co-editor, admin); else 403."""
    bank = db.get_or_404(Bank, bank_id)
    if not access.can_edit_bank(current_user, bank):
        abort(403, description=NOT_YOURS)
    return bank


def _key_text(question: Question) -> str:
    rev = question.current_revision
    if rev is None:
        return ""
    if rev.type == "blank":
        return "；".join("|".join(alts) for alts in rev.blanks)
    return "".join(rev.answer)


@bp.route("/", methods=["GET", "POST"])
def index() -> Any:
    form = BankForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if db.session.scalar(sa.select(Bank.id).where(Bank.name == name)) is not None:
            form.name.errors = [*form.name.errors, f"已有名为“{name}”的题库"]
        else:
            bank = banks.get_or_create_bank(
                name, current_user, (form.description.data or "").strip()
            )
            db.session.commit()
            flash(f"已创建题库“{bank.name}”，现在可以导入题目", "success")
            return redirect(url_for("banks.import_questions", bank_id=bank.id))
    all_banks = db.session.scalars(sa.select(Bank).order_by(Bank.archived, Bank.name)).all()
    counts = {b.id: banks.bank_counts(b) for b in all_banks}
    return render_template(
        "banks/index.html", banks=all_banks, counts=counts, form=form, labels=TYPE_LABELS
    )


@bp.get("/template.xlsx")
def template() -> Any:
    return xlsx_download(template_xlsx(), "题库导入模板.xlsx", "bank-template.xlsx")


@bp.get("/<int:bank_id>")
def show(bank_id: int) -> Any:
    bank = db.get_or_404(Bank, bank_id)
    f = banks.QuestionFilter(
        text=request.args.get("q", ""),
        type=request.args.get("type", "") if request.args.get("type") in TYPE_LABELS else "",
        category=request.args.get("category", ""),
        difficulty=request.args.get("difficulty", "")
        if request.args.get("difficulty") in DIFFICULTIES
        else "",
        include_retired=request.args.get("retired") == "1",
    )
    page = page_arg()
    pagination = db.paginate(
        banks.search_questions(bank, f), page=page, per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "banks/show.html",
        bank=bank,
        f=f,
        pagination=pagination,
        counts=banks.bank_counts(bank),
        labels=TYPE_LABELS,
        difficulties=DIFFICULTIES,
        confirm=ConfirmForm(),
    )


@bp.route("/<int:bank_id>/settings", methods=["GET", "POST"])
def settings(bank_id: int) -> Any:
    bank = _editable_bank(bank_id)
    form = BankForm(obj=bank)
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        clash = db.session.scalar(sa.select(Bank.id).where(Bank.name == name, Bank.id != bank.id))
        if clash is not None:
            form.name.errors = [*form.name.errors, f"已有名为“{name}”的题库"]
        else:
            bank.name, bank.description = name, (form.description.data or "").strip()
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("banks.show", bank_id=bank.id))
    return render_template("banks/settings.html", bank=bank, form=form)


@bp.get("/<int:bank_id>/export.xlsx")
def export(bank_id: int) -> Any:
    bank = db.get_or_404(Bank, bank_id)
    return xlsx_download(banks.export_bank(bank), f"{bank.name}.xlsx", f"bank-{bank.id}.xlsx")


# --- import: upload → preview (nothing written) → confirm -------------------------------------


def _parse(data: bytes, meta: dict[str, Any]) -> ParseResult:
    if meta.get("pasted"):
        return parse_text(data.decode("utf-8"), meta.get("format") or None)
    return parse_upload(meta.get("filename", ""), data, meta.get("format") or None)


@bp.route("/<int:bank_id>/import", methods=["GET", "POST"])
def import_questions(bank_id: int) -> Any:
    bank = _editable_bank(bank_id)
    form = BankImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        text = (form.text.data or "").strip()
        fmt = form.format.data or None
        if upload and upload.filename:
            data, meta = upload.read(), {"filename": upload.filename, "format": fmt}
        elif text:
            if fmt in ("xlsx", "csv", "docx"):
                fmt = None  # pasted text is never a spreadsheet
            data, meta = text.encode("utf-8"), {"pasted": True, "format": fmt}
        else:
            form.file.errors = [*form.file.errors, "请选择文件，或在下面粘贴题目文字"]
            return render_template("banks/import.html", bank=bank, form=form)
        result = _parse(data, meta)
        preview = banks.preview_import(bank, result)
        confirm = ImportConfirmForm()
        if preview.ok:
            confirm.token.data = stash.put(
                "bank-import", data, current_user.id, bank=bank.id, **meta
            )
        return render_template(
            "banks/preview.html", bank=bank, preview=preview, confirm=confirm, labels=TYPE_LABELS
        )
    return render_template("banks/import.html", bank=bank, form=form)


@bp.post("/<int:bank_id>/import/confirm")
def confirm_import(bank_id: int) -> Any:
    bank = _editable_bank(bank_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    found = stash.get("bank-import", form.token.data or "", current_user.id, remove=True)
    if found is None or found[1].get("bank") != bank.id:
        flash("这次导入已经完成或已过期，请重新上传文件", "error")
        return redirect(url_for("banks.import_questions", bank_id=bank.id))
    data, meta = found
    result = _parse(data, meta)  # parsed again: the file on disk is the one that was previewed
    try:
        summary = banks.apply_import(
            bank, result, banks.OnDuplicate(form.on_duplicate.data), current_user
        )
    except banks.BankError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("banks.import_questions", bank_id=bank.id))
    audit.record(
        current_user,
        "bank.import",
        f"向题库“{bank.name}”导入题目：新增 {summary.created}，更新 {summary.updated}，"
        f"跳过 {summary.skipped}",
        object_type="bank",
        object_id=bank.id,
        details={
            "created": summary.created,
            "updated": summary.updated,
            "file": str(meta.get("filename") or "粘贴的文字"),
        },
        address=request.remote_addr or "",
    )
    db.session.commit()
    parts = [f"新增 {summary.created} 题"]
    if summary.updated:
        parts.append(f"更新 {summary.updated} 题")
    if summary.unchanged:
        parts.append(f"{summary.unchanged} 题与题库相同未变")
    if summary.skipped:
        parts.append(f"跳过已有的 {summary.skipped} 题")
    flash("导入完成：" + "，".join(parts), "success")
    return redirect(url_for("banks.show", bank_id=bank.id))


# --- one question ------------------------------------------------------------------------------


def _form_from_revision(question: Question) -> QuestionForm:
    rev = question.current_revision
    assert rev is not None
    data = banks.revision_data(rev)
    if rev.type == "judge":
        answer = "正确" if rev.answer == ["T"] else "错误"
    elif rev.type == "blank":
        answer = "；".join("|".join(alts) for alts in rev.blanks)
    else:
        answer = "".join(rev.answer)
    form = QuestionForm(
        type=rev.type,
        stem=rev.stem,
        answer=answer,
        explanation=rev.explanation,
        categories="；".join(rev.categories),
        difficulty=rev.difficulty,
        score="" if data.score is None else f"{data.score.normalize():f}",
    )
    if request.method == "GET":
        for name, text in zip(QuestionForm.OPTION_FIELDS, rev.options, strict=False):
            getattr(form, name).data = text
    return form


def _validated(form: QuestionForm) -> Any:
    """The form through the importer's own rules (one validation path for every way in)."""
    raw = RawQuestion(
        where="本题",
        type=TYPE_LABELS.get(form.type.data or "", form.type.data or ""),
        stem=form.stem.data or "",
        options=[getattr(form, n).data or "" for n in QuestionForm.OPTION_FIELDS],
        answer=form.answer.data or "",
        explanation=form.explanation.data or "",
        categories=form.categories.data or "",
        difficulty=form.difficulty.data or "",
        score=form.score.data or "",
    )
    checked = check(raw)
    return checked.question, [e.message for e in checked.errors]


@bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
def new_question(bank_id: int) -> Any:
    bank = _editable_bank(bank_id)
    form = QuestionForm()
    errors: list[str] = []
    if form.validate_on_submit():
        data, errors = _validated(form)
        if data is not None:
            if banks.find_duplicates(bank, [data]):
                errors = ["题库中已有题干相同的同类题目，请勿重复添加"]
            else:
                question = banks.add_question(bank, data, current_user)
                db.session.commit()
                flash("已添加", "success")
                return redirect(
                    url_for("banks.edit_question", bank_id=bank.id, question_id=question.id)
                )
    return render_template(
        "banks/question.html", bank=bank, form=form, errors=errors, question=None
    )


@bp.route("/<int:bank_id>/questions/<int:question_id>", methods=["GET", "POST"])
def edit_question(bank_id: int, question_id: int) -> Any:
    bank = _editable_bank(bank_id)
    question = get_child_or_404(Question, question_id, bank_id=bank.id)
    form = _form_from_revision(question) if request.method == "GET" else QuestionForm()
    errors: list[str] = []
    if form.validate_on_submit():
        data, errors = _validated(form)
        if data is not None:
            old_key = _key_text(question)
            try:
                revision = banks.revise_question(question, data, current_user)
            except banks.BankError as exc:
                errors = [str(exc)]
            else:
                if revision is not None:
                    db.session.flush()
                    db.session.refresh(question)
                    new_key = _key_text(question)
                    audit.record(
                        current_user,
                        "question.edit",
                        f"修改题库“{bank.name}”第 {question.id} 题为第 {revision.number} 版"
                        + (f"，答案 {old_key} → {new_key}" if old_key != new_key else ""),
                        object_type="question",
                        object_id=question.id,
                        details={
                            "old_key": old_key,
                            "new_key": new_key,
                            "revision": revision.number,
                        },
                        address=request.remote_addr or "",
                    )
                db.session.commit()
                flash(f"已保存为第 {revision.number} 版" if revision else "内容没有变化", "success")
                return redirect(
                    url_for("banks.edit_question", bank_id=bank.id, question_id=question.id)
                )
    return render_template(
        "banks/question.html",
        bank=bank,
        form=form,
        errors=errors,
        question=question,
        confirm=ConfirmForm(),
    )


@bp.post("/<int:bank_id>/questions/<int:question_id>/active")
def set_active(bank_id: int, question_id: int) -> Any:
    bank = _editable_bank(bank_id)
    question = get_child_or_404(Question, question_id, bank_id=bank.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    banks.set_active(question, request.form.get("active") == "1")
    db.session.commit()
    flash(
        "已恢复使用" if question.active else "已停用：不会再被抽到新试卷中，历史答卷不受影响",
        "success",
    )
    return redirect(url_for("banks.edit_question", bank_id=bank.id, question_id=question.id))


@bp.post("/<int:bank_id>/editors")
def editors(bank_id: int) -> Any:
    """The owner (or an admin) names the organizers who may change the bank with them."""
    bank = _editable_bank(bank_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not (access.is_admin(current_user) or bank.owner_id == current_user.id):
        abort(403, description="只有题库的创建者或管理员可以指定协作者。")
    wanted, problem = access.changed_editors(
        list(bank.editors),
        bank.owner_id,
        request.form.get("username") or "",
        request.form.get("remove", type=int),
    )
    if problem:
        flash(problem, "error")
        return redirect(url_for("banks.settings", bank_id=bank.id))
    bank.editors = wanted
    audit.record(
        current_user,
        "bank.editors",
        f"题库“{bank.name}”的协作者：" + ("、".join(u.real_name for u in bank.editors) or "无"),
        object_type="bank",
        object_id=bank.id,
    )
    db.session.commit()
    flash("协作者已更新", "success")
    return redirect(url_for("banks.settings", bank_id=bank.id))
