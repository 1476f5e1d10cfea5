"""The ``rnnsim`` command (THEORY §6): inspect, run and check networks from a terminal.

    rnnsim info NET.json|example          size, hidden size, τ, depth, node count by kind
    rnnsim run NET.json|example --tokens 0110 [--arithmetic fixed:8:16] [--engine …]
                                          [--trace GLOB] [--vcd out.vcd]
    rnnsim example [--save PATH]          the shipped example network
    rnnsim lemmas [--strict]              paper-to-code table (lemma → code → tests)
    rnnsim demo|schedule|check|bench …    the constructions demo, output schedules,
                                          the paper checks, the engine benchmarks

This is the only module of the core that names application modules (by string, imported
lazily inside the subcommands that need them: :data:`_DELEGATED`, ``workflows.lemmas``).

Error contract, the same for every subcommand (README, THEORY §6): an error prints exactly
one line ``rnnsim: error: …`` on standard error, never a traceback, and exits with

    0    success (for check, demo, lemmas --strict: every check passed)
    1    bad input (file, tokens, arithmetic, a run-time error) or a failed check
    2    bad command line, or a command this installation lacks
    3    internal error (a bug in rnnsim; RNNSIM_DEBUG=1 shows the traceback)
    130  interrupted

Usage errors of the delegated commands' own argument parsers are turned into the same one
line (:func:`_one_line_usage_errors`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import re
import sys
from fractions import Fraction
from pathlib import Path

from . import __version__
from .cli_paths import UsageError as _UsageError
from .cli_paths import check_figure_path, check_writable  # noqa: F401 (also importable from here)
from .errors import InputError, RNNSimError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

_DELEGATED = {
    "demo": ("workflows.demo", "build, simulate and verify a boosted network on the shipped example"),
    "schedule": ("workflows.schedule_figure", "print the output schedule t(i, n, m) of an enumeration network"),
    "check": ("workflows.check_runner", "run the numerical checks of the paper's lemmas"),
    "selfboost": ("workflows.selfboost_cli", "Theorem 1: boost an LM RNN until no distinguisher of a class has advantage > ε"),
    "growth": ("workflows.growth", "size, hidden size and τ of boost / boost_simple over rounds, against the closed forms"),
    "algorithm1": ("workflows.algorithm1", "Algorithm 1: loss minimization over growing classes, Lemma 4's bad set"),
    "bits": ("workflows.theorem2", "Theorem 2: bit size per boosting round — claimed, measured, the paper's closed forms"),
}


def _load_net(spec: str):
    from . import io

    p = Path(spec)
    if p.suffix != ".json" and not p.exists() and (spec == "example" or spec in io.example_names()):
        return io.load_example(spec)
    return io.load(p)


_TOKEN = re.compile(r"[0-9]+", re.ASCII)


def _parse_tokens(text: str, alphabet: int, input_name: str = "x", tau: int = 1) -> list[int]:
    """Strict: digits (``0110``) or comma/space-separated decimal integers (``0,2,1``); an
    empty item, a sign, a non-ASCII digit, a float or a token outside Σ is an InputError
    naming its position (nothing is skipped, rounded or wrapped)."""
    how = f"write digits (0110) or comma-separated integers (0,2,1) over Σ = 0..{alphabet - 1}"
    stripped = text.strip()
    if not stripped:
        raise InputError(f"--tokens is empty; {how}")
    if re.search(r"[,\s]", stripped):
        parts = re.split(r"\s*,\s*|\s+", stripped)
    else:
        parts = list(stripped)
    out = []
    for m, part in enumerate(parts, start=1):
        if part == "":
            raise InputError(f"--tokens {_clip(text)!r}: item {m} is empty; {how}")
        if not _TOKEN.fullmatch(part):
            raise InputError(f"--tokens {_clip(text)!r}: item {m} ({_clip(part)!r}) is not a token; {how}")
        if len(part.lstrip("0")) > len(str(alphabet)):
            v_text = _clip(part)
        else:
            v = int(part)
            if v < alphabet:
                out.append(v)
                continue
            v_text = str(v)
        raise InputError(f"input node {input_name!r} at time {(m - 1) * tau}: token x_{m} = {v_text} "
                         f"(position {m}) is outside Σ = {{0, …, {alphabet - 1}}}")
    return out


def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


_MAX_EXACT_DIGITS = 4000     # exact outputs with more digits are shown as a decimal approximation


def _decimal(v) -> str:
    """v ≈ with 10 significant digits, for any int, Fraction or float (also beyond 1e308)."""
    if isinstance(v, float):
        return f"{v:.10g}"
    v = Fraction(v)
    if v == 0:
        return "0"
    lg = math.log10(abs(v.numerator)) - math.log10(v.denominator)
    e = math.floor(lg)
    mant = 10 ** (lg - e)
    if mant >= 9.9999999995:
        mant, e = 1.0, e + 1
    if -5 <= e < 10:
        return f"{float(v):.10g}"
    return f"{'-' if v < 0 else ''}{mant:.9f}".rstrip("0").rstrip(".") + f"e{e:+03d}"


def _exact(v) -> str:
    """The exact text of an output value (p/q in full), or a note when it is too long to print."""
    if isinstance(v, float):
        return repr(v)
    v = Fraction(v)
    digits = max(len(str(abs(v.numerator))) if abs(v.numerator) < 10 ** _MAX_EXACT_DIGITS else _MAX_EXACT_DIGITS + 1,
                 len(str(v.denominator)) if v.denominator < 10 ** _MAX_EXACT_DIGITS else _MAX_EXACT_DIGITS + 1)
    if digits > _MAX_EXACT_DIGITS:
        return f"(exact rational with more than {_MAX_EXACT_DIGITS} digits)"
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


# ---- subcommands ---------------------------------------------------------------------------

def cmd_info(args) -> int:
    rnn = _load_net(args.net)
    hidden = set(rnn.hidden)
    n_other = sum(1 for n in rnn.nodes if n not in hidden and n not in rnn.inputs)
    kinds = rnn.kind_counts()
    print(f"network     {rnn.name}")
    print(f"size        {rnn.size}  (inputs {len(rnn.inputs)}, hidden {len(hidden)}, other {n_other})")
    print(f"hidden size {rnn.hidden_size}")
    print(f"tau         {rnn.tau}")
    print(f"depth       {rnn.depth}")
    print(f"alphabet    {rnn.alphabet}  (input encoding: {rnn.input_encoding})")
    print(f"output      {rnn.output}")
    print("operations  " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    top: dict[str, int] = {}
    for n in rnn.nodes:
        head = n.split(".", 1)[0] if "." in n else "(top level)"
        top[head] = top.get(head, 0) + 1
    if len(top) > 1:
        print("by prefix   " + ", ".join(f"{k} {v}" for k, v in top.items()))
    for k, v in rnn.meta.items():
        if isinstance(v, (str, int, float)):
            print(f"{'meta' if k == next(iter(rnn.meta)) else '':<11} {k}: {v}")
    if args.nodes:
        print(rnn.describe())
    return 0


def cmd_run(args) -> int:
    from .simulate import simulate

    from .arith import parse_arithmetic

    arithmetic = parse_arithmetic(args.arithmetic)
    if args.vcd:
        check_writable(args.vcd, "--vcd")
    rnn = _load_net(args.net)
    tokens = _parse_tokens(args.tokens, rnn.alphabet, rnn.inputs[0], rnn.tau)
    want_trace = bool(args.trace or args.vcd)
    pats = args.trace or ["*"]
    engine = args.engine
    if want_trace and engine == "auto":
        engine = "reference"
    tr = simulate(rnn, tokens, arithmetic=arithmetic, engine=engine,
                  record="all" if want_trace else None, nodes=pats if want_trace else None)
    from .display import waveform, write_vcd

    print(f"# {rnn.name}: {len(tokens)} tokens, tau {rnn.tau}, arithmetic {tr.arithmetic}, output {rnn.output}")
    print("m\tx_m\toutput")
    for m, (x, v) in enumerate(zip(tokens, tr.outputs), start=1):
        exact_s = _exact(v)                     # exact: p/q in full
        fl = _decimal(v)
        print(f"{m}\t{x}\t{exact_s}" + (f"\t({fl})" if fl != exact_s else ""))
    if args.trace:
        print()
        print(waveform(tr, pats, start=args.start, stop=args.stop))
    if args.vcd:
        names = write_vcd(tr, args.vcd, pats)
        print(f"# wrote {len(names)} signal(s) to {args.vcd}", file=sys.stderr)
    return 0


def cmd_example(args) -> int:
    from . import io

    rnn = io.load_example(args.name)
    if args.save:
        check_writable(args.save, "--save")
        io.save(rnn, args.save)
        print(f"wrote {args.save}")
        return 0
    print(f"shipped examples: {', '.join(io.example_names())} ('example' = {io.DEFAULT_EXAMPLE})")
    print(f"file: {io.example_path(args.name)}")
    if "description" in rnn.meta:
        print(rnn.meta["description"])
    print(rnn.describe())
    print("\ntry:  rnnsim run example --tokens 0110 --trace '*'")
    return 0


def _collect_lemmas():
    """Fill the lemma table. The application layer imports every module that registers code
    (the core names none); returns (modules that failed to import, the shipped index)."""
    mod = importlib.import_module("workflows.lemmas")
    failed = mod.collect()
    if mod.SKIPPED:
        print(f"(skipped, optional dependency not installed: {'; '.join(mod.SKIPPED)})", file=sys.stderr)
    return failed, mod.index()


def cmd_lemmas(args) -> int:
    from . import registry

    failed, shipped = _collect_lemmas()
    if args.tests:
        tests_dir = Path(args.tests)
        if not tests_dir.is_dir():
            raise InputError(f"--tests {args.tests!r}: no such directory")
        rows = registry.table(tests_dir)
    else:
        rows = registry.table(shipped)
    print(registry.format_table(rows))
    bad = False
    if failed:
        bad = True
        print(f"\n{len(failed)} module(s) could not be imported: {'; '.join(failed)}", file=sys.stderr)
    pending = [r["lemma"] for r in rows if r["status"].startswith("no code yet")]
    if pending:
        print(f"\n{len(pending)} statement(s) with no code yet (being built): {', '.join(pending)}", file=sys.stderr)
    fails = registry.failures(rows)
    if fails["without code"]:
        bad = True
        print(f"\n{len(fails['without code'])} statement(s) without code: {', '.join(fails['without code'])}",
              file=sys.stderr)
    if fails["without a test"]:
        bad = True
        print(f"\n{len(fails['without a test'])} lemma(s) without a test: {', '.join(fails['without a test'])}",
              file=sys.stderr)
    return 1 if (bad and args.strict) else 0


def _delegate(cmd: str, argv: list[str]) -> int:
    modname, _ = _DELEGATED[cmd]
    try:
        mod = importlib.import_module(modname)
    except ModuleNotFoundError as e:
        if e.name and (modname == e.name or modname.startswith(e.name + ".")):
            raise _UsageError(f"the '{cmd}' command needs {modname}, which is not available in this "
                              f"installation ({e})") from None
        raise
    return _exit_code(mod.main(argv))


def cmd_bench(argv: list[str]) -> int:
    from .bench.throughput import main as bench_main

    return _exit_code(bench_main(argv, prog="rnnsim bench"))


# ---- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="rnnsim",
        description="Build, simulate and check the RNN constructions of the paper 'Provable Long-Range "
                    "Benefits of Next-Token Prediction' (Cao & Vempala, 2025). Errors print one line "
                    "'rnnsim: error: ...' and exit with status 1 (bad input), 2 (bad command line), "
                    "3 (internal error).",
    )
    p.add_argument("--version", action="version", version=f"rnnsim {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("info", help="size, hidden size, tau, depth and node counts of a network")
    s.add_argument("net", help="network JSON file, or 'example' for the shipped example")
    s.add_argument("--nodes", action="store_true", help="also list every node with its transition")
    s.set_defaults(fn=cmd_info)

    s = sub.add_parser("run", help="simulate a network on one document and print its outputs")
    s.add_argument("net", help="network JSON file, or 'example'")
    s.add_argument("--tokens", required=True,
                   help="the document: digits (0110) or comma-separated integers (0,2,1), each in 0..b-1")
    s.add_argument("--arithmetic", default="exact",
                   help="exact (default here; the Python functions default to float64), float64, "
                        "or fixed:INT_BITS:FRAC_BITS[:saturate]")
    s.add_argument("--engine", default="auto", help="auto (default), reference, numba or cupy")
    s.add_argument("--trace", action="append", metavar="GLOB",
                   help="show a text waveform of the nodes matching GLOB (repeatable; e.g. 'count.*')")
    s.add_argument("--vcd", metavar="FILE", help="write the traced nodes (all if no --trace) to a VCD file")
    s.add_argument("--start", type=int, default=None, help="first time step shown in the waveform")
    s.add_argument("--stop", type=int, default=None, help="time step after the last one shown")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("example", help="describe the shipped example network (or save a copy)")
    s.add_argument("name", nargs="?", default="example")
    s.add_argument("--save", metavar="PATH", help="write the example to PATH")
    s.set_defaults(fn=cmd_example)

    s = sub.add_parser("lemmas", help="the paper-to-code table: lemma, statement, code, tests")
    s.add_argument("--strict", action="store_true",
                   help="exit 1 when a statement has no code (and is not being built) or no test")
    s.add_argument("--tests", metavar="DIR",
                   help="scan this tests directory for markers (default: the index shipped with rnnsim)")
    s.set_defaults(fn=cmd_lemmas)

    for name, (mod, helptext) in _DELEGATED.items():
        sub.add_parser(name, help=f"{helptext} ({mod}; options: rnnsim {name} --help)", add_help=False)
    sub.add_parser("bench", help="engine throughput in node-updates per second (options: rnnsim bench --help)",
                   add_help=False)
    return p


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


@contextlib.contextmanager
def _one_line_usage_errors():
    """While a command runs, every argparse parser (also those of the delegated commands,
    which build their own) reports a usage error by raising :class:`_UsageError` instead of
    printing the usage text and exiting, so that the error is one line like every other."""
    original = argparse.ArgumentParser.error

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    argparse.ArgumentParser.error = error
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original


def _exit_code(rc) -> int:
    if rc is None:
        return EXIT_OK
    if isinstance(rc, bool) or not isinstance(rc, int):
        raise _UsageError(f"command returned {rc!r}") if isinstance(rc, str) else TypeError(rc)
    return rc


def _one_line(text: str) -> str:
    """A multi-line message (e.g. every problem of a network) as one line: "first rest; rest"."""
    lines = [ln.strip() for ln in re.split(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", str(text)) if ln.strip()]
    if not lines:
        return ""
    return lines[0] + ("" if len(lines) == 1 else " " + "; ".join(lines[1:]))


def _fail(message: str, status: int) -> int:
    try:
        print(f"rnnsim: error: {_one_line(message)}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr gone: the status still says it
        pass
    return status


def _robust_streams() -> None:
    """Never crash while printing: unencodable characters (a lone surrogate in a name, a
    terminal without UTF-8) are written as escapes."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError, AttributeError):
                pass


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in _DELEGATED:
        return _delegate(argv[0], argv[1:])
    if argv and argv[0] == "bench":
        return cmd_bench(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "fn", None):
        parser.print_help()
        raise _UsageError("no command given (see the list above)")
    return _exit_code(args.fn(args))


