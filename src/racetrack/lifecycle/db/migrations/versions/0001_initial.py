"""Initial schema: jobs, deployments, users, auth subjects and tokens, grants, audit, settings.

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log_event',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('properties', sa.Text(), nullable=True),
    sa.Column('username_executor', sa.String(length=255), nullable=True),
    sa.Column('username_subject', sa.String(length=255), nullable=True),
    sa.Column('job_name', sa.String(length=255), nullable=True),
    sa.Column('job_version', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log_event'))
    )
    op.create_index(op.f('ix_audit_log_event_job_name'), 'audit_log_event', ['job_name'], unique=False)
    op.create_index(op.f('ix_audit_log_event_job_version'), 'audit_log_event', ['job_version'], unique=False)
    op.create_index(op.f('ix_audit_log_event_timestamp'), 'audit_log_event', ['timestamp'], unique=False)
    op.create_index(op.f('ix_audit_log_event_username_executor'), 'audit_log_event', ['username_executor'], unique=False)
    op.create_table('deployment',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('update_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('manifest_yaml', sa.Text(), nullable=False),
    sa.Column('job_name', sa.String(length=255), nullable=False),
    sa.Column('job_version', sa.String(length=255), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('deployed_by', sa.String(length=255), nullable=True),
    sa.Column('phase', sa.String(length=255), nullable=True),
    sa.Column('image_name', sa.Text(), nullable=True),
    sa.Column('infrastructure_target', sa.String(length=255), nullable=True),
    sa.Column('warnings', sa.Text(), nullable=True),
    sa.Column('build_logs', sa.Text(), nullable=True),
    sa.Column('force', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subject_id', sa.String(length=36), nullable=True),
    sa.Column('secrets_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('build_context', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment'))
    )
    op.create_index('ix_deployment_job_name_version', 'deployment', ['job_name', 'job_version'], unique=False)
    op.create_index(op.f('ix_deployment_owner'), 'deployment', ['owner'], unique=False)
    op.create_index(op.f('ix_deployment_status'), 'deployment', ['status'], unique=False)
    op.create_index(op.f('ix_deployment_update_time'), 'deployment', ['update_time'], unique=False)
    op.create_table('esc',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esc'))
    )
    op.create_table('job_family',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_family')),
    sa.UniqueConstraint('name', name=op.f('uq_job_family_name'))
    )
    op.create_table('setting',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_setting'))
    )
    op.create_table('trash_job',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('update_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delete_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('manifest_yaml', sa.Text(), nullable=False),
    sa.Column('internal_name', sa.String(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('image_tag', sa.String(length=255), nullable=True),
    sa.Column('deployed_by', sa.String(length=255), nullable=True),
    sa.Column('last_call_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('infrastructure_target', sa.String(length=255), nullable=True),
    sa.Column('job_type_version', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trash_job'))
    )
    op.create_index('ix_trash_job_name_version', 'trash_job', ['name', 'version'], unique=False)
    op.create_table('user_account',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_staff', sa.Boolean(), nullable=False),
    sa.Column('is_superuser', sa.Boolean(), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_time', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('auth_subject',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('esc_id', sa.String(length=36), nullable=True),
    sa.Column('job_family_id', sa.String(length=36), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('expiry_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN esc_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN job_family_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_auth_subject_one_owner')),
    sa.ForeignKeyConstraint(['esc_id'], ['esc.id'], name=op.f('fk_auth_subject_esc_id_esc'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_family_id'], ['job_family.id'], name=op.f('fk_auth_subject_job_family_id_job_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_auth_subject_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_subject')),
    sa.UniqueConstraint('esc_id', name=op.f('uq_auth_subject_esc_id')),
    sa.UniqueConstraint('job_family_id', name=op.f('uq_auth_subject_job_family_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_auth_subject_user_id'))
    )
    op.create_table('job',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=255), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('update_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('manifest_yaml', sa.Text(), nullable=False),
    sa.Column('internal_name', sa.String(length=255), nullable=True),
    sa.Column('replica_internal_names', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('notice', sa.Text(), nullable=True),
    sa.Column('image_tag', sa.String(length=255), nullable=True),
    sa.Column('deployed_by', sa.String(length=255), nullable=True),
    sa.Column('last_call_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('infrastructure_target', sa.String(length=255), nullable=True),
    sa.Column('job_type_version', sa.String(length=255), nullable=True),
    sa.Column('infrastructure_stats', sa.Text(), nullable=True),
    sa.Column('deployment_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['job_family.id'], name=op.f('fk_job_family_id_job_family')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('name', 'version', name='name_version')
    )
    op.create_index(op.f('ix_job_family_id'), 'job', ['family_id'], unique=False)
    op.create_index(op.f('ix_job_update_time'), 'job', ['update_time'], unique=False)
    op.create_table('auth_resource_permission',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('job_family_id', sa.String(length=36), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('endpoint', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['job_family_id'], ['job_family.id'], name=op.f('fk_auth_resource_permission_job_family_id_job_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_auth_resource_permission_job_id_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['auth_subject.id'], name=op.f('fk_auth_resource_permission_subject_id_auth_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_resource_permission'))
    )
    op.create_index(op.f('ix_auth_resource_permission_subject_id'), 'auth_resource_permission', ['subject_id'], unique=False)
    op.create_table('auth_token',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('hint', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('expiry_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('create_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_use_time', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['auth_subject.id'], name=op.f('fk_auth_token_subject_id_auth_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_token_token_hash'))
    )
    op.create_index(op.f('ix_auth_token_subject_id'), 'auth_token', ['subject_id'], unique=False)
    op.create_table('public_endpoint_request',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('endpoint', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_public_endpoint_request_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_endpoint_request')),
    sa.UniqueConstraint('job_id', 'endpoint', name='job_endpoint')
    )
    op.create_index(op.f('ix_public_endpoint_request_job_id'), 'public_endpoint_request', ['job_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_public_endpoint_request_job_id'), table_name='public_endpoint_request')
    op.drop_table('public_endpoint_request')
    op.drop_index(op.f('ix_auth_token_subject_id'), table_name='auth_token')
    op.drop_table('auth_token')
    op.drop_index(op.f('ix_auth_resource_permission_subject_id'), table_name='auth_resource_permission')
    op.drop_table('auth_resource_permission')
    op.drop_index(op.f('ix_job_update_time'), table_name='job')
    op.drop_index(op.f('ix_job_family_id'), table_name='job')
    op.drop_table('job')
    op.drop_table('auth_subject')
    op.drop_table('user_account')
    op.drop_index('ix_trash_job_name_version', table_name='trash_job')
    op.drop_table('trash_job')
    op.drop_table('setting')
    op.drop_table('job_family')
    op.drop_table('esc')
    op.drop_index(op.f('ix_deployment_update_time'), table_name='deployment')
    op.drop_index(op.f('ix_deployment_status'), table_name='deployment')
    op.drop_index(op.f('ix_deployment_owner'), table_name='deployment')
    op.drop_index('ix_deployment_job_name_version', table_name='deployment')
    op.drop_table('deployment')
    op.drop_index(op.f('ix_audit_log_event_username_executor'), table_name='audit_log_event')
    op.drop_index(op.f('ix_audit_log_event_timestamp'), table_name='audit_log_event')
    op.drop_index(op.f('ix_audit_log_event_job_version'), table_name='audit_log_event')
    op.drop_index(op.f('ix_audit_log_event_job_name'), table_name='audit_log_event')
    op.drop_table('audit_log_event')
