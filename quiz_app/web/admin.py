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
from quiz_app.models.org import ROLE_LABELS
from quiz_app.services import access, audit, branches, people, roster
from quiz_app.services.accounts import describe_roles, generate_password, set_password, set_roles
from quiz_app.services.textcheck import parse_id
from quiz_app.web import role_required, stash
from quiz_app.web.forms import (
    BranchForm,
    ConfirmForm,
    MoveBranchForm,
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
    # A new branch goes under the one chosen in the tree (?parent=ID) unless the admin changes it.
    selected = id_arg("parent")
    form = BranchForm(parent_id=selected or 0)
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
            return redirect(url_for("admin.branch_list", parent=parent.id if parent else None))
    tree = branches.tree()
    return render_template(
        "admin/branches.html",
        tree=tree,
        form=form,
        counts=people.head_counts(tree),
        selected=selected,
        confirm=ConfirmForm(),
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


def _people_filter() -> people.PeopleFilter:
    branch_id = id_arg("branch")
    role = request.args.get("role", "")
    status = request.args.get("status", "active")
    return people.PeopleFilter(
        q=request.args.get("q", "").strip()[:50],
        branch=db.get_or_404(Branch, branch_id) if branch_id else None,
        role=role if role in people.ROLE_FILTERS else "",
        status=status if status in people.STATUS_FILTERS else "active",
    )


@bp.get("/users")
def users() -> Any:
    f = _people_filter()
    pagination = db.paginate(
        people.people_query(f), page=page_arg(), per_page=PAGE_SIZE, error_out=False
    )
    args = {"q": f.q, "branch": f.branch.id if f.branch else "", "role": f.role, "status": f.status}
    return render_template(
        "admin/users.html",
        pagination=pagination,
        f=f,
        args=args,
        branch_choices=_branch_options("全部部门", active_only=False),
        role_filters=people.ROLE_FILTERS,
        status_filters=people.STATUS_FILTERS,
        role_labels=ROLE_LABELS,
        full_name=branches.full_name,
        bulk=ConfirmForm(),
    )


@bp.post("/users/bulk")
def users_bulk() -> Any:
    """停用 / 启用 / 重置密码 for the ticked people, each through the one-person path."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    ids = sorted({i for raw in request.form.getlist("user_ids") if (i := parse_id(raw))})
    back = request.form.get("back", "")
    back = back if back.startswith("/admin/users") else url_for("admin.users")
    if action not in ("deactivate", "activate", "reset") or not ids:
        flash("请先勾选人员，再选择操作", "error")
        return redirect(back)
    chosen = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)))
    skipped_self = any(u.id == current_user.id for u in chosen) and action != "activate"
    chosen = [u for u in chosen if u.id != current_user.id or action == "activate"]
    if action == "reset":
        sheet = [
            roster.Credential(
                u.real_name,
                u.username,
                branches.full_name(u.branch),
                people.reset_password(current_user, u),
            )
            for u in chosen
        ]
        token = (
            stash.put("credentials", roster.credentials_xlsx(sheet), current_user.id)
            if sheet
            else None
        )
        db.session.commit()
        return render_template(
            "admin/bulk_reset.html", people=chosen, token=token, skipped_self=skipped_self
        )
    for u in chosen:
        if action == "deactivate":
            people.deactivate(current_user, u)
        else:
            people.reactivate(current_user, u)
    db.session.commit()
    word = "停用" if action == "deactivate" else "启用"
    flash(
        f"已{word} {len(chosen)} 人" + ("（不能停用自己的账号，已跳过）" if skipped_self else ""),
        "success",
    )
    return redirect(back)


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
            # A role being added starts at 请选择: its scope is never a silent default.
            leader_scope=(leader.scope_branch_id or 0) if leader else None,
            organizer_scope=(organizer.scope_branch_id or 0) if organizer else 0,
            secretary_scope=secretary.scope_branch_id if secretary else None,
            groups="、".join(g.name for g in user.groups),
        )
    choose = SelectChoice("", "请选择")  # type: ignore[arg-type]
    form.branch_id.choices = _branch_choices()
    form.leader_scope.choices = [choose, *_branch_choices("全局（全部部门）")]
    form.organizer_scope.choices = _branch_choices("全局（全部部门）")
    form.secretary_scope.choices = [choose, *_branch_choices()]
    return form


def _scope_problem(form: UserForm, roles: set[Role]) -> bool:
    """Sets a field message when a leader's or secretary's scope was not chosen; True if so."""
    leader_scope, secretary_scope = form.leader_scope.data, form.secretary_scope.data
    if Role.LEADER in roles and (
        leader_scope is None or (leader_scope and db.session.get(Branch, leader_scope) is None)
    ):
        form.leader_scope.errors = [
            *form.leader_scope.errors,
            "请选择领导可查看的范围（一个部门，或明确选择“全局”）",
        ]
        return True
    if Role.SECRETARY in roles and (
        not secretary_scope or db.session.get(Branch, secretary_scope) is None
    ):
        form.secretary_scope.errors = [*form.secretary_scope.errors, "请选择支部书记负责的组织"]
        return True
    return False


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
    if _scope_problem(form, roles):
        return None
    if user is not None and user.id == current_user.id and Role.ADMIN not in roles:
        form.roles.errors = [*form.roles.errors, "不能取消自己的管理员角色"]
        return None
    if user is not None and user.id == current_user.id and not form.active.data:
        form.active.errors = [*form.active.errors, "不能停用自己的账号"]
        return None
    before = (describe_roles(user), user.active) if user is not None else None
    if user is None:
        user = User(username=username, real_name="", branch=branch, active=bool(form.active.data))
        set_password(user, new_password, must_change=True)
        db.session.add(user)
    user.username, user.real_name, user.phone = username, (form.real_name.data or "").strip(), phone
    user.branch = branch
    names = split_groups(form.groups.data)
    existing = {
        g.name: g for g in db.session.scalars(sa.select(Group).where(Group.name.in_(names)))
    }
    user.groups = [existing.get(n) or Group(name=n) for n in dict.fromkeys(names)]
    set_roles(
        user,
        roles,
        form.leader_scope.data or None,
        organizer_scope_branch_id=form.organizer_scope.data or None,
        secretary_scope_branch_id=form.secretary_scope.data or None,
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
        if before[1] and not form.active.data:
            people.deactivate(current_user, user)
        elif not before[1] and form.active.data:
            people.reactivate(current_user, user)
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
    password = people.reset_password(current_user, user)
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
        people.deactivate(current_user, user)
        db.session.commit()
        flash(f"已停用“{user.real_name}”的账号；历史成绩保留", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


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


# The roster import's views live beside this module and register on the same blueprint.
from quiz_app.web import admin_roster  # noqa: E402, F401
