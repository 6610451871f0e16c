"""``cati-server``: set up the database, run the server, add users, services and call lists.

Each command runs in one transaction. A person's mistake (a bad setting, an unknown service, a
file that cannot be imported) prints one line to stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from cati_app import __version__
from cati_app.core.clock import SystemClock
from cati_app.core.protocol import Role
from cati_app.server import cli_sampling, migrate
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.errors import CatiError
from cati_app.server.logging_setup import LOG_FORMATS, logging_config
from cati_app.server.logging_setup import default_format as default_log_format
from cati_app.server.services.accounts import users
from cati_app.server.services.cases.sample_import import (
    default_report_path,
    import_sample,
    write_report,
)
from cati_app.server.services.cases.sample_readers import read_whole
from cati_app.server.services.catalogue import catalogue
from cati_app.server.services.ops.demo import ensure_default_questionnaire, seed_demo
from cati_app.server.settings import Settings, SettingsError, load_settings

EXIT_USAGE = 2
T = TypeVar("T")


class CommandError(Exception):
    """A mistake the person can fix; printed as one line."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    try:
        return args.run(settings, args) or 0
    except (CatiError, CommandError) as exc:
        return _fail(str(exc))
    except (OperationalError, ArgumentError) as exc:
        # The database cannot be reached or the URL is malformed: say which, hide passwords.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return _fail(f"cannot use the database {_shown_url(settings)}: {reason}")
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as exc:  # a fault nobody foresaw: no traceback, it may quote data
        if os.environ.get("CATI_DEBUG"):
            raise
        return _fail(f"failed unexpectedly ({type(exc).__name__}); nothing more is printed, "
                     "as the details may quote names or phone numbers. Run again with "
                     "CATI_DEBUG=1 to see the traceback")


def _fail(message: str) -> int:
    first, *rest = message.splitlines() or [""]
    print(f"cati-server: {first}", *rest, sep="\n", file=sys.stderr)
    return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cati-server",
        description="ServE CATI sync server. The database is CATI_DATABASE_URL "
                    "(default: a SQLite file in your user data folder).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[..., int | None], help_text: str
                ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    command("init", _init, "create or upgrade the database and load the default questionnaire")
    serve = command("serve", _serve, "run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=_positive, default=1,
                       help="worker processes (PostgreSQL only; SQLite takes one)")
    serve.add_argument("--log-format", choices=LOG_FORMATS, default=default_log_format(),
                       help="json lines or text (default: text on a terminal, else json)")
    user = command("create-user", _create_user,
                   "add a user; the password is read from standard input or prompted for")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--full-name", default="")
    user.add_argument("--agency", default=None,
                      help="the agency an agency account sees (required for --role agency)")
    service = command("add-service", _add_service, "add a service that can be called about")
    service.add_argument("code")
    service.add_argument("name")
    service.add_argument("--agency", default="")
    sample = command("import-sample", _import_sample,
                     "import a call list (CSV or XLSX) for one service")
    sample.add_argument("file", type=Path)
    sample.add_argument("--service", required=True, help="the service code, e.g. CID")
    sample.add_argument("--batch", help="a name for this call list (default: the file name)")
    sample.add_argument("--report", type=Path,
                        help="where to write the rejected rows (default: FILE.rejected.csv)")
    script = command("import-questionnaire", _import_questionnaire,
                     "add a questionnaire version from an XLSForm workbook for a service")
    script.add_argument("file", type=Path, metavar="FILE.xlsx")
    script.add_argument("--service", required=True, help="the service code, e.g. CID")
    export = command("export", _export,
                     "write the analyst workbook (and optionally the raw data as CSV), or "
                     "with --agency one agency's scorecard workbook")
    export.add_argument("out", type=Path, metavar="OUT.xlsx")
    export.add_argument("--agency", metavar="CODE",
                        help="write this agency's scorecard workbook instead (the agency as "
                             "the services name it); no names or phone numbers")
    export.add_argument("--service", action="append", metavar="CODE",
                        help="a service code; repeat it, or separate codes with commas, for "
                             "several (default: all services)")
    export.add_argument("--from", dest="date_from", type=_iso_date, metavar="DATE",
                        help="first date availed included, YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", type=_iso_date, metavar="DATE",
                        help="last date availed included, YYYY-MM-DD")
    export.add_argument("--include-pii", action="store_true",
                        help="put respondent names and phone numbers in the Raw data sheet")
    export.add_argument("--csv", type=Path, metavar="OUT.csv",
                        help="also write the raw data as CSV")
    demo = command("demo", _demo,
                   "seed demo services, users and a sample; print the credentials")
    demo.add_argument("--force-into-real-database", action="store_true",
                      help="seed even though the database holds real data (users, services "
                           "or cases the demo did not make); it adds logins with a "
                           "published password")
    backup = command("backup", _backup,
                     "copy the database to PATH while the server runs (SQLite: online backup, "
                     "checked; PostgreSQL: pg_dump custom format)")
    backup.add_argument("path", type=Path, metavar="PATH")
    command("sms-worker", _sms_worker,
            "send queued SMS through the gateway set by CATI_SMS_* and record receipts and "
            "replies (see docs/deploy.md); runs until stopped")
    cli_sampling.add_commands(commands, command)
    return parser


