"""The ``rnnsim`` command (THEORY §6): inspect, run and check networks from a terminal.

    rnnsim info NET.json|example          size, hidden size, τ, depth, node count by kind
    rnnsim run NET.json|example --tokens 0110 [--arithmetic fixed:8:16] [--engine …]
                                          [--trace GLOB] [--vcd out.vcd]
    rnnsim example [--save PATH]          the shipped example network
    rnnsim lemmas [--strict]              paper-to-code table (lemma → code → tests)
    rnnsim demo|schedule|check|bench …    the constructions demo, output schedules,
                                          the paper checks, the engine benchmarks

This is the only module of the core that imports ``constructions``/``proofs_checks`` (lazily,
inside the subcommands that need them). Every rnnsim error prints one line
``rnnsim: error: …`` and exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import runpy
import sys
from pathlib import Path

from . import __version__
from .errors import InputError, RNNSimError

_DELEGATED = {
    "demo": ("workflows.demo", "build, simulate and verify a boosted network on the shipped example"),
    "schedule": ("workflows.schedule_figure", "print the output schedule t(i, n, m) of an enumeration network"),
    "check": ("workflows.check_runner", "run the numerical checks of the paper's lemmas"),
    "algorithm1": ("workflows.algorithm1", "Algorithm 1: loss minimization over growing classes, Lemma 4's bad set"),
    "bits": ("workflows.theorem2", "Theorem 2: bit size per boosting round — claimed, measured, the paper's closed forms"),
}
_REPO = Path(__file__).resolve().parent.parent


def _load_net(spec: str):
    from . import io

    p = Path(spec)
    if p.suffix != ".json" and not p.exists() and (spec == "example" or spec in io.example_names()):
        return io.load_example(spec)
    return io.load(p)


def _parse_tokens(text: str, alphabet: int) -> list[int]:
    text = text.strip()
    if not text:
        raise InputError("--tokens is empty; give a document such as 0110 (or 0,2,1 for b > 10)")
    parts = text.replace(" ", ",").split(",") if ("," in text or " " in text) else list(text)
    try:
        return [int(p) for p in parts if p != ""]
    except ValueError:
        raise InputError(
            f"--tokens {text!r}: write digits (0110) or comma-separated integers (0,2,1) over Σ = 0..{alphabet - 1}"
        ) from None


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

    rnn = _load_net(args.net)
    tokens = _parse_tokens(args.tokens, rnn.alphabet)
    want_trace = bool(args.trace or args.vcd)
    pats = args.trace or ["*"]
    engine = args.engine
    if want_trace and engine == "auto":
        engine = "reference"
    tr = simulate(rnn, tokens, arithmetic=args.arithmetic, engine=engine,
                  record="all" if want_trace else None, nodes=pats if want_trace else None)
    from .display import waveform, write_vcd

    print(f"# {rnn.name}: {len(tokens)} tokens, tau {rnn.tau}, arithmetic {tr.arithmetic}, output {rnn.output}")
    print("m\tx_m\toutput")
    for m, (x, v) in enumerate(zip(tokens, tr.outputs), start=1):
        exact_s = repr(float(v)) if isinstance(v, float) else str(v)  # exact: p/q in full
        fl = f"{float(v):.10g}"
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


def cmd_lemmas(args) -> int:
    from . import registry

    missing = registry.load_all()
    tests_dir = Path(args.tests) if args.tests else _REPO / "tests"
    rows = registry.table(tests_dir if tests_dir.is_dir() else None)
    print(registry.format_table(rows))
    if missing:
        print(f"\n(not importable here: {', '.join(missing)})", file=sys.stderr)
    untested = [r["lemma"] for r in rows if r["status"] == "NO TEST"]
    if not tests_dir.is_dir():
        print(f"\n(no tests directory at {tests_dir}; test column empty)", file=sys.stderr)
    elif untested:
        print(f"\n{len(untested)} lemma(s) without a test: {', '.join(untested)}", file=sys.stderr)
        if args.strict:
            return 1
    return 0


def _delegate(cmd: str, argv: list[str]) -> int:
    modname, _ = _DELEGATED[cmd]
    try:
        mod = importlib.import_module(modname)
    except ModuleNotFoundError as e:
        if e.name and (modname == e.name or modname.startswith(e.name + ".")):
            print(
                f"rnnsim: the '{cmd}' command needs {modname}, which is not available in this "
                f"installation yet ({e}).", file=sys.stderr,
            )
            return 2
        raise
    rc = mod.main(argv)
    return int(rc or 0)


def cmd_bench(argv: list[str]) -> int:
    script = _REPO / "benchmarks" / "bench_engines.py"
    if not script.is_file():
        print(f"rnnsim: no benchmarks found (expected {script}; they ship with the source tree)", file=sys.stderr)
        return 2
    old = sys.argv
    sys.argv = ["rnnsim bench"] + list(argv)
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = old
    return 0


# ---- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rnnsim",
        description="Build, simulate and check the RNN constructions of 'next-token loss "
                    "minimization yields k-token indistinguishable RNN language models'.",
    )
    p.add_argument("--version", action="version", version=f"rnnsim {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    s = sub.add_parser("info", help="size, hidden size, tau, depth and node counts of a network")
    s.add_argument("net", help="network JSON file, or 'example' for the shipped example")
    s.add_argument("--nodes", action="store_true", help="also list every node with its transition")
    s.set_defaults(fn=cmd_info)

    s = sub.add_parser("run", help="simulate a network on one document and print its outputs")
    s.add_argument("net", help="network JSON file, or 'example'")
    s.add_argument("--tokens", required=True, help="the document: digits (0110) or comma-separated ints")
    s.add_argument("--arithmetic", default="exact",
                   help="exact (default), float64, or fixed:INT_BITS:FRAC_BITS[:saturate]")
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
    s.add_argument("--strict", action="store_true", help="exit 1 when some lemma has no test")
    s.add_argument("--tests", metavar="DIR", help="tests directory to scan (default: the repository's tests/)")
    s.set_defaults(fn=cmd_lemmas)

    for name, (mod, helptext) in _DELEGATED.items():
        sub.add_parser(name, help=f"{helptext} ({mod}; options: rnnsim {name} --help)", add_help=False)
    sub.add_parser("bench", help="run the engine benchmarks (benchmarks/bench_engines.py)", add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in _DELEGATED:
            return _delegate(argv[0], argv[1:])
        if argv and argv[0] == "bench":
            return cmd_bench(argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "fn", None):
            parser.print_help()
            return 2
        return args.fn(args)
    except RNNSimError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()] or [type(e).__name__]
        msg = lines[0] + ("" if len(lines) == 1 else " " + "; ".join(lines[1:]))
        print(f"rnnsim: error: {msg}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. rnnsim lemmas | head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
