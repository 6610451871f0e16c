"""What the Sampling tab shows, as plain functions of the wire models (issue 15): the columns
of its frame, draw and stratum tables (each a ``RowTableModel``), exclusions and progress
against targets in words, and the size of the next replicate for the release question."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from cati_app.core.protocol_sampling import DrawReport, FrameOut, StratumReport
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column

translate = QCoreApplication.translate
CONTEXT = "SamplingPage"
translate = QCoreApplication.translate
REASONS = {
    "do_not_call": QT_TRANSLATE_NOOP(CONTEXT, "do not call"),
    "recently_contacted": QT_TRANSLATE_NOOP(CONTEXT, "recently contacted"),
    "duplicate_visit": QT_TRANSLATE_NOOP(CONTEXT, "duplicate visit"),
    "no_valid_phone": QT_TRANSLATE_NOOP(CONTEXT, "no valid number"),
    "outside_period": QT_TRANSLATE_NOOP(CONTEXT, "outside the period"),
}
REACHED = QColor("#1b7f3b")


def exclusions(excluded: dict[str, int]) -> str:
    """``do not call 3, no valid number 1``; empty when nothing was left out."""
    return ", ".join(f"{translate(CONTEXT, REASONS.get(reason, reason))} {count:,}"
                     for reason, count in sorted(excluded.items()) if count)


def period_text(frame: FrameOut) -> str:
    if frame.period_start is None and frame.period_end is None:
        return translate(CONTEXT, "any")
    return f"{frame.period_start or '…'} – {frame.period_end or '…'}"


def progress_text(stratum: StratumReport) -> str:
    """Completes against the target: ``12 / 20 (60%)``, ``✓ 20 / 20`` once reached."""
    if stratum.target is None:
        return translate(CONTEXT, "{completes} (no target)").format(
            completes=f"{stratum.completes:,}")
    share = stratum.completes / stratum.target if stratum.target else 1.0
    mark = "✓ " if stratum.target_reached else ""
    return f"{mark}{stratum.completes:,} / {stratum.target:,} ({share:.0%})"


FRAME_COLUMNS: list[Column[FrameOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Frame"), lambda f: f.id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Name"), lambda f: f.name),
    Column(QT_TRANSLATE_NOOP("Column", "Agency"), lambda f: f.agency),
    Column(QT_TRANSLATE_NOOP("Column", "Period"), period_text),
    Column(QT_TRANSLATE_NOOP("Column", "Rows"), lambda f: f.rows, numeric=True,
           text=lambda v: f"{v:,}"),
    Column(QT_TRANSLATE_NOOP("Column", "Services"), lambda f: ", ".join(f.services)),
    Column(QT_TRANSLATE_NOOP("Column", "Imported"), lambda f: thimphu_time(f.imported_at)),
    Column(QT_TRANSLATE_NOOP("Column", "By"), lambda f: f.imported_by),
]
DRAW_COLUMNS: list[Column[DrawReport]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Draw"), lambda d: d.draw_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Made"), lambda d: thimphu_time(d.created_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Allocation"), lambda d: d.allocation),
    Column(QT_TRANSLATE_NOOP("Column", "Seed"), lambda d: d.seed, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Sampled"), lambda d: d.sampled, numeric=True,
           text=lambda v: f"{v:,}"),
    Column(QT_TRANSLATE_NOOP("Column", "Replicates released"),
           lambda d: f"{d.replicates_released} / {d.replicates}"),
    Column(QT_TRANSLATE_NOOP("Column", "Released"), lambda d: d.released, numeric=True,
           text=lambda v: f"{v:,}"),
    Column(QT_TRANSLATE_NOOP("Column", "Completes"), lambda d: d.completes, numeric=True,
           text=lambda v: f"{v:,}"),
    Column(QT_TRANSLATE_NOOP("Column", "By"), lambda d: d.created_by),
]
STRATUM_COLUMNS: list[Column[StratumReport]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda s: s.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Office"), lambda s: s.office),
    Column(QT_TRANSLATE_NOOP("Column", "Month"), lambda s: s.period),
    Column(QT_TRANSLATE_NOOP("Column", "Frame rows"), lambda s: s.frame_rows, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Eligible"), lambda s: s.eligible, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Excluded"), lambda s: exclusions(s.excluded)),
    Column(QT_TRANSLATE_NOOP("Column", "Allocated"), lambda s: s.allocated, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "π"), lambda s: s.inclusion_probability, numeric=True,
           text=lambda v: f"{v:.4f}",
           tooltip=QT_TRANSLATE_NOOP("Column", "inclusion probability; the weight is 1/π")),
    Column(QT_TRANSLATE_NOOP("Column", "Released"), lambda s: s.released, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Completes"), lambda s: s.completes, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Target"), lambda s: s.target, numeric=True,
           text=lambda v: "—" if v is None else f"{v:,}"),
    Column(QT_TRANSLATE_NOOP("Column", "Completes / target"), progress_text),
]


def stratum_name(stratum: StratumReport) -> str:
    return " · ".join(p for p in (stratum.service_code, stratum.office, stratum.period) if p)


def next_replicate(report: DrawReport) -> tuple[int, list[StratumReport]]:
    """About how many cases the next replicate releases, and the strata it skips (their
    target reached). Replicates are dealt round the whole sample, so each holds about 1/R of
    every stratum; the server's answer gives the exact count."""
    skipped = [s for s in report.strata if s.target_reached]
    going = sum(s.allocated for s in report.strata if not s.target_reached)
    return round(going / report.replicates), skipped
