"""enforcement part 2: people, cases, requests, decisions, notices, appeals, statements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 08:32:25.345856
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("restricted_to", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("subject_kind", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=True),
        sa.Column("detection_source", sa.String(length=30), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["cases.id"], name=op.f("fk_cases_parent_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_table(
        "people",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_people")),
    )
    op.create_table(
        "case_accounts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("home_market", sa.String(length=8), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_accounts_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "account_id", name=op.f("pk_case_accounts")),
    )
    op.create_table(
        "case_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_comments_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_comments")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("clause", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("detection_source", sa.String(length=30), nullable=False),
        sa.Column("automated_detection", sa.Boolean(), nullable=False),
        sa.Column("automated_decision", sa.Boolean(), nullable=False),
        sa.Column("state_actor", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_decisions_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_table(
        "requests",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("requester_kind", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("asks", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("contact_ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_requests_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_requests")),
    )
    op.create_table(
        "sign_offs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("recommendation", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_sign_offs_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_offs")),
    )
    op.create_table(
        "appeals",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_appeals_case_id_cases")),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name=op.f("fk_appeals_decision_id_decisions")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_appeals")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("appeal_until", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name=op.f("fk_notices_decision_id_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_table(
        "statements",
        sa.Column("puid", sa.String(length=500), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name=op.f("fk_statements_decision_id_decisions")),
        sa.PrimaryKeyConstraint("puid", name=op.f("pk_statements")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("case_id")
        batch_op.drop_column("decision_id")

    op.drop_table("statements")
    op.drop_table("notices")
    op.drop_table("appeals")
    op.drop_table("sign_offs")
    op.drop_table("requests")
    op.drop_table("decisions")
    op.drop_table("case_comments")
    op.drop_table("case_accounts")
    op.drop_table("people")
    op.drop_table("cases")
