"""enforcement: policies, rules, designations, actions, audit log

On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the audit tables, so the application (and anyone
without the rights to drop the trigger) can only append. SQLite has no such protection worth the name: whoever has
the file can change it, and the hash chain is what detects that.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 07:55:13.007774
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_log", "audit_log_checkpoints")


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_type", sa.String(length=50), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("clause", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("designation_id", sa.String(length=200), nullable=True),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("dsa", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.String(length=32), nullable=False),
        sa.Column("applied_at", sa.String(length=32), nullable=True),
        sa.Column("ends_at", sa.String(length=32), nullable=True),
        sa.Column("reversed_at", sa.String(length=32), nullable=True),
        sa.Column("reversed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject_kind", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before_ref", sa.String(length=300), nullable=True),
        sa.Column("after_ref", sa.String(length=300), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("personal_ref", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_table(
        "audit_log_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log_checkpoints")),
    )
    op.create_table(
        "audit_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log_head")),
    )
    op.create_table(
        "designations",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("entity", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("review", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designations")),
    )
    op.create_table(
        "personal_data",
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("erased_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_personal_data")),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("enforces", sa.String(length=300), nullable=False),
        sa.Column("action_type", sa.String(length=50), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("requested_state", sa.String(length=20), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_table(
        "designation_versions",
        sa.Column("designation_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("stored_at", sa.String(length=32), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["designation_id"], ["designations.id"], name=op.f("fk_designation_versions_designation_id_designations")
        ),
        sa.PrimaryKeyConstraint("designation_id", "version", name=op.f("pk_designation_versions")),
    )
    op.create_table(
        "policy_versions",
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_path", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("stored_at", sa.String(length=32), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], name=op.f("fk_policy_versions_policy_id_policies")),
        sa.PrimaryKeyConstraint("policy_id", "version", name=op.f("pk_policy_versions")),
    )
    op.create_table(
        "rule_versions",
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_path", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("stored_at", sa.String(length=32), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_versions_rule_id_rules")),
        sa.PrimaryKeyConstraint("rule_id", "version", name=op.f("pk_rule_versions")),
    )
    op.create_table(
        "rule_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("scan", sa.String(length=1000), nullable=False),
        sa.Column("scan_hash", sa.String(length=64), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("run_at", sa.String(length=32), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id", "rule_version"],
            ["rule_versions.rule_id", "rule_versions.version"],
            name=op.f("fk_rule_runs_rule_id_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_runs")),
    )
    op.create_table(
        "rule_matches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("markets", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["rule_runs.id"], name=op.f("fk_rule_matches_run_id_rule_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_matches")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION overt_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION overt_audit_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS overt_audit_append_only()")
    op.drop_table("rule_matches")
    op.drop_table("rule_runs")
    op.drop_table("rule_versions")
    op.drop_table("policy_versions")
    op.drop_table("designation_versions")
    op.drop_table("rules")
    op.drop_table("policies")
    op.drop_table("personal_data")
    op.drop_table("designations")
    op.drop_table("audit_log_head")
    op.drop_table("audit_log_checkpoints")
    op.drop_table("audit_log")
    op.drop_table("actions")
