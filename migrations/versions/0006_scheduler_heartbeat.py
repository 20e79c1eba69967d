"""scheduler heartbeat, job runs, and when an e-mail went sending

The lead is a heartbeat row renewed by the leader, with a fencing term; it replaces the lease row
(and the PostgreSQL advisory lock). The last run of each job and each e-mail's claim time are for
``flask scheduler status``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('scheduler_leases')
    op.create_table('scheduler_heartbeats',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_heartbeats'))
    )
    op.create_table('scheduler_job_runs',
    sa.Column('job_id', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('term', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_job_runs'))
    )
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
    op.drop_table('scheduler_job_runs')
    op.drop_table('scheduler_heartbeats')
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
