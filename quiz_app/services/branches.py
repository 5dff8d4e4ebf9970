"""The branch tree: adding, renaming, moving and retiring branches, and finding them by path or code."""

from __future__ import annotations

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, User


class BranchError(ValueError):
    """A change to the tree that is not allowed; the message is shown to the admin."""


def _set_path(branch: Branch) -> None:
    parent_path = branch.parent.path if branch.parent is not None else "/"
    branch.path = f"{parent_path}{branch.id}/"


def create_branch(name: str, code: str, parent: Branch | None, sort_order: int = 0) -> Branch:
    """Add a branch under ``parent`` (None for a root such as the 局 itself)."""
    name, code = name.strip(), code.strip()
    if not name or not code:
        raise BranchError("部门名称和编码都不能为空")
    if db.session.scalar(sa.select(Branch.id).where(Branch.code == code)) is not None:
        raise BranchError(f"部门编码“{code}”已被使用")
    if parent is not None and not parent.active:
        raise BranchError(f"上级部门“{parent.name}”已撤销，不能在其下新增部门")
    branch = Branch(name=name, code=code, parent=parent, sort_order=sort_order, path="/")
    db.session.add(branch)
    db.session.flush()  # the id is part of the path
    _set_path(branch)
    return branch


def rename_branch(branch: Branch, name: str, code: str | None = None) -> None:
    """Change a branch's name (and code); history keeps pointing at the same branch."""
    name = name.strip()
    if not name:
        raise BranchError("部门名称不能为空")
    branch.name = name
    if code is not None and code.strip() != branch.code:
        code = code.strip()
        if not code:
            raise BranchError("部门编码不能为空")
        if db.session.scalar(sa.select(Branch.id).where(Branch.code == code)) is not None:
            raise BranchError(f"部门编码“{code}”已被使用")
        branch.code = code


def move_branch(branch: Branch, new_parent: Branch | None) -> None:
    """Re-hang a branch and its whole subtree under ``new_parent``."""
    if new_parent is not None and new_parent.path.startswith(branch.path):
        raise BranchError(f"不能把“{branch.name}”移到它自己或它的下级部门之下")
    if new_parent is not None and not new_parent.active:
        raise BranchError(f"目标部门“{new_parent.name}”已撤销")
    old_prefix = branch.path
    branch.parent = new_parent
    _set_path(branch)
    new_prefix = branch.path
    for child in db.session.scalars(
        sa.select(Branch).where(Branch.path.startswith(old_prefix), Branch.id != branch.id)
    ):
        child.path = new_prefix + child.path[len(old_prefix) :]


def retire_branch(branch: Branch) -> None:
    """Retire a branch that no longer holds active people or active sub-branches."""
    active_children = db.session.scalar(
        sa.select(sa.func.count()).where(Branch.parent_id == branch.id, Branch.active)
    )
    if active_children:
        raise BranchError(f"“{branch.name}”下还有 {active_children} 个未撤销的下级部门，请先处理")
    people = db.session.scalar(
        sa.select(sa.func.count()).where(User.branch_id == branch.id, User.active)
    )
    if people:
        raise BranchError(f"“{branch.name}”下还有 {people} 名在用人员，请先调整其所属部门")
    branch.active = False


def subtree_ids(branch: Branch) -> sa.Select[tuple[int]]:
    """A SELECT of the ids of ``branch`` and everything below it (for IN clauses)."""
    return sa.select(Branch.id).where(Branch.path.startswith(branch.path))


def full_name(branch: Branch) -> str:
    """The branch's path of names, "局机关/办公室", as people write it in a roster."""
    names: list[str] = []
    node: Branch | None = branch
    while node is not None:
        names.append(node.name)
        node = node.parent
    return "/".join(reversed(names))


def tree() -> list[Branch]:
    """All branches in display order (depth-first), for the admin page and choice lists."""
    return in_tree_order(db.session.scalars(sa.select(Branch)).all())


def in_tree_order(branches: list[Branch]) -> list[Branch]:
    """``branches`` depth-first, siblings by sort order; a branch whose parent is not in the list
    is placed as a root (so a subtree orders the same way as the whole tree)."""
    ids = {b.id for b in branches}
    by_parent: dict[int | None, list[Branch]] = {}
    for b in branches:
        by_parent.setdefault(b.parent_id if b.parent_id in ids else None, []).append(b)
    ordered: list[Branch] = []

    def walk(parent_id: int | None) -> None:
        for b in sorted(by_parent.get(parent_id, []), key=lambda x: (x.sort_order, x.id)):
            ordered.append(b)
            walk(b.id)

    walk(None)
    return ordered


class BranchLookup:
    """Resolves what people type for a branch — a code, a full path, or a path under the root."""

    def __init__(self, branches: list[Branch] | None = None) -> None:
        branches = branches if branches is not None else tree()
        self.by_code = {b.code.casefold(): b for b in branches if b.active}
        self.by_path: dict[str, Branch] = {}
        for b in branches:
            if not b.active:
                continue
            path = full_name(b)
            self.by_path[path] = b
            parts = path.split("/")
            if len(parts) > 1:  # "办公室" alone, or "局机关/办公室" without the root's name
                self.by_path.setdefault("/".join(parts[1:]), b)

    def find(self, text: str) -> Branch | None:
        text = text.strip().strip("/")
        key = "/".join(p.strip() for p in text.replace("／", "/").replace("\\", "/").split("/"))
        return self.by_code.get(key.casefold()) or self.by_path.get(key)
