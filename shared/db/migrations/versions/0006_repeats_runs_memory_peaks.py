"""jobs and suites take repeats; each repeat's figures go to a run table; results add intervals, spread, the
stability gate's time, memory, achieved GFLOP/s and the share of the worker's measured peak; workers announce
their peaks

Every stored result becomes a result of one run: its figures are copied into a run row that points to it.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

def _result_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column('throughput_ci95', sa.JSON(), nullable=True),
        sa.Column('throughput_cv', sa.Float(), nullable=True),
        sa.Column('latency_ci95', sa.JSON(), nullable=True),
        sa.Column('latency_cv', sa.JSON(), nullable=True),
        sa.Column('repeats', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('stable_after_s', sa.Float(), nullable=True),
        sa.Column('achieved_gflops', sa.Float(), nullable=True),
        sa.Column('peak_share', sa.Float(), nullable=True),
        sa.Column('peak_rss_mb', sa.Float(), nullable=True),
        sa.Column('device_memory_mb', sa.Float(), nullable=True),
        sa.Column('artifact_mb', sa.Float(), nullable=True),
    )
RUN_COPIED = ("throughput", "latency_ms", "stable", "windows", "iterations", "duration_s", "prepare_s", "cache_hit")


def upgrade() -> None:
    for table in ('job', 'suite'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('repeats', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('result', schema=None) as batch_op:
        for column in _result_columns():
            batch_op.add_column(column)
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peak_gflops', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('peak_method', sa.String(), nullable=True))
    op.create_table(
        'run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(), nullable=False),
        sa.Column('result_id', sa.Integer(), nullable=True),
        sa.Column('repeat', sa.Integer(), nullable=False),
        sa.Column('throughput', sa.Float(), nullable=False),
        sa.Column('latency_ms', sa.JSON(), nullable=False),
        sa.Column('stable', sa.Boolean(), nullable=False),
        sa.Column('stable_after_s', sa.Float(), nullable=True),
        sa.Column('windows', sa.JSON(), nullable=False),
        sa.Column('window_s', sa.Float(), nullable=True),
        sa.Column('iterations', sa.Integer(), nullable=False),
        sa.Column('duration_s', sa.Float(), nullable=False),
        sa.Column('prepare_s', sa.Float(), nullable=False),
        sa.Column('cache_hit', sa.Boolean(), nullable=False),
        sa.Column('peak_rss_mb', sa.Float(), nullable=True),
        sa.Column('device_memory_mb', sa.Float(), nullable=True),
        sa.Column('artifact_mb', sa.Float(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_run_job_id', 'run', ['job_id'])
    op.create_index('ix_run_result_id', 'run', ['result_id'])
    copied = ", ".join(RUN_COPIED)
    op.execute(f"INSERT INTO run (job_id, result_id, repeat, created_at, {copied}) "
               f"SELECT job_id, id, 1, created_at, {copied} FROM result")


def downgrade() -> None:
    op.drop_index('ix_run_result_id', table_name='run')
    op.drop_index('ix_run_job_id', table_name='run')
    op.drop_table('run')
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_column('peak_method')
        batch_op.drop_column('peak_gflops')
    with op.batch_alter_table('result', schema=None) as batch_op:
        for column in reversed(_result_columns()):
            batch_op.drop_column(column.name)
    for table in ('suite', 'job'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('repeats')
