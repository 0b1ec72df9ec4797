"""jobs may target a named worker or a hardware label, and ask for CUDA graphs; workers list their queues

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_worker', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('target_hardware', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('cuda_graphs', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('worker', schema=None) as batch_op:
        # Rows of running workers are rewritten at their next heartbeat (within seconds).
        batch_op.add_column(sa.Column('queues', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_column('queues')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('cuda_graphs')
        batch_op.drop_column('target_hardware')
        batch_op.drop_column('target_worker')
