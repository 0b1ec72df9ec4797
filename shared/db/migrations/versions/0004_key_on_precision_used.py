"""a result's configuration follows the precision that ran (precision_used), not the one asked

An `auto` run that computed bf16 and an explicit `bf16` run become runs of one configuration.

Revision ID: 0004
Revises: 0003
"""
import hashlib

from alembic import op

from shared.db.migrations.rekey import rekey

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

CONFIG_COLUMNS = ("model", "pretrained_tag", "backend", "engine", "hardware", "precision_used", "batch_size",
                  "input_size", "streams")
BEFORE = ("model", "pretrained_tag", "backend", "engine", "hardware", "precision", "batch_size", "input_size", "streams")


def _recipe(columns):
    # The key recipe of this revision, frozen here: later changes to shared.jobs.lifecycle.config_key cannot change it.
    def key(row) -> str:
        return hashlib.sha1("|".join(str(row[c]) for c in columns).encode()).hexdigest()[:20]
    return key


def upgrade() -> None:
    rekey(op.get_bind(), CONFIG_COLUMNS, _recipe(CONFIG_COLUMNS))


def downgrade() -> None:
    rekey(op.get_bind(), BEFORE, _recipe(BEFORE))
