"""Peak memory and time of one CharLanguageModel epoch as the corpus grows.

A script, not a test. Run from the repository root::

    python benchmarks/text_memory.py                  # ~5 min on 2 cores
    python benchmarks/text_memory.py --sizes 100000 200000 --no-dense

The corpus is Python source that every installation has: the standard
library's ``.py`` files that are pure ASCII, in sorted order, concatenated
into one text and cut to each size (nothing is downloaded). For each size,
one fresh interpreter imports the package, reads the corpus, and fits
``CharLanguageModel(hidden_size=64, max_iter=1, random_state=0)`` (one epoch,
the default window of 64 characters and batches of 200 windows). It reports

* the peak resident memory of the fit above the interpreter's just before
  it (``ru_maxrss`` after the fit minus ``ru_maxrss`` before it, the corpus
  loaded and a warm-up fit on its first 2,000 characters done, so that
  BLAS's buffers and lazy imports count as the interpreter's): everything
  the fit allocates, not only NumPy's arrays;
* the wall-clock time of the whole ``fit`` call (encoding, windows and the
  epoch);
* the loss of the epoch, so that the two implementations can be seen to
  train the same model.

"codes" is the package of this checkout, which keeps the corpus as integer
codes; "dense" is the package at ``--dense-commit`` (the last commit whose
language model built a dense float64 one-hot corpus), extracted with
``git archive`` into a temporary directory. The table goes to
``benchmarks/results/text_memory.md``.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DENSE_COMMIT = "a08b07a"  # main before integer codes: the dense one-hot corpus
SIZES = (125_000, 250_000, 500_000, 1_000_000)


def corpus(n_chars):
    """The first n_chars characters of the standard library's ASCII .py files."""
    parts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        try:
            text = path.read_text(encoding="ascii")
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(text)
        total += len(text)
        if total >= n_chars:
            break
    text = "".join(parts)[:n_chars]
    if len(text) < n_chars:
        raise SystemExit(f"The standard library holds only {len(text)} characters.")
    return text


def worker(corpus_path, hidden_size):
    """One fit in this interpreter; prints its measures as JSON."""
    from sklearn.exceptions import ConvergenceWarning

    import sklearn_attnrnn
    from sklearn_attnrnn import CharLanguageModel

    text = Path(corpus_path).read_text(encoding="ascii")
    lm = CharLanguageModel(hidden_size=hidden_size, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A warm-up fit on a few windows: BLAS's thread buffers and the
        # imports done on first use belong to the interpreter, not the corpus.
        CharLanguageModel(hidden_size=hidden_size, max_iter=1).fit(text[:2000])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        start = time.perf_counter()
        lm.fit(text)
        seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "package": str(Path(sklearn_attnrnn.__file__).parent),
                "chars": len(text),
                "vocabulary": len(lm.classes_),
                "peak_above_mib": (after - before) / 1024,
                "interpreter_mib": before / 1024,
                "seconds": seconds,
                "loss": float(lm.loss_),
                "numpy": np.__version__,
            }
        )
    )


def run(package_root, corpus_path, hidden_size):
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(corpus_path), str(hidden_size)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def extract(commit, into):
    """The package as it was at ``commit``, under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "sklearn_attnrnn"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def table(results, args, load):
    sizes = sorted({r["chars"] for r in results})
    by = {(r["impl"], r["chars"]): r for r in results}
    impls = [i for i in ("dense", "codes") if any(r["impl"] == i for r in results)]
    lines = [
        f"Measured on {time.strftime('%Y-%m-%d')} on "
        f"{platform.processor() or platform.machine()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, NumPy "
        f"{results[0]['numpy']}; load average {load[0]:.2f} at the start, "
        f"{load[1]:.2f} at the end.",
        "",
        f"One epoch of `CharLanguageModel(hidden_size={args.hidden}, max_iter=1, "
        "random_state=0)` (window 64, batches of 200 windows) on the first "
        "characters of the standard library's ASCII `.py` files, one fresh "
        "interpreter per cell; peak memory is the fit's peak resident memory "
        "above the interpreter's just before it (corpus loaded, after a warm-up "
        "fit on 2,000 characters); time is the "
        "whole `fit` call. "
        + (
            f"dense: the package at commit {args.dense_commit} (a float64 one-hot "
            "corpus); codes: this checkout (integer codes)."
            if "dense" in impls
            else "codes: this checkout (integer codes)."
        ),
        "",
    ]
    header = "| characters | vocabulary |"
    rule = "|---:|---:|"
    for impl in impls:
        header += f" {impl}: peak MiB | {impl}: fit s |"
        rule += "---:|---:|"
    if len(impls) == 2:
        header += " loss dense − codes |"
        rule += "---:|"
    lines += [header, rule]
    for n in sizes:
        vocabulary = next(by[(i, n)]["vocabulary"] for i in impls if (i, n) in by)
        row = f"| {n:,} | {vocabulary} |"
        for impl in impls:
            r = by.get((impl, n))
            row += (
                " – | – |"
                if r is None
                else (f" {r['peak_above_mib']:.1f} | {r['seconds']:.1f} |")
            )
        if len(impls) == 2 and all((i, n) in by for i in impls):
            row += f" {by[('dense', n)]['loss'] - by[('codes', n)]['loss']:.1e} |"
        lines.append(row)
    # Linear in the characters: the least-squares line through the peaks, and
    # how far the measured peaks fall from it.
    lines.append("")
    for impl in impls:
        points = [
            (n, by[(impl, n)]["peak_above_mib"]) for n in sizes if (impl, n) in by
        ]
        if len(points) < 2:
            continue
        n, mib = np.array(points).T
        slope, intercept = np.polyfit(n, mib, 1)
        residual = np.abs(mib - (intercept + slope * n)).max()
        lines.append(
            f"- {impl}: peak ≈ {intercept:.1f} MiB + {slope * 1e5:.2f} MiB per "
            f"100,000 characters (least squares over {len(points)} sizes; the "
            f"measured peaks are at most {residual:.1f} MiB off that line)."
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--dense-commit", default=DENSE_COMMIT)
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "text_memory.md"
    )
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        impls = {"codes": ROOT}
        if not args.no_dense:
            impls = {"dense": extract(args.dense_commit, tmp), **impls}
        text = corpus(max(args.sizes))
        for n in sorted(args.sizes):
            path = tmp / f"corpus_{n}.txt"
            path.write_text(text[:n], encoding="ascii")
            for impl, root in impls.items():
                r = run(root, path, args.hidden)
                r["impl"] = impl
                results.append(r)
                print(
                    f"{impl:>5} {n:>9,} chars: peak {r['peak_above_mib']:8.1f} MiB "
                    f"above the interpreter, fit {r['seconds']:6.1f} s, "
                    f"loss {r['loss']:.12f}",
                    flush=True,
                )
    markdown = table(results, args, (load_start, os.getloadavg()[0]))
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown, encoding="utf-8")
    print(f"Written to {args.out}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
    else:
        main()