# --- commands -------------------------------------------------------------------------------


def _init(settings: Settings, _args: argparse.Namespace) -> None:
    ctx = AppContext.build(settings)
    try:
        _migrate_and_load(ctx)
    finally:
        ctx.engine.dispose()


def _migrate_and_load(ctx: AppContext) -> None:
    migrate.upgrade(ctx.engine)
    with transaction(ctx.sessions) as session:
        loaded = ensure_default_questionnaire(session, at=ctx.clock.now())
    print(f"database ready: {_shown_url(ctx.settings)} (schema {migrate.head_revision()})")
    if loaded is not None:
        print(f"loaded questionnaire {loaded.qid} version {loaded.version}")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn  # only this command needs it

    from cati_app.server.app import create_app
    from cati_app.server.http_protocol import NoDelayH11Protocol

    ctx = AppContext.build(settings)
    _require_current(ctx)
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        raise CommandError("SQLite serves one worker process: use --workers 1, or PostgreSQL")
    options = dict(
        host=args.host, port=args.port, log_config=logging_config(args.log_format),
        # No access log: query strings (a supervisor's name search) are personal data (DESIGN
        # §5); cati_app.server.request_log writes one safe line per request instead.
        access_log=False,
        # Behind the TLS proxy every client would otherwise share the proxy's address (and
        # its login throttle): trust X-Forwarded-For only from the proxies named here.
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips.strip() or "127.0.0.1",
        # Nagle off on every connection, or --workers N waits ~40 ms per kept-alive request
        http=NoDelayH11Protocol)
    if args.workers > 1:  # each worker process builds its own app from CATI_* settings
        ctx.engine.dispose()
        uvicorn.run("cati_app.server.app:app_from_env", factory=True, workers=args.workers,
                    **options, **_worker_health_options(uvicorn.run))
    else:
        uvicorn.run(create_app(settings, ctx=ctx), **options)


#: how long a worker may take to answer uvicorn's health check. A spawned worker imports the
#: whole server before it can answer; on a busy host that takes longer than uvicorn's 5 s
#: default, and uvicorn would kill and respawn every worker for ever (seen on 2 cores).
WORKER_HEALTHCHECK_S = 30


def _worker_health_options(run: Callable[..., object]) -> dict[str, Any]:
    # Any: the option exists only in newer uvicorn releases, so it is passed by name at run time
    import inspect

    accepted = inspect.signature(run).parameters
    return ({"timeout_worker_healthcheck": WORKER_HEALTHCHECK_S}
            if "timeout_worker_healthcheck" in accepted else {})


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, 1 or more")
    return int(text)


def _backup(settings: Settings, args: argparse.Namespace) -> None:
    from cati_app.server.services.ops.backup import BackupError, backup

    try:
        result = backup(settings.database_url, args.path)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(result.summary())


def _create_user(settings: Settings, args: argparse.Namespace) -> None:
    password = _read_password()
    with _migrated(settings) as ctx, transaction(ctx.sessions) as session:
        user = users.create_user(session, ctx.hasher, username=args.username,
                                 password=password, role=Role(args.role),
                                 full_name=args.full_name, at=ctx.clock.now(),
                                 agency=args.agency)
        print(f"created {user.role} {user.username}")


def _add_service(settings: Settings, args: argparse.Namespace) -> None:
    with _migrated(settings) as ctx, transaction(ctx.sessions) as session:
        service = catalogue.add_service(session, code=args.code, name=args.name,
                                        agency=args.agency, at=ctx.clock.now(), by=None)
        print(f"added service {service.code}: {service.name}")


def _import_questionnaire(settings: Settings, args: argparse.Namespace) -> None:
    from cati_app.server.services.catalogue.xlsform_reader import (
        WorkbookProblems,
        import_workbook,
        read_sheets,
    )

    if not args.file.is_file():
        raise CommandError(f"no such file: {args.file}")
    with _migrated(settings) as ctx:
        try:
            sheets = read_sheets(args.file)  # before the transaction: no lock while parsing
            with transaction(ctx.sessions) as session:
                result = import_workbook(session, sheets, service_code=args.service,
                                         at=ctx.clock.now(), by=None)
        except WorkbookProblems as exc:
            raise CommandError("\n".join([f"{args.file.name}: {len(exc.problems)} problem(s), "
                                           "nothing was imported:",
                                           *(f"  {p}" for p in exc.problems)])) from None
    print(f"imported questionnaire {result.questionnaire_id} version {result.version} "
          f"({result.items} items; {', '.join(result.languages)}) for {result.service_code}")
    print(*(f"note: {n}" for n in result.notes), sep="\n", end="\n" if result.notes else "")


