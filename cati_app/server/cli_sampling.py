"""The sampling commands of ``cati-server`` (issue 15): ``frame import``, ``frame list``,
``draw``, ``release`` and ``sample-report``. Each runs in one transaction and prints the
sample report the API gives (``GET /v1/draws/{id}``) as text."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from cati_app.core.protocol_sampling import DrawReport, DrawRequest
from cati_app.core.sampling import EXCLUSION_ORDER
from cati_app.server import migrate
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.errors import Unprocessable
from cati_app.server.services.cases.sample_readers import read_whole
from cati_app.server.services.sampling import draws, frames, replicates, reports
from cati_app.server.settings import Settings

Command = Callable[[str, Callable[..., int | None], str], argparse.ArgumentParser]


def add_commands(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                 command: Command) -> None:
    frame = commands.add_parser("frame", help="import or list sampling frames",
                                description="sampling frames: an agency's register of "
                                            "service users for a period")
    actions = frame.add_subparsers(title="actions", required=True, metavar="ACTION")
    imported = actions.add_parser("import", help="import a frame (CSV or XLSX)")
    imported.set_defaults(run=_frame_import)
    imported.add_argument("file", type=Path)
    imported.add_argument("--name", default="", help="default: the file name")
    imported.add_argument("--agency", default="")
    imported.add_argument("--from", dest="period_start", type=_day, metavar="DATE",
                          help="first day of the frame's period, YYYY-MM-DD")
    imported.add_argument("--to", dest="period_end", type=_day, metavar="DATE",
                          help="last day of the frame's period, YYYY-MM-DD")
    actions.add_parser("list", help="list the frames").set_defaults(run=_frame_list)
    drawn = command("draw", _draw, "draw a stratified random sample from a frame")
    drawn.add_argument("frame_id", type=int, metavar="FRAME")
    drawn.add_argument("--size", type=int, required=True, help="the sample size")
    drawn.add_argument("--allocation", choices=("proportional", "equal", "precision"),
                       default="proportional")
    drawn.add_argument("--margin", type=float,
                       help="precision: the 95%% half-width wanted on the 1-5 composite")
    drawn.add_argument("--by-period", action="store_true", help="strata also by month")
    drawn.add_argument("--replicates", type=int, default=4)
    drawn.add_argument("--seed", type=int, help="default: chosen and recorded")
    drawn.add_argument("--target", type=int, help="completes wanted per stratum")
    drawn.add_argument("--no-auto-release", action="store_true",
                       help="release every replicate by hand")
    released = command("release", _release, "release a draw's next replicate to the queue")
    released.add_argument("draw_id", type=int, metavar="DRAW")
    released.add_argument("--replicate", type=int, help="default: the next one")
    report = command("sample-report", _sample_report,
                     "print the sample report of a draw (default: every draw)")
    report.add_argument("draw_id", type=int, nargs="?", metavar="DRAW")


@contextmanager
def _context(settings: Settings) -> Iterator[AppContext]:
    ctx = AppContext.build(settings)
    try:
        if not migrate.is_current(ctx.engine):
            raise Unprocessable("the database is not set up for this version of the server: "
                                "run `cati-server init` first")
        yield ctx
    finally:
        ctx.engine.dispose()


def _frame_import(settings: Settings, args: argparse.Namespace) -> None:
    with _context(settings) as ctx, read_whole(args.file) as sheet, \
            transaction(ctx.sessions) as session:
        report = frames.import_frame(session, sheet, name=args.name, agency=args.agency,
                                     period_start=args.period_start,
                                     period_end=args.period_end, at=ctx.clock.now(), by=None,
                                     salt=settings.id_hash_salt)
    print(f"frame {report.frame_id} ({report.name}): {report.accepted} rows, "
          f"{report.rejected} rejected")
    for problem in report.problems[:20]:
        print(f"  row {problem.row} {problem.column}: {problem.reason}")
    if len(report.problems) > 20:
        print(f"  ... and {len(report.problems) - 20} more problems")


def _frame_list(settings: Settings, _args: argparse.Namespace) -> None:
    with _context(settings) as ctx, ctx.read() as session:
        for frame in reports.list_frames(session):
            period = f"{frame.period_start or '?'} to {frame.period_end or '?'}"
            print(f"{frame.id:>4}  {frame.name}  {frame.agency}  {period}  {frame.rows} rows  "
                  f"{', '.join(frame.services)}")


def _draw(settings: Settings, args: argparse.Namespace) -> None:
    try:
        request = DrawRequest(sample_size=args.size, allocation=args.allocation,
                              margin=args.margin, by_period=args.by_period,
                              replicates=args.replicates, seed=args.seed,
                              target_per_stratum=args.target,
                              auto_release=not args.no_auto_release)
    except ValueError as exc:  # pydantic's ValidationError: the first problem, in words
        raise Unprocessable(f"bad draw options: {str(exc).splitlines()[-2].strip()}") from None
    with _context(settings) as ctx, transaction(ctx.sessions) as session:
        made = draws.make_draw(session, args.frame_id, request, at=ctx.clock.now(), by=None,
                               window=settings.recontact_window)
        print("\n".join(report_lines(reports.draw_report(session, made.id))))


def _release(settings: Settings, args: argparse.Namespace) -> None:
    with _context(settings) as ctx, transaction(ctx.sessions) as session:
        result = replicates.release(session, args.draw_id, args.replicate,
                                    at=ctx.clock.now(), by=None)
    skipped = (f"; strata at their target, not released: {', '.join(result.strata_skipped)}"
               if result.strata_skipped else "")
    withdrawn = (f"; {result.withdrawn_do_not_call} on the do-not-call register, not released"
                 if result.withdrawn_do_not_call else "")
    print(f"draw {result.draw_id} replicate {result.replicate}: {result.cases_released} "
          f"cases released to the call queue{skipped}{withdrawn}")


def _sample_report(settings: Settings, args: argparse.Namespace) -> None:
    with _context(settings) as ctx, ctx.read() as session:
        found = ([reports.draw_report(session, args.draw_id)] if args.draw_id is not None
                 else reports.list_draws(session))
        if not found:
            print("no draws yet: `cati-server draw FRAME --size N` makes one")
        for index, report in enumerate(found):
            print(("\n" if index else "") + "\n".join(report_lines(report)))


def report_lines(report: DrawReport) -> list[str]:
    """The sample report as text: totals, exclusions by reason, then one line per stratum."""
    excluded = ", ".join(f"{reason} {report.excluded[reason]}" for reason in EXCLUSION_ORDER
                         if report.excluded.get(reason)) or "none"
    lines = [f"draw {report.draw_id} from frame {report.frame_id} ({report.frame_name}): "
             f"{report.allocation} allocation, seed {report.seed}",
             f"  frame rows {report.frame_rows}; excluded: {excluded}",
             f"  sampled {report.sampled} of {report.sample_size} asked; released "
             f"{report.released} ({report.replicates_released} of {report.replicates} "
             f"replicates); completes {report.completes}",
             f"  {report.note}",
             f"  {'stratum':<40} {'frame':>6} {'elig.':>6} {'drawn':>6} {'pi':>7} "
             f"{'released':>8} {'done':>5} {'target':>6}"]
    for s in report.strata:
        target = "" if s.target is None else f"{s.target}{' *' if s.target_reached else ''}"
        lines.append(f"  {s.key[:40]:<40} {s.frame_rows:>6} {s.eligible:>6} {s.allocated:>6} "
                     f"{s.inclusion_probability:>7.4f} {s.released:>8} {s.completes:>5} "
                     f"{target:>6}")
    return lines


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None
