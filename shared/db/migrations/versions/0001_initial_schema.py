"""initial schema

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job',
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pretrained_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('engine', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('precision', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('streams', sa.Integer(), nullable=True),
    sa.Column('input_size', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('last_failure', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_queue'), ['queue'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_status'), ['status'], unique=False)

    op.create_table('result',
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pretrained_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('engine', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('throughput', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.JSON(), nullable=False),
    sa.Column('stable', sa.Boolean(), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('iterations', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('streams', sa.Integer(), nullable=False),
    sa.Column('precision', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('precision_used', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('input_size', sa.Integer(), nullable=False),
    sa.Column('params_m', sa.Float(), nullable=False),
    sa.Column('gflops', sa.Float(), nullable=False),
    sa.Column('prepare_s', sa.Float(), nullable=False),
    sa.Column('cache_hit', sa.Boolean(), nullable=False),
    sa.Column('hardware', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hardware_detail', sa.JSON(), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id', name='uq_result_job_id')
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index('ix_result_backend_created', ['backend', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_result_engine', ['engine'], unique=False)
        batch_op.create_index('ix_result_hardware', ['hardware'], unique=False)
        batch_op.create_index('ix_result_model', ['model'], unique=False)
        batch_op.create_index('ix_result_precision', ['precision'], unique=False)

    op.create_table('worker',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hardware', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_heartbeat', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_backend'), ['backend'], unique=False)
        batch_op.create_index(batch_op.f('ix_worker_last_heartbeat'), ['last_heartbeat'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_last_heartbeat'))
        batch_op.drop_index(batch_op.f('ix_worker_backend'))

    op.drop_table('worker')
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index('ix_result_precision')
        batch_op.drop_index('ix_result_model')
        batch_op.drop_index('ix_result_hardware')
        batch_op.drop_index('ix_result_engine')
        batch_op.drop_index(batch_op.f('ix_result_created_at'))
        batch_op.drop_index('ix_result_backend_created')

    op.drop_table('result')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_status'))
        batch_op.drop_index(batch_op.f('ix_job_queue'))
        batch_op.drop_index(batch_op.f('ix_job_created_at'))

    op.drop_table('job')
