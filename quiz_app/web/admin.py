"""Admin pages: the branch tree, accounts, and roster import."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.services import access, audit, branches, roster, sessions
from quiz_app.services.accounts import describe_roles, generate_password, set_password, set_roles
from quiz_app.services.xlsx_out import workbook_bytes
from quiz_app.web import role_required, stash, xlsx_download
from quiz_app.web.forms import (
    BranchForm,
    ConfirmForm,
    MoveBranchForm,
    UploadForm,
    UserForm,
    split_groups,
)
from quiz_app.web.validation import id_arg, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.before_request
@role_required(access.is_admin)
def _admins_only() -> None:
    return None


def _branch_options(
    include_none: str | None = None, active_only: bool = True, exclude_under: Branch | None = None
) -> list[tuple[int, str]]:
    """(id, indented name) in tree order; 0 stands for "none" when ``include_none`` labels it."""
    options: list[tuple[int, str]] = [(0, include_none)] if include_none else []
    for b in branches.tree():
        if (active_only and not b.active) or (
            exclude_under is not None and b.path.startswith(exclude_under.path)
        ):
            continue
        options.append((b.id, "\u3000" * b.depth + b.name))
    return options


def _branch_choices(
    include_none: str | None = None, exclude_under: Branch | None = None
) -> list[SelectChoice]:
    return [
        SelectChoice(value, label)  # type: ignore[arg-type]
        for value, label in _branch_options(include_none, exclude_under=exclude_under)
    ]


@bp.get("/")
def index() -> Any:
    return redirect(url_for("admin.users"))


# --- branch tree -------------------------------------------------------------------------------


@bp.route("/branches", methods=["GET", "POST"])
def branch_list() -> Any:
    form = BranchForm()
    form.parent_id.choices = _branch_choices("（无，作为最上级）")
    if form.validate_on_submit():
        parent = db.session.get(Branch, form.parent_id.data) if form.parent_id.data else None
        try:
            branch = branches.create_branch(form.name.data or "", form.code.data or "", parent)
        except branches.BranchError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"已新增部门“{branch.name}”", "success")
            return redirect(url_for("admin.branch_list"))
    counts = dict(
        db.session.execute(
            sa.select(User.branch_id, sa.func.count()).where(User.active).group_by(User.branch_id)
        ).all()
    )
    return render_template(
        "admin/branches.html", tree=branches.tree(), form=form, counts=counts, confirm=ConfirmForm()
    )


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
def branch_edit(branch_id: int) -> Any:
    branch = db.get_or_404(Branch, branch_id)
    form = BranchForm(obj=branch, parent_id=branch.parent_id or 0)
    form.parent_id.choices = _branch_choices("（无，作为最上级）")
    move = MoveBranchForm(parent_id=branch.parent_id or 0)
    move.parent_id.choices = _branch_choices("（无，作为最上级）", exclude_under=branch)
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "rename" and form.validate_on_submit():
                branches.rename_branch(branch, form.name.data or "", form.code.data or "")
                branch.kind = (form.kind.data or "").strip() or None
                msg = "已保存"
            elif action == "move" and move.validate_on_submit():
                target = (
                    db.session.get(Branch, move.parent_id.data) if move.parent_id.data else None
                )
                branches.move_branch(branch, target)
                msg = f"已移到“{target.name if target else '最上级'}”之下"
            elif action == "retire" and ConfirmForm().validate_on_submit():
                branches.retire_branch(branch)
                msg = f"已撤销“{branch.name}”"
            else:
                msg = ""
        except branches.BranchError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            if msg:
                db.session.commit()
                flash(msg, "success")
                return redirect(url_for("admin.branch_edit", branch_id=branch.id))
    return render_template(
        "admin/branch_edit.html",
        branch=branch,
        form=form,
        move=move,
        confirm=ConfirmForm(),
        full_name=branches.full_name(branch),
    )


# --- accounts ----------------------------------------------------------------------------------


@bp.get("/users")
def users() -> Any:
    q = request.args.get("q", "").strip()
    branch_id = id_arg("branch") or 0
    page = page_arg()
    stmt = sa.select(User).order_by(User.active.desc(), User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(User.username.ilike(like), User.real_name.ilike(like), User.phone.ilike(like))
        )
    if branch_id:
        branch = db.get_or_404(Branch, branch_id)
        stmt = stmt.where(User.branch_id.in_(branches.subtree_ids(branch)))
    pagination = db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "admin/users.html",
        pagination=pagination,
        q=q,
        branch_id=branch_id,
        branch_choices=_branch_options("全部部门", active_only=False),
        full_name=branches.full_name,
    )


def _user_form(user: User | None) -> UserForm:
    if user is None:
        form = UserForm()
    else:
        leader = next((g for g in user.grants if g.role == Role.LEADER), None)
        organizer = next((g for g in user.grants if g.role == Role.ORGANIZER), None)
        secretary = next((g for g in user.grants if g.role == Role.SECRETARY), None)
        form = UserForm(
            obj=user,
            roles=[g.role for g in user.grants],
            leader_scope=(leader.scope_branch_id or 0) if leader else user.branch_id,
            organizer_scope=(organizer.scope_branch_id or 0) if organizer else 0,
            secretary_scope=(secretary.scope_branch_id or 0) if secretary else user.branch_id,
            groups="、".join(g.name for g in user.groups),
        )
    form.branch_id.choices = _branch_choices()
    form.leader_scope.choices = _branch_choices("全局（全部部门）")
    form.organizer_scope.choices = _branch_choices("全局（全部部门）")
    form.secretary_scope.choices = _branch_choices()
    return form


def _save_user(form: UserForm, user: User | None, new_password: str = "") -> User | None:
    """Apply the form; returns None (with field errors set) when the data clashes.

    A new person gets ``new_password`` as an initial password they must change.
    """
    username = (form.username.data or "").strip()
    phone = (form.phone.data or "").strip() or None
    clash = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.lower())
    )
    if clash is not None and clash is not user:
        form.username.errors = [*form.username.errors, f"登录名“{username}”已被使用"]
        return None
    if phone:
        clash = db.session.scalar(sa.select(User).where(User.phone == phone))
        if clash is not None and clash is not user:
            form.phone.errors = [*form.phone.errors, f"手机号已被“{clash.real_name}”使用"]
            return None
    branch = db.session.get(Branch, form.branch_id.data)
    if branch is None or not branch.active:
        form.branch_id.errors = [*form.branch_id.errors, "请选择在用的部门"]
        return None
    roles = {Role(r) for r in form.roles.data or []}
    if form.organizer_scope.data and db.session.get(Branch, form.organizer_scope.data) is None:
        form.organizer_scope.errors = [*form.organizer_scope.errors, "请选择一个部门或“全局”"]
        return None
    if user is not None and user.id == current_user.id and Role.ADMIN not in roles:
        form.roles.errors = [*form.roles.errors, "不能取消自己的管理员角色"]
        return None
    if user is not None and user.id == current_user.id and not form.active.data:
        form.active.errors = [*form.active.errors, "不能停用自己的账号"]
        return None
    before = (describe_roles(user), user.active) if user is not None else None
    if user is None:
        user = User(username=username, real_name="", branch=branch)
        set_password(user, new_password, must_change=True)
        db.session.add(user)
    user.username, user.real_name, user.phone = username, (form.real_name.data or "").strip(), phone
    user.branch, user.active = branch, bool(form.active.data)
    names = split_groups(form.groups.data)
    existing = {
        g.name: g for g in db.session.scalars(sa.select(Group).where(Group.name.in_(names)))
    }
    user.groups = [existing.get(n) or Group(name=n) for n in dict.fromkeys(names)]
    secretary_scope = form.secretary_scope.data or None
    if Role.SECRETARY in roles and (
        secretary_scope is None or db.session.get(Branch, secretary_scope) is None
    ):
        form.secretary_scope.errors = [*form.secretary_scope.errors, "请选择支部书记负责的组织"]
        return None
    set_roles(
        user,
        roles,
        form.leader_scope.data or None,
        organizer_scope_branch_id=form.organizer_scope.data or None,
        secretary_scope_branch_id=secretary_scope,
    )
    db.session.flush()
    db.session.refresh(user, ["grants"])
    after = describe_roles(user)
    if before is None:
        audit.record(
            current_user,
            "account.create",
            f"新建账号 {user.real_name}（{username}），角色：{after}",
            object_type="account",
            object_id=user.id,
        )
    else:
        if before[0] != after:
            audit.record(
                current_user,
                "account.roles",
                f"{user.real_name}的角色：{before[0]} → {after}",
                object_type="account",
                object_id=user.id,
                details={"before": before[0], "after": after},
            )
        if before[1] != user.active:
            audit.record(
                current_user,
                "account.active",
                f"{'启用' if user.active else '停用'}了 {user.real_name}的账号",
                object_type="account",
                object_id=user.id,
            )
            if not user.active:
                sessions.revoke_all(user, "deactivated")
    return user


def _show_password(user: User, password: str, title: str) -> Any:
    return render_template("admin/password_once.html", user=user, password=password, title=title)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Any:
    form = _user_form(None)
    password = generate_password()
    if form.validate_on_submit() and (user := _save_user(form, None, password)) is not None:
        db.session.commit()
        return _show_password(user, password, "账号已创建")
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        if _save_user(form, user) is not None:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        db.session.rollback()
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm())


@bp.post("/users/<int:user_id>/reset-password")
def user_reset_password(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = generate_password()
    set_password(user, password, must_change=True)
    ended = sessions.revoke_all(user, "admin_reset")
    audit.record(
        current_user,
        "password.reset",
        f"重置了 {user.real_name}的密码，结束了其 {ended} 个登录和令牌",
        object_type="account",
        object_id=user.id,
    )
    db.session.commit()
    return _show_password(user, password, "密码已重置")


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("不能停用自己的账号", "error")
    else:
        user.active = False
        db.session.commit()
        flash(f"已停用“{user.real_name}”的账号；历史成绩保留", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- roster import -----------------------------------------------------------------------------


@bp.route("/users/import", methods=["GET", "POST"])
def user_import() -> Any:
    form = UploadForm()
    report = None
    token = None
    dry_run = bool(request.form.get("dry_run"))
    if form.validate_on_submit():
        upload = form.file.data
        report = roster.parse_roster(upload.filename or "", upload.read())
        if report.ok and not dry_run:
            roster.apply_roster(report, acting_user_id=current_user.id)
            audit.record(
                current_user,
                "roster.import",
                f"导入花名册“{upload.filename}”：新增 {report.created} 人，更新 {report.updated} 人",
                object_type="roster",
                address=request.remote_addr or "",
            )
            # All or nothing: the password sheet is written and kept before the accounts are
            # committed, so no account exists whose initial password nobody can hand out.
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
        else:
            db.session.rollback()
    return render_template(
        "admin/user_import.html",
        form=form,
        report=report,
        token=token,
        dry_run=dry_run,
        columns=roster.COLUMNS,
    )


@bp.get("/users/import/credentials/<token>")
def user_import_credentials(token: str) -> Any:
    """The initial-password sheet, handed out once: the file is deleted as it is sent."""
    found = stash.get("credentials", token, current_user.id, remove=True)
    if found is None:
        flash("该初始密码表已下载过或已失效；如需新密码，请在人员页面重置", "error")
        return redirect(url_for("admin.user_import"))
    data, _meta = found
    audit.record(
        current_user,
        "export.personal",
        "下载导入花名册生成的初始密码表",
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


# --- audit log ---------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log() -> Any:
    from quiz_app.web import audit_pages

    return audit_pages.render_entries(audit_pages.filter_from_args(), filters=True)


@bp.get("/audit.xlsx")
def audit_export() -> Any:
    from quiz_app.web import audit_pages

    f = audit_pages.filter_from_args()
    audit.record(
        current_user,
        "export.personal",
        "导出操作记录",
        object_type="audit",
        address=request.remote_addr or "",
    )
    db.session.commit()
    return audit_pages.export(f)
