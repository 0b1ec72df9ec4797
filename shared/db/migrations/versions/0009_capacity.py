"""the largest machine each backend's workers have announced, kept after they stop (the memory guard's reference)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'capacity',
        sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('memory_gb', sa.Float(), nullable=False),
        sa.Column('physical_cores', sa.Integer(), nullable=True),
        sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('announced_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('backend'),
    )


def downgrade() -> None:
    op.drop_table('capacity')
