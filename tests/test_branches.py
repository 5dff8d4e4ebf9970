"""The branch tree: add, rename, move, retire, and finding branches as people write them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch
from quiz_app.services import branches
from tests.factories import make_branch, make_user, root_branch


@pytest.fixture()
def tree(ctx: None) -> dict[str, Branch]:
    root = root_branch()
    jg = make_branch("局机关", "JG", root)
    bgs = make_branch("办公室", "BGS", jg)
    group = make_branch("文秘组", "WMZ", bgs)
    xx = make_branch("信息中心", "XXZX", root)
    return {"root": root, "jg": jg, "bgs": bgs, "group": group, "xx": xx}


def test_paths_follow_the_tree(tree: dict[str, Branch]) -> None:
    assert (
        tree["group"].path
        == f"/{tree['root'].id}/{tree['jg'].id}/{tree['bgs'].id}/{tree['group'].id}/"
    )
    assert branches.full_name(tree["group"]) == "测试局/局机关/办公室/文秘组"
    ids = set(db.session.scalars(branches.subtree_ids(tree["jg"])))
    assert ids == {tree["jg"].id, tree["bgs"].id, tree["group"].id}


def test_move_takes_the_subtree_along(tree: dict[str, Branch]) -> None:
    branches.move_branch(tree["bgs"], tree["xx"])
    db.session.flush()
    assert tree["group"].path.startswith(tree["xx"].path)
    assert branches.full_name(tree["group"]) == "测试局/信息中心/办公室/文秘组"
    ids = set(db.session.scalars(branches.subtree_ids(tree["jg"])))
    assert ids == {tree["jg"].id}


def test_cannot_move_a_branch_under_its_own_descendant(tree: dict[str, Branch]) -> None:
    with pytest.raises(branches.BranchError, match="下级部门之下"):
        branches.move_branch(tree["jg"], tree["group"])


def test_codes_are_unique(tree: dict[str, Branch]) -> None:
    with pytest.raises(branches.BranchError, match="已被使用"):
        branches.create_branch("另一个办公室", "BGS", tree["root"])
    with pytest.raises(branches.BranchError, match="已被使用"):
        branches.rename_branch(tree["xx"], "信息中心", "JG")


def test_retire_needs_an_empty_branch(tree: dict[str, Branch]) -> None:
    with pytest.raises(branches.BranchError, match="下级部门"):
        branches.retire_branch(tree["bgs"])
    make_user(branch=tree["group"])
    with pytest.raises(branches.BranchError, match="1 名在用人员"):
        branches.retire_branch(tree["group"])
    branches.retire_branch(tree["xx"])
    assert tree["xx"].active is False
    with pytest.raises(branches.BranchError, match="已撤销"):
        branches.create_branch("下属", "XS", tree["xx"])


def test_lookup_by_code_or_path(tree: dict[str, Branch]) -> None:
    lookup = branches.BranchLookup()
    assert lookup.find("bgs") is tree["bgs"]
    assert lookup.find("局机关/办公室") is tree["bgs"]
    assert lookup.find("测试局/局机关/办公室") is tree["bgs"]
    assert lookup.find(" 局机关 / 办公室 ") is tree["bgs"]
    assert lookup.find("局机关／办公室") is tree["bgs"]
    assert lookup.find("局机关/宣传科") is None
    branches.retire_branch(tree["xx"])
    assert branches.BranchLookup().find("信息中心") is None


def test_tree_lists_depth_first(tree: dict[str, Branch]) -> None:
    names = [b.name for b in branches.tree()]
    assert names == ["测试局", "局机关", "办公室", "文秘组", "信息中心"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Branch)) == 5
