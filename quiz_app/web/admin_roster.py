"""Roster import: upload → preview (nothing written) → confirm → write, like the bank import.

The uploaded file waits in the stash under a token; confirming parses and checks it again, so what
is written is exactly what the current data allows, all rows or none.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from quiz_app.extensions import db
from quiz_app.services import audit, roster
from quiz_app.services.xlsx_out import workbook_bytes
from quiz_app.web import stash, xlsx_download
from quiz_app.web.admin import bp
from quiz_app.web.forms import RosterConfirmForm, UploadForm

STASH_KIND = "roster-import"


@bp.route("/users/import", methods=["GET", "POST"])
def user_import() -> Any:
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename, data = upload.filename or "", upload.read()
        report = roster.parse_roster(filename, data)
        confirm = RosterConfirmForm()
        if report.ok:
            confirm.token.data = stash.put(STASH_KIND, data, current_user.id, filename=filename)
        return render_template(
            "admin/user_import_preview.html",
            report=report,
            rows=roster.preview_roster(report) if report.ok else [],
            confirm=confirm,
            filename=filename,
        )
    return render_template("admin/user_import.html", form=form, columns=roster.COLUMNS)


@bp.post("/users/import/confirm")
def user_import_confirm() -> Any:
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    found = stash.get(STASH_KIND, form.token.data or "", current_user.id, remove=True)
    if found is None:
        flash("这次导入已经完成或已过期，请重新上传花名册", "error")
        return redirect(url_for("admin.user_import"))
    data, meta = found
    filename = str(meta.get("filename") or "")
    # Parsed and checked again: someone may have taken a phone number or login since the preview.
    report = roster.parse_roster(filename, data)
    if not report.ok:
        db.session.rollback()
        return render_template(
            "admin/user_import_preview.html",
            report=report,
            rows=[],
            confirm=None,
            filename=filename,
        )
    roster.apply_roster(report, acting_user_id=current_user.id)
    audit.record(
        current_user,
        "roster.import",
        f"导入花名册“{filename}”：新增 {report.created} 人，更新 {report.updated} 人",
        object_type="roster",
        address=request.remote_addr or "",
    )
    # All or nothing: the password sheet is written and kept before the accounts are committed,
    # so no account exists whose initial password nobody can hand out.
    token = None
    if report.credentials:
        token = stash.put(
            "credentials", roster.credentials_xlsx(report.credentials), current_user.id
        )
    try:
        db.session.commit()
    except Exception:
        if token is not None:
            stash.get("credentials", token, current_user.id, remove=True)
        raise
    return render_template("admin/user_import_done.html", report=report, token=token)


@bp.get("/users/import/credentials/<token>")
def user_import_credentials(token: str) -> Any:
    """A password sheet (roster import or bulk reset), handed out once: deleted as it is sent."""
    found = stash.get("credentials", token, current_user.id, remove=True)
    if found is None:
        flash("该密码表已下载过或已失效；如需新密码，请在人员页面重置", "error")
        return redirect(url_for("admin.users"))
    data, _meta = found
    audit.record(
        current_user,
        "export.personal",
        "下载初始密码表",
        object_type="roster",
        address=request.remote_addr or "",
    )
    db.session.commit()
    return xlsx_download(data, "初始密码表.xlsx", "initial-passwords.xlsx")


@bp.get("/users/import/template.xlsx")
def user_import_template() -> Any:
    data = workbook_bytes(
        [
            (
                "花名册",
                ["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"],
                [
                    ("张三", "1001", "13800000001", "局机关/办公室", "员工", "党员", ""),
                    ("李四", "1002", "", "局机关/人事处", "组织者", "党员、中层干部", ""),
                ],
            )
        ]
    )
    return xlsx_download(data, "花名册模板.xlsx", "roster-template.xlsx")
