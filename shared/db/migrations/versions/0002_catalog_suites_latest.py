"""accuracy catalog entries, suites, and the latest run of each result configuration

Revision ID: 0002
Revises: 0001
"""
import hashlib

import sqlalchemy as sa
import sqlmodel
from alembic import op

from shared.db.migrations.rekey import rekey

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CONFIG_COLUMNS = ("model", "pretrained_tag", "backend", "engine", "hardware", "precision", "batch_size", "input_size", "streams")


def _key(row) -> str:
    # The key recipe of this revision, frozen here so this migration never changes meaning.
    text = "|".join(str(row[c]) for c in CONFIG_COLUMNS)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def upgrade() -> None:
    op.create_table('catalog_entry',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('base', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('kwargs', sa.JSON(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('family', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('top1', sa.Float(), nullable=True),
    sa.Column('top5', sa.Float(), nullable=True),
    sa.Column('img_size', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('params_m', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('suite',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_suite_created_at'), 'suite', ['created_at'], unique=False)
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_model', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('model_kwargs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('suite_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_suite_id'), ['suite_id'], unique=False)
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('latest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('runs', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('suite_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    # Existing results: key each one, number the runs of a configuration, mark its newest as latest.
    rekey(op.get_bind(), CONFIG_COLUMNS, _key)

    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.alter_column('config_key', nullable=False)
        batch_op.create_index(batch_op.f('ix_result_config_key'), ['config_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_suite_id'), ['suite_id'], unique=False)
        batch_op.create_index('ix_result_latest_backend', ['latest', 'backend'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index('ix_result_latest_backend')
        batch_op.drop_index(batch_op.f('ix_result_suite_id'))
        batch_op.drop_index(batch_op.f('ix_result_config_key'))
        batch_op.drop_column('suite_id')
        batch_op.drop_column('runs')
        batch_op.drop_column('latest')
        batch_op.drop_column('config_key')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_suite_id'))
        batch_op.drop_column('suite_id')
        batch_op.drop_column('model_kwargs')
        batch_op.drop_column('base_model')
    op.drop_index(op.f('ix_suite_created_at'), table_name='suite')
    op.drop_table('suite')
    op.drop_table('catalog_entry')
