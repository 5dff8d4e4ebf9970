"""default meeting types

The eight standard meeting types (支部党员大会, 支委会 …) are data a fresh install needs; until
now the first visit to 会议 created them (a GET that wrote). They are inserted here, and only
those whose code is not there yet (an install that already had its first visit keeps its rows,
including an admin's edits). The list is services.meetings.rules.DEFAULT_TYPES frozen as of this
revision.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_RULES_2018 = "《中国共产党支部工作条例（试行）》（2018年）"
# (code, name, period, count, kinds it applies to by default, source)
DEFAULT_TYPES = (
    (
        "party_congress",
        "支部党员大会",
        "quarter",
        1,
        "党支部",
        f"{_RULES_2018}第十一条：一般每季度召开1次",
    ),
    (
        "committee",
        "支部委员会会议",
        "month",
        1,
        "党支部",
        f"{_RULES_2018}第十二条：一般每月召开1次",
    ),
    ("group", "党小组会", "month", 1, "党小组", f"{_RULES_2018}第十三条：一般每月召开1次"),
    (
        "lecture",
        "党课",
        "quarter",
        1,
        "党支部",
        "本平台的默认设置，不是全国统一规定（各地每季度或每半年不等，请按本单位要求修改）；"
        f"{_RULES_2018}第十六条要求党员按期参加党课",
    ),
    ("theme_day", "主题党日", "month", 1, "党支部", f"{_RULES_2018}第十六条：每月相对固定1天开展"),
    (
        "life_meeting",
        "组织生活会",
        "year",
        1,
        "党支部",
        f"{_RULES_2018}第十七条：一般每年召开1次，多在第四季度",
    ),
    (
        "center_group",
        "理论学习中心组学习",
        "month",
        1,
        "局",
        "本平台的默认设置，不是全国统一规定（未找到全国统一的频次要求，请按本单位要求修改）",
    ),
    ("special", "专题宣讲/专题学习", None, 0, "", "本平台默认不作频次要求（按上级部署开展）"),
)

_meeting_type = sa.table(
    'meeting_type',
    sa.column('code', sa.String),
    sa.column('name', sa.String),
    sa.column('sort_order', sa.Integer),
    sa.column('active', sa.Boolean),
    sa.column('default_period', sa.String),
    sa.column('default_count', sa.Integer),
    sa.column('default_kinds', sa.String),
    sa.column('source', sa.String),
)


def upgrade():
    conn = op.get_bind()
    have = set(conn.execute(sa.select(_meeting_type.c.code)).scalars())
    rows = [
        {
            'code': code,
            'name': name,
            'sort_order': order * 10,
            'active': True,
            'default_period': period,
            'default_count': count,
            'default_kinds': kinds,
            'source': source,
        }
        for order, (code, name, period, count, kinds, source) in enumerate(DEFAULT_TYPES)
        if code not in have
    ]
    if rows:
        op.bulk_insert(_meeting_type, rows)


def downgrade():
    # Revision 0011 made the same rows on the first visit, so they stay: removing them would
    # also remove every meeting, rule and exemption that refers to them.
    pass
