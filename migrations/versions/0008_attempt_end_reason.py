"""attempt end reason

Keeps why an attempt became final (handed in, its time limit, an early close of the campaign, the
campaign's closing time), so the quiz page and the result say it truthfully. Attempts handed in
before this revision are marked 'submitted'; timed-out ones stay unknown (NULL), as nothing
recorded tells a time-out from a close.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "end_reason",
                sa.String(length=16),
                nullable=True,
                comment="结束原因：submitted/time_up/closed_early/campaign_closed；"
                "交卷时写定（提前结束活动时预先记为 closed_early）",
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_attempt_end_reason_known"),
            "end_reason IS NULL OR end_reason IN "
            "('submitted', 'time_up', 'closed_early', 'campaign_closed')",
        )
    op.execute("UPDATE attempt SET end_reason = 'submitted' WHERE status = 'submitted'")


def downgrade():
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attempt_end_reason_known"), type_="check")
        batch_op.drop_column("end_reason")
