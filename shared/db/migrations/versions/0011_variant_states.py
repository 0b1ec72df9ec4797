"""a variant's state (pending until a CPU worker counts its parameters, then ready or refused) and the reason

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Variants stored before were counted when they were registered (and corrections need no count): ready.
    with op.batch_alter_table('catalog_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='ready'))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    # An older API would run jobs of a variant nobody counted: those not ready go with the column.
    op.execute("DELETE FROM catalog_entry WHERE state <> 'ready'")
    with op.batch_alter_table('catalog_entry', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('state')
