"""Where the benchmark scripts write their results: ``benchmarks/results/<kind>-<time>.md``
(the table as printed) and ``.json`` (every run, with the machine and load)."""

from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(kind: str, markdown: str, payload: dict) -> Path:
    """Write the markdown table and the JSON record; return the markdown file's path."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = RESULTS / f"{kind}-{stamp}.md"
    md.write_text(markdown + "\n")
    (RESULTS / f"{kind}-{stamp}.json").write_text(json.dumps(payload, indent=1, default=str))
    return md
