"""The ``salesplan`` command line: everything runs in-process, no server needed.

Exit codes: 0 on success, 1 when a step failed (the message says which and what to do),
2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from salesplan.errors import SalesplanError
from salesplan.home import HOME_ENV_VAR, SalesplanHome, resolve_home
from salesplan.months import add_months, format_month, months_between, parse_month

DEMO_SIZE = "default"
DEMO_END_MONTH = "2026-10"
SIZES = ("small", "default", "large", "xlarge")
LANGUAGES = ("zh", "en")


class CliError(SalesplanError):
    """A failure the user can act on; printed without a traceback."""


def _month(text: str) -> str:
    try:
        return format_month(parse_month(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _progress(message: str) -> None:
    # Progress goes to stderr: stdout carries the results (where the outputs are).
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``salesplan`` command."""
    parser = argparse.ArgumentParser(
        prog="salesplan",
        description="Monthly re-planning of sales targets from CRM and ERP extracts.",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help=f"home folder for all state (default ${HOME_ENV_VAR} or ./.salesplan)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="write demo CRM/ERP extracts")
    generate.add_argument("--size", choices=SIZES, default="small")
    generate.add_argument(
        "--out", type=Path, default=None, help="home folder to write into (default: --home)"
    )
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--end-month", type=_month, default=DEMO_END_MONTH)

    ingest = commands.add_parser("ingest", help="load and check the extracts for an as-of month")
    ingest.add_argument("--as-of", dest="as_of", type=_month, required=True)
    ingest.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a busy home")

    run = commands.add_parser("run", help="the whole monthly re-plan for an as-of month")
    run.add_argument("--as-of", dest="as_of", type=_month, required=True)
    run.add_argument("--lang", choices=LANGUAGES, default="zh", help="report language")
    run.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a busy home")

    backfill = commands.add_parser("backfill", help="replay past as-of months in order")
    backfill.add_argument("--from", dest="first", type=_month, required=True)
    backfill.add_argument("--to", dest="last", type=_month, required=True)
    backfill.add_argument("--lang", choices=LANGUAGES, default="zh", help="report language")
    backfill.add_argument("--wait", type=float, default=0.0)

    republish = commands.add_parser(
        "republish",
        help="publish the current plan again, for a home folder that was moved (no re-plan)",
    )
    republish.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the lock")

    demo = commands.add_parser("demo", help="generate the default demo and run its latest month")
    demo.add_argument("--size", choices=SIZES, default=DEMO_SIZE)
    demo.add_argument("--lang", choices=LANGUAGES, default="zh", help="report language")
    demo.add_argument(
        "--fresh", action="store_true", help="delete the home folder first (a clean demo)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    home = resolve_home(args.home)
    os.environ[HOME_ENV_VAR] = str(home.root)
    try:
        return _COMMANDS[args.command](args, home)
    except SalesplanError as error:
        print(f"salesplan {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"salesplan {args.command}: interrupted", file=sys.stderr)
        return 130


def _generate(args: argparse.Namespace, home: SalesplanHome) -> int:
    from demodata import generate

    target = resolve_home(args.out) if args.out is not None else home
    started = time.perf_counter()
    summary = generate(
        target.root, size=args.size, seed=args.seed, end_month=args.end_month, progress=_progress
    )
    _progress(
        f"wrote {summary.total_rows:,} rows in {len(summary.files):,} files to "
        f"{target.extracts} in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _ingest(args: argparse.Namespace, home: SalesplanHome) -> int:
    from pipelines import runner

    outcome = runner.ingest(home, args.as_of, progress=_progress, wait_s=args.wait)
    _progress(f"ingested up to as-of {args.as_of} in {outcome.seconds:.1f} s")
    return 0


def _run(args: argparse.Namespace, home: SalesplanHome) -> int:
    from pipelines import runner

    outcome = runner.replan(home, args.as_of, progress=_progress, lang=args.lang, wait_s=args.wait)
    _print_outcome(outcome)
    return 0


def _backfill(args: argparse.Namespace, home: SalesplanHome) -> int:
    from pipelines import runner

    first, last = parse_month(args.first), parse_month(args.last)
    if first > last:
        raise CliError(f"--from {args.first} is after --to {args.last}")
    months = [format_month(month) for month in months_between(first, last)]
    outcome = runner.backfill(home, months, progress=_progress, lang=args.lang, wait_s=args.wait)
    seconds = outcome.ingest.seconds + sum(month.seconds for month in outcome.months)
    _progress(f"backfill done: {len(months)} months, {months[0]} .. {months[-1]}, {seconds:.0f} s")
    return 0


def _republish(args: argparse.Namespace, home: SalesplanHome) -> int:
    from publishing.publish import republish
    from salesplan.locks import exclusive_lock

    # The lock a re-plan holds: one writer of published/ at a time.
    with exclusive_lock(home.root / "warehouse.lock", purpose="republish", timeout_s=args.wait):
        publication = republish(home.published)
    _progress(
        f"published as-of {publication.as_of_month} again as snapshot "
        f"{publication.snapshot.name}, its views reading {publication.snapshot}"
    )
    print(f"  BI tables (DuckDB, read-only): {home.published / 'salesplan.duckdb'}")
    return 0


def _demo(args: argparse.Namespace, home: SalesplanHome) -> int:
    import shutil

    from demodata import generate
    from pipelines import runner

    if args.fresh and home.root.exists():
        shutil.rmtree(home.root)
    if not any(home.extracts.glob("*/")):
        _progress(f"generating the {args.size} demo into {home.landing}")
        generate(home.root, size=args.size, end_month=DEMO_END_MONTH, progress=_progress)
    else:
        _progress(f"reusing the extracts already in {home.extracts} (use --fresh to regenerate)")
    as_of = format_month(add_months(parse_month(_latest_extract_month(home)), 1))
    outcome = runner.replan(home, as_of, progress=_progress, lang=args.lang)
    _print_outcome(outcome)
    return 0


def _latest_extract_month(home: SalesplanHome) -> str:
    months = sorted(
        folder.name for folder in home.extracts.iterdir() if folder.is_dir() and _is_month(folder)
    )
    if not months:
        raise CliError(f"no extract folders (YYYY-MM) in {home.extracts}")
    return months[-1]


def _is_month(folder: Path) -> bool:
    try:
        parse_month(folder.name)
    except ValueError:
        return False
    return True


def _print_outcome(outcome: object) -> None:
    lines = getattr(outcome, "summary_lines", None)
    for line in lines() if callable(lines) else []:
        print(line)


_COMMANDS = {
    "generate": _generate,
    "ingest": _ingest,
    "run": _run,
    "backfill": _backfill,
    "republish": _republish,
    "demo": _demo,
}


if __name__ == "__main__":
    sys.exit(main())
