"""results record cuda_graphs (part of a configuration) and the method_version that measured them; the worker
table loses `queue` (always its backend; `queues` says what it consumes)

Torch runs with and without CUDA graphs become separate configurations.

Revision ID: 0005
Revises: 0004
"""
import hashlib

import sqlalchemy as sa
import sqlmodel
from alembic import op

from shared.db.migrations.rekey import rekey

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BEFORE = ("model", "pretrained_tag", "backend", "engine", "hardware", "precision_used", "batch_size", "input_size",
          "streams")
CONFIG_COLUMNS = BEFORE + ("cuda_graphs",)


def _recipe(columns):
    # The key recipe of this revision, frozen here: later changes to shared.jobs.lifecycle.config_key cannot change it.
    def key(row) -> str:
        # SQLite hands booleans back as 0/1: the live recipe writes a Python bool, "True" or "False".
        text = "|".join(str(bool(row[c])) if c == "cuda_graphs" else str(row[c]) for c in columns)
        return hashlib.sha1(text.encode()).hexdigest()[:20]
    return key


def upgrade() -> None:
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cuda_graphs', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('method_version', sa.Integer(), nullable=False, server_default='1'))
    # A stored run used CUDA graphs when its job asked for them.
    op.execute("UPDATE result SET cuda_graphs = (SELECT job.cuda_graphs FROM job WHERE job.id = result.job_id) "
               "WHERE EXISTS (SELECT 1 FROM job WHERE job.id = result.job_id AND job.cuda_graphs)")
    rekey(op.get_bind(), CONFIG_COLUMNS, _recipe(CONFIG_COLUMNS))
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_column('queue')


def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='cpu'))
    op.execute("UPDATE worker SET queue = backend")
    rekey(op.get_bind(), BEFORE, _recipe(BEFORE))
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_column('method_version')
        batch_op.drop_column('cuda_graphs')
