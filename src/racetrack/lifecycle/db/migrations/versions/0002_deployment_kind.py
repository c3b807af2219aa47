"""Deployment kind (deploy, redeploy, reprovision), so the pipeline knows what to rebuild.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deployment') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), server_default='deploy', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('deployment') as batch:
        batch.drop_column('kind')