def _import_sample(settings: Settings, args: argparse.Namespace) -> None:
    report_path = args.report or default_report_path(args.file)
    # read whole before the transaction: SQLite's write lock is not held while parsing
    with _migrated(settings) as ctx, read_whole(args.file) as sheet, \
            transaction(ctx.sessions) as session:
        report = import_sample(session, sheet, service_code=args.service,
                               batch_name=args.batch, at=ctx.clock.now(),
                               reimport_window=settings.reimport_window)
        # Written before the commit: if the report cannot be written, nothing is imported
        # and the person can fix the path and run the same command again.
        try:
            write_report(report, report_path)
        except OSError as exc:
            raise CommandError(f"cannot write the report {report_path}: "
                               f"{exc.strerror or exc}; nothing was imported") from None
    print(report.summary())
    print(f"report of rejected rows: {report_path}")


def _export(settings: Settings, args: argparse.Namespace) -> None:
    from cati_app.reports.csv_export import write_raw_csv
    from cati_app.reports.records import ExportFilters, FilterError
    from cati_app.reports.workbook import write_workbook
    from cati_app.server.services.reporting import exports

    if args.agency is not None:
        _export_agency(settings, args)
        return
    try:
        filters = ExportFilters(
            services=tuple(code for given in args.service or () for code in given.split(",")),
            date_from=args.date_from, date_to=args.date_to, include_pii=args.include_pii)
    except FilterError as exc:
        raise CommandError(str(exc)) from None
    with _migrated(settings) as ctx:
        # reads: the server's pushes go on meanwhile; streams closed however writing ends
        with ctx.read() as session, exports.gathered(session, filters,
                                                     ctx.clock.now()) as data:
            stats = _written(args.out, lambda: write_workbook(args.out, data))
        print(f"wrote {args.out}: {stats.interviews} interviews, {stats.attempts} attempts")
        if args.csv:
            with ctx.read() as session, exports.gathered(session, filters,
                                                         ctx.clock.now()) as data:
                rows = _written(args.csv, lambda: write_raw_csv(
                    args.csv, data.questionnaires, data.interviews,
                    include_pii=filters.include_pii))
            print(f"wrote {args.csv}: {rows} interviews")


def _export_agency(settings: Settings, args: argparse.Namespace) -> None:
    from cati_app.reports.agency_workbook import write_agency_workbook
    from cati_app.server.services.reporting.agency_export import agency_data

    if args.service or args.date_from or args.date_to or args.include_pii or args.csv:
        raise CommandError("--agency writes the agency's whole scorecard: leave out --service, "
                           "--from, --to, --include-pii and --csv")
    with _migrated(settings) as ctx:
        with ctx.read() as session:
            data = agency_data(session, settings, agency=args.agency, now=ctx.clock.now())
        cells = _written(args.out, lambda: write_agency_workbook(
            args.out, data.agency, data.scorecards, data.complaints))
    print(f"wrote {args.out}: {cells} scorecard cells for {data.agency}")


def _written(path: Path, write: Callable[[], T]) -> T:
    try:
        return write()
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    ctx = AppContext.build(settings)
    try:
        _migrate_and_load(ctx)
        with transaction(ctx.sessions) as session:
            result = seed_demo(session, ctx.hasher, at=ctx.clock.now(),
                               into_real_database=args.force_into_real_database)
    finally:
        ctx.engine.dispose()
    print("\n".join(result.lines()))


def _sms_worker(settings: Settings, _args: argparse.Namespace) -> None:
    import signal
    import threading

    from cati_app.server.services.sms.settings import SmsSettings
    from cati_app.server.services.sms.worker import SmsWorker

    try:
        sms = SmsSettings()
    except ValueError as error:
        raise CommandError(f"bad SMS setting: {error}") from None
    gateway = sms.make_gateway()
    if gateway is None:
        raise CommandError("no SMS gateway is set: set CATI_SMS_GATEWAY to smpp or http "
                           "(docs/deploy.md, \"SMS\")")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _migrated(settings) as ctx:
        print(f"sending SMS through {sms.gateway}, at most {sms.per_second} per second; "
              "Ctrl+C stops", flush=True)
        try:
            SmsWorker(ctx, gateway, sms).run(stop)
        except KeyboardInterrupt:
            stop.set()


# --- helpers --------------------------------------------------------------------------------


class _migrated:
    """An AppContext on a database that is at the current schema, disposed afterwards."""

    def __init__(self, settings: Settings) -> None:
        self.ctx = AppContext.build(settings, SystemClock())

    def __enter__(self) -> AppContext:
        try:
            _require_current(self.ctx)
        except BaseException:
            self.ctx.engine.dispose()
            raise
        return self.ctx

    def __exit__(self, *_exc: object) -> None:
        self.ctx.engine.dispose()


def _require_current(ctx: AppContext) -> None:
    if not migrate.is_current(ctx.engine):
        raise CommandError(f"the database {_shown_url(ctx.settings)} is not set up for this "
                           "version of the server: run `cati-server init` first")


def _read_password() -> str:
    """Surrounding spaces are removed, as the API removes them from every body (the login's
    too): a password set here with a stray space could otherwise never be typed at login."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise CommandError("the two passwords differ: nothing was changed")
    return first.strip()


def _shown_url(settings: Settings) -> str:
    try:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable CATI_DATABASE_URL)"


if __name__ == "__main__":
    sys.exit(main())
