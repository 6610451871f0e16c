"""sampling frames, draws, sampled units and released replicates (issue 15)

Revision ID: 0011_h15draw
Revises: 0011_h16tix
Create Date: 2026-12-01 19:00:00

New tables only (``cases.inclusion_probability`` and ``cases.stratum`` came with 0010):
- ``sample_frames`` and ``frame_rows``: an agency's register of service users for a period;
  a national ID is kept only as a salted hash (``frame_rows.id_hash``);
- ``sample_draws``: a stratified draw, its seed and its fixed report (JSON);
- ``draw_units``: the sampled rows with their stratum, π and replicate, and the case each
  became when released;
- ``draw_releases``: one row per released replicate (unique per draw and replicate).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_h15draw"
down_revision = "0011_h16tix"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("users.id"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "sample_frames",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        _when("imported_at"),
        _user("imported_by"),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
    )
    op.create_table(
        "frame_rows",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("sample_frames.id"), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("office", sa.String(200), nullable=False),
        sa.Column("dzongkhag", sa.String(100), nullable=False),
        sa.Column("date_availed", sa.Date(), nullable=True),
        sa.Column("respondent_name", sa.String(200), nullable=False),
        sa.Column("phone1", sa.String(20), nullable=True),
        sa.Column("phone2", sa.String(20), nullable=True),
        sa.Column("phone3", sa.String(20), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("literate", sa.Boolean(), nullable=True),
        sa.Column("preferred_channel", sa.String(8), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_frame_rows_frame", "frame_rows", ["frame_id", "service_id", "office"])
    op.create_table(
        "sample_draws",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("sample_frames.id"), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("allocation", sa.String(16), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("by_period", sa.Boolean(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=True),
        sa.Column("replicates", sa.Integer(), nullable=False),
        sa.Column("target_per_stratum", sa.Integer(), nullable=True),
        sa.Column("auto_release", sa.Boolean(), nullable=False),
        _when("created_at"),
        _user("created_by"),
        sa.Column("report", sa.JSON(), nullable=False),
    )
    op.create_table(
        "draw_units",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("draw_id", sa.Integer(), sa.ForeignKey("sample_draws.id"), nullable=False),
        sa.Column("frame_row_id", BIG_ID, sa.ForeignKey("frame_rows.id"), nullable=False),
        sa.Column("stratum", sa.String(200), nullable=False),
        sa.Column("inclusion_probability", sa.Float(), nullable=False),
        sa.Column("replicate", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
    )
    op.create_index("ix_draw_units_draw", "draw_units", ["draw_id", "replicate"])
    op.create_index("ix_draw_units_case", "draw_units", ["case_id"])
    op.create_index("ix_draw_units_row", "draw_units", ["frame_row_id"])
    op.create_table(
        "draw_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draw_id", sa.Integer(), sa.ForeignKey("sample_draws.id"), nullable=False),
        sa.Column("replicate", sa.Integer(), nullable=False),
        _when("released_at"),
        _user("released_by"),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("cases_released", sa.Integer(), nullable=False),
        sa.Column("strata_skipped", sa.JSON(), nullable=False),
        sa.UniqueConstraint("draw_id", "replicate", name="uq_draw_releases_draw_id"),
    )


def downgrade() -> None:
    op.drop_table("draw_releases")
    for index in ("ix_draw_units_row", "ix_draw_units_case", "ix_draw_units_draw"):
        op.drop_index(index, table_name="draw_units")
    op.drop_table("draw_units")
    op.drop_table("sample_draws")
    op.drop_index("ix_frame_rows_frame", table_name="frame_rows")
    op.drop_table("frame_rows")
    op.drop_table("sample_frames")
