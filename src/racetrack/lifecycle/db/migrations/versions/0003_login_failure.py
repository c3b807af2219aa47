"""Failed logins in the database, so every Lifecycle replica enforces the same login limits.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    op.create_index(op.f('ix_login_failure_failed_at'), 'login_failure', ['failed_at'], unique=False)
    op.create_index('ix_login_failure_kind_key_failed_at', 'login_failure', ['kind', 'key', 'failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failure_kind_key_failed_at', table_name='login_failure')
    op.drop_index(op.f('ix_login_failure_failed_at'), table_name='login_failure')
    op.drop_table('login_failure')
