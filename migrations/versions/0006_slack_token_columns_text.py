"""slack token columns hold ciphertext: String(200) -> Text

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00

Stored Slack tokens are Fernet-encrypted (bot/secrets.py); the ciphertext of a
200-character token is 356 characters. Existing plain-text tokens stay as they
are (they still work) until `recapbot keys rotate` encrypts them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = {
    'slack_installations': ('bot_token', 'bot_refresh_token', 'user_token', 'user_refresh_token',
                            'incoming_webhook_url'),
    'slack_bots': ('bot_token', 'bot_refresh_token'),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=200), type_=sa.Text(),
                                      existing_nullable=True)


def downgrade() -> None:
    # Fails on PostgreSQL while encrypted tokens longer than 200 characters are stored,
    # rather than cutting them.
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=200),
                                      existing_nullable=True)
