"""bank pool version

A counter on each bank, raised whenever its questions change (services.paper_pools), so every
app node can key its cache of drawable questions by it and never draw from a stale pool.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bank', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool_version', sa.Integer(), server_default='0', nullable=False, comment='题目每有改动即加一，抽题缓存以此为键'))


def downgrade():
    with op.batch_alter_table('bank', schema=None) as batch_op:
        batch_op.drop_column('pool_version')
