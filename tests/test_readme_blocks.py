"""Every Python block of the README and of the docs' Markdown pages runs as written.

Each ```python block runs on its own, in a fresh interpreter in an empty
directory, with this checkout's package importable. A ```text block that
follows it directly (nothing but blank lines between) is its output: the
block must print exactly that. A block whose imports are not installed (an
optional extra, or a module of a newer version of a dependency) is skipped.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The Markdown the documentation is written in (generated pages excluded).
SOURCES = [ROOT / "README.md"] + sorted(
    path
    for path in (ROOT / "docs").rglob("*.md")
    if not {"_build", "_generated", "auto_examples", "api"} & set(path.parts)
)
FENCE = re.compile(r"^(`{3,}|~{3,})(\S*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)


def code_blocks(path):
    """(line, code, expected output or None) of every ```python block in path."""
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if fence.group(2) != "python":
            continue
        expected = None
        following = fences[i + 1] if i + 1 < len(fences) else None
        if (
            following is not None
            and following.group(2) == "text"
            and not text[fence.end() : following.start()].strip()
        ):
            expected = following.group(3)
        line = text.count("\n", 0, fence.start()) + 1
        blocks.append((line, fence.group(3), expected))
    return blocks


BLOCKS = [
    pytest.param(code, expected, id=f"{path.relative_to(ROOT)}:{line}")
    for path in SOURCES
    for line, code, expected in code_blocks(path)
]


def _installed(name):
    """Whether module ``name`` (dotted: its packages too) can be imported."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def missing_modules(code):
    """The modules the code imports that are not installed.

    Dotted names count whole, so that a block importing ``sklearn.callback``
    (scikit-learn >= 1.9) is skipped with an older scikit-learn.
    """
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return sorted(name for name in names if not _installed(name))


def test_the_sources_have_blocks():
    ids = [block.id for block in BLOCKS]
    assert any(i.startswith("README.md:") for i in ids)
    assert any(i.startswith("docs/user_guide/") for i in ids)
    # A block with a shown output, so that the comparison runs.
    assert any(block.values[1] is not None for block in BLOCKS)


def test_a_text_block_after_a_python_block_is_its_output():
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nx = 2\n```\n"
    path = ROOT / "tests" / "_blocks_probe.md"
    try:
        path.write_text(text)
        assert code_blocks(path) == [(1, "print(1)\n", "1\n"), (8, "x = 2\n", None)]
    finally:
        path.unlink()


def test_a_block_importing_a_missing_module_or_submodule_is_skipped():
    code = "import numpy\nfrom sklearn.no_such_module import x\nimport no_such.sub\n"
    assert missing_modules(code) == ["no_such.sub", "sklearn.no_such_module"]


@pytest.mark.parametrize(("code", "expected"), BLOCKS)
def test_block_runs_as_written(code, expected, tmp_path):
    missing = missing_modules(code)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="agg")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if expected is not None:
        assert result.stdout == expected
