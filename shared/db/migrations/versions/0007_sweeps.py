"""sweeps are suites of kind `sweep` with their plan and skipped points; workers announce cores and memory

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('suite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='suite'))
        batch_op.add_column(sa.Column('plan', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('skipped', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_index('ix_suite_kind', ['kind'], unique=False)
    with op.batch_alter_table('worker', schema=None) as batch_op:
        # Rows of running workers are rewritten at their next heartbeat (within seconds).
        batch_op.add_column(sa.Column('physical_cores', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('memory_gb', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_column('memory_gb')
        batch_op.drop_column('physical_cores')
    with op.batch_alter_table('suite', schema=None) as batch_op:
        batch_op.drop_index('ix_suite_kind')
        batch_op.drop_column('skipped')
        batch_op.drop_column('plan')
        batch_op.drop_column('kind')
