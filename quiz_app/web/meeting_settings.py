"""Admin settings for meetings: types and default frequencies, per-kind and per-branch rules,
exemptions, and which branches each 党支部 covers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from quiz_app.extensions import db
from quiz_app.models import Branch
from quiz_app.models.meetings import MeetingExemption, MeetingRule, MeetingType
from quiz_app.services import access, branches
from quiz_app.services.meetings import records, rules
from quiz_app.web import role_required
from quiz_app.web.forms import ConfirmForm
from quiz_app.web.meeting_forms import (
    CoverForm,
    ExemptionForm,
    NewTypeForm,
    RuleForm,
    TypeDefaultForm,
)

bp = Blueprint("meeting_settings", __name__, url_prefix="/meetings/settings")


@bp.before_request
@role_required(access.is_admin)
def _admins_only() -> None:
    return None


def _branch_choices() -> list[SelectChoice]:
    return [
        SelectChoice(b.id, "\u3000" * b.depth + b.name + (f"（{b.kind}）" if b.kind else ""))  # type: ignore[arg-type]
        for b in branches.tree()
        if b.active
    ]


def _forms(party_id: int | None) -> dict[str, Any]:
    # The standard types come with the database (migration 0012); a settings write also puts
    # back any that are missing (say, after restoring an old backup), a page view never writes.
    types = rules.ensure_default_types() if request.method == "POST" else rules.all_types()
    type_choices = [SelectChoice(t.id, t.name) for t in types]  # type: ignore[arg-type]
    rule_form = RuleForm(prefix="rule")
    rule_form.type_id.choices = type_choices  # type: ignore[assignment]
    rule_form.scope.choices = [  # type: ignore[assignment]
        *(SelectChoice(f"kind:{k}", f"全部“{k}”类部门") for k in rules.BRANCH_KINDS),
        *(SelectChoice(f"branch:{c.value}", c.label) for c in _branch_choices()),
    ]
    exemption = ExemptionForm(prefix="ex")
    exemption.type_id.choices = type_choices  # type: ignore[assignment]
    exemption.branch_id.choices = _branch_choices()  # type: ignore[assignment]
    cover = CoverForm(prefix="cover")
    cover.party_branch_id.choices = _branch_choices()  # type: ignore[assignment]
    cover.branch_ids.choices = _branch_choices()  # type: ignore[assignment]
    party = db.session.get(Branch, party_id) if party_id else None
    if party is not None and request.method == "GET":
        cover.party_branch_id.data = party.id
        cover.branch_ids.data = [b.id for b in records.covered_branches(party)]
    return {
        "types": types,
        "defaults": {t.id: TypeDefaultForm(prefix=f"t{t.id}", obj=None) for t in types},
        "new_type": NewTypeForm(prefix="new"),
        "rule_form": rule_form,
        "exemption": exemption,
        "cover": cover,
        "party": party,
    }


def _page(forms: dict[str, Any], status: int = 200) -> Any:
    rule_rows = db.session.scalars(sa.select(MeetingRule).order_by(MeetingRule.type_id)).all()
    exemptions = db.session.scalars(
        sa.select(MeetingExemption).order_by(MeetingExemption.period_key.desc())
    ).all()
    covers = [
        (b, records.covered_branches(b))
        for b in branches.tree()
        if b.active and records.covered_branches(b)
    ]
    return render_template(
        "meetings/settings.html",
        **forms,
        rule_rows=rule_rows,
        exemptions=exemptions,
        covers=covers,
        frequency=rules.frequency_label,
        confirm=ConfirmForm(),
    ), status


@bp.get("/")
def index() -> Any:
    forms = _forms(request.args.get("party", type=int))
    for t in forms["types"]:
        form = forms["defaults"][t.id]
        form.period.data, form.count.data, form.kinds.data = (
            t.default_period or "",
            t.default_count,
            t.default_kinds,
        )
    db.session.commit()  # the standard types, if this was the first visit
    return _page(forms)


def _done(message: str) -> Any:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("meeting_settings.index"))


@bp.post("/types/<int:type_id>")
def type_default(type_id: int) -> Any:
    mtype = db.get_or_404(MeetingType, type_id)
    form = TypeDefaultForm(prefix=f"t{type_id}")
    if form.validate_on_submit():
        try:
            rules.set_type_default(
                mtype, form.period.data or None, form.count.data or 0, form.kinds.data or ""
            )
        except rules.RuleError as exc:
            db.session.rollback()
            flash(f"{mtype.name}：{exc}", "error")
        else:
            return _done(f"已保存“{mtype.name}”的默认频次")
    for errors in form.errors.values():
        flash(f"{mtype.name}：{'；'.join(errors)}", "error")
    return redirect(url_for("meeting_settings.index"))


@bp.post("/types")
def type_new() -> Any:
    forms = _forms(None)
    form = forms["new_type"]
    if form.validate_on_submit():
        try:
            mtype = rules.add_type(
                form.code.data or "",
                form.name.data or "",
                form.period.data or None,
                form.count.data or 0,
                form.kinds.data or "",
            )
        except rules.RuleError as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            return _done(f"已新增会议类型“{mtype.name}”")
    return _page(forms, 400)


@bp.post("/rules")
def rule_new() -> Any:
    forms = _forms(None)
    form = forms["rule_form"]
    if form.validate_on_submit():
        mtype = db.get_or_404(MeetingType, form.type_id.data)
        scope_kind, _, value = (form.scope.data or "").partition(":")
        branch = db.session.get(Branch, int(value)) if scope_kind == "branch" else None
        try:
            rules.set_rule(
                mtype,
                form.period.data or "",
                form.count.data or 0,
                branch=branch,
                kind=value if scope_kind == "kind" else None,
            )
        except rules.RuleError as exc:
            db.session.rollback()
            form.scope.errors = [*form.scope.errors, str(exc)]
        else:
            return _done(f"已保存“{mtype.name}”的频次")
    return _page(forms, 400)


@bp.post("/rules/<int:rule_id>/delete")
def rule_delete(rule_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rules.delete_rule(db.get_or_404(MeetingRule, rule_id))
    return _done("已删除该设置，恢复为默认频次")


@bp.post("/exemptions")
def exemption_new() -> Any:
    forms = _forms(None)
    form = forms["exemption"]
    if form.validate_on_submit():
        branch = db.get_or_404(Branch, form.branch_id.data)
        mtype = db.get_or_404(MeetingType, form.type_id.data)
        try:
            rules.add_exemption(
                branch,
                mtype,
                (form.period_key.data or "").strip(),
                form.reason.data or "",
                current_user.id,
            )
        except rules.RuleError as exc:
            db.session.rollback()
            form.period_key.errors = [*form.period_key.errors, str(exc)]
        else:
            return _done(f"已免除{branch.name}在{form.period_key.data}的{mtype.name}")
    return _page(forms, 400)


@bp.post("/exemptions/<int:exemption_id>/delete")
def exemption_delete(exemption_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.delete(db.get_or_404(MeetingExemption, exemption_id))
    return _done("已取消免除")


@bp.post("/covers")
def covers() -> Any:
    forms = _forms(None)
    form = forms["cover"]
    if form.validate_on_submit():
        party = db.get_or_404(Branch, form.party_branch_id.data)
        try:
            records.set_covers(party, list(form.branch_ids.data or []))
        except records.MeetingError as exc:
            db.session.rollback()
            form.branch_ids.errors = [*form.branch_ids.errors, *exc.errors]
        else:
            return _done(f"已保存“{party.name}”覆盖的部门")
    return _page(forms, 400)