def main(argv: list[str] | None = None) -> int:
    """The ``rnnsim`` command; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _robust_streams()
    try:
        with _one_line_usage_errors():
            return _dispatch(argv)
    except _UsageError as e:
        return _fail(str(e), EXIT_USAGE)
    except RNNSimError as e:
        return _fail(str(e) or type(e).__name__, EXIT_INPUT)
    except SystemExit as e:  # --help, --version, or a delegated command's sys.exit(...)
        if e.code is None or isinstance(e.code, int) and not isinstance(e.code, bool):
            return e.code or EXIT_OK
        return _fail(str(e.code), EXIT_INPUT)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # e.g. rnnsim lemmas | head
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes it at exit
        return EXIT_OK
    except OSError as e:  # the file system: a path the command was given to read or write
        where = f" {e.filename!r}" if e.filename else ""
        return _fail(f"cannot access{where}: {e.strerror or e}", EXIT_INPUT)
    except MemoryError:
        return _fail("out of memory (the network, document or exact values are too large)", EXIT_INPUT)
    except Exception as e:  # noqa: BLE001 - the contract: one line, never a traceback
        if os.environ.get("RNNSIM_DEBUG"):
            raise
        return _fail(f"internal error ({type(e).__name__}: {e}); this is a bug in rnnsim, please report it "
                     "with the command line (RNNSIM_DEBUG=1 shows the traceback)", EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
