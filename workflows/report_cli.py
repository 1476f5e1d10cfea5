"""The command-line tail that the report workflows share (``rnnsim selfboost``, ``rnnsim
growth``; ``check_outputs`` also in ``bits`` and ``algorithm1``): the options ``--json``,
``--plot``, ``--bits``, ``--no-progress``; output paths checked before any work (bad input,
status 1; a figure without matplotlib is a command this installation lacks, status 2); and
the end of a run — the markdown table on stdout, the full record as JSON, the figure, the
failures on stderr and the exit status (0: every check passed, 1: a check failed)."""

from __future__ import annotations

import argparse
import json
import sys

from rnnsim.cli_paths import check_figure_path, check_writable


def add_report_options(ap: argparse.ArgumentParser, figure: str) -> None:
    """Add ``--json``, ``--plot`` (``figure``: what the PNG shows), ``--bits`` and ``--no-progress``."""
    ap.add_argument("--json", dest="json_out", default=None, help="write the full record to this JSON file")
    ap.add_argument("--plot", default=None, help=f"write the figure ({figure}) to this PNG")
    ap.add_argument("--bits", action="store_true",
                    help="add Theorem 2's bits column (integer / fractional bits per built round for output error "
                         "≤ 2^-12, by the Lemma 12 analysis)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable ``--plot`` / ``--json`` paths (InputError, status 1) and a figure
    without matplotlib (status 2) before any work."""
    if args.json_out:
        check_writable(args.json_out, "--json")
    if args.plot:
        check_figure_path(args.plot, "--plot")


def finish(rep, args: argparse.Namespace, table: str, figure, ok_line: str) -> int:
    """Print ``table``, write ``rep.as_dict()`` and ``figure(rep, path)`` where asked, report
    ``rep.failures``; the exit status."""
    print(table)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(rep.as_dict(), fh, indent=1, default=str)
    if args.plot:
        figure(rep, args.plot)
        print(f"\nwrote {args.plot}", file=sys.stderr)
    if rep.failures:
        print("\nFAILED:\n  " + "\n  ".join(rep.failures), file=sys.stderr)
        return 1
    print(f"\n{ok_line}")
    return 0
