"""README.md: every Python snippet runs as written, as a user copies it (each in a fresh
interpreter, in an empty working directory, with nothing imported for it), and every ``print(…)  # output`` comment that
shows an output is what the line prints."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

PRELUDE = textwrap.dedent('''
    def __claim(args, comment):
        shown = " ".join(map(str, args))
        print(shown)
        # a comment that starts with data (not a word) claims the output; prose may follow
        if comment[:1] and not comment[:1].isalpha():
            rest = comment[len(shown):]
            assert comment.startswith(shown) and (rest == "" or rest[0] in ": "), (
                f"README claims {comment!r} but the line prints {shown!r}")
            return 1
        return 0
''')
_PRINT = re.compile(r"^(\s*)print\((.*)\)\s+# (.*)$")


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def instrument(code: str) -> tuple[str, int]:
    out, n = [], 0
    for line in code.splitlines():
        m = _PRINT.match(line)
        if m:
            n += 1
            line = f"{m.group(1)}__claimed += __claim(({m.group(2)},), {m.group(3)!r})"
        out.append(line)
    return "__claimed = 0\n" + "\n".join(out) + "\nprint('CLAIMS CHECKED', __claimed)\n", n


def test_the_readme_has_snippets_and_starts_with_the_two_commands():
    assert len(snippets()) >= 3
    head = README.read_text(encoding="utf-8").split("\n#", 1)[0]
    assert "pip install -e .[test] && rnnsim demo" in head and "pytest -q" in head
    assert "Provable Long-Range Benefits of Next-Token Prediction" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("i", range(len(snippets())))
def test_readme_snippet_runs_as_written(i, tmp_path):
    code, n_prints = instrument(snippets()[i])
    r = subprocess.run([sys.executable, "-c", PRELUDE + code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300, env=_env())
    assert r.returncode == 0, f"README snippet {i + 1} failed:\n{snippets()[i]}\n{r.stderr[-3000:]}"
    assert "CLAIMS CHECKED" in r.stdout


def test_output_claims_are_checked_and_a_false_claim_fails(tmp_path):
    code, _ = instrument("print(1 + 1)  # 2\nprint(6 * 7)  # 43: the answer\n")
    r = subprocess.run([sys.executable, "-c", PRELUDE + code], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120, env=_env())
    assert r.returncode != 0 and "README claims '43: the answer' but the line prints '42'" in r.stderr
    total = sum(instrument(s)[1] for s in snippets())
    assert total >= 5


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env
