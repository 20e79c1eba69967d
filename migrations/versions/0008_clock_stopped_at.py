"""clock stopped_at: the moment an hour clock was stopped, so a 24-hour period is judged to the hour

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.drop_column('stopped_at')
