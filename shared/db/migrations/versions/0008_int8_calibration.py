"""int8 jobs and results record what their activation ranges were calibrated on

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable and empty for every stored row: only int8 jobs set it, and config keys append it only when set,
    # so no stored result needs rekeying.
    for table in ('job', 'result'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('calibration', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    for table in ('result', 'job'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('calibration')
