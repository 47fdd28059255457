"""Accuracy benchmark: the attention RNN against standard baselines on real data.

For each data set, the test accuracy (mean and standard deviation over the
seeds) and the fit time of the estimator's configurations and of baselines:
the majority class, LogisticRegression on the flattened series (zero-padded),
1-NN DTW and MiniRocket (aeon) for the numeric sets, LogisticRegression on the
flattened one-hot letters and on TF-IDF character n-grams for the text set.

Only data that installed packages ship; nothing is downloaded:

- ``digits-rows`` / ``digits-pixels``: scikit-learn's 8x8 digits read row by
  row (8 steps x 8 features) or pixel by pixel (64 steps x 1), a stratified
  3/4 - 1/4 split (examples/_datasets.py);
- ``surnames``: surnames by language from Faker's name lists
  (examples/_datasets.py), 8 languages;
- ``BasicMotions``, ``GunPoint``, ``ArrowHead``, ``OSULeaf``: the UCR/UEA files
  aeon ships under ``aeon/datasets/data``, read with
  ``aeon.datasets.load_from_ts_file`` (no download code path), with their own
  train/test splits.

Seeds vary the models (initial weights, shuffling, MiniRocket's kernels), not
the splits. Results go to a JSON file, written after every fit (``--resume``
skips the fits it already holds), and to a markdown file the docs include::

    PYTHONPATH=$PWD python benchmarks/accuracy.py            # everything
    PYTHONPATH=$PWD python benchmarks/accuracy.py --quick    # a smoke run
    PYTHONPATH=$PWD python benchmarks/accuracy.py --datasets GunPoint \\
        --models "elman + scaler" --seeds 0 --set hidden_size=64 --tag H64
    PYTHONPATH=$PWD python benchmarks/accuracy.py --markdown-only

Needs the ``benchmarks`` extra (aeon) and the ``examples`` extra (Faker).
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FunctionTransformer, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

from _datasets import load_digits_sequences, names_train_test_split  # noqa: E402
from plot_names_by_language import flatten_end_aligned  # noqa: E402

import sklearn_attnrnn  # noqa: E402
from sklearn_attnrnn import (  # noqa: E402
    AttentionRNNClassifier,
    CharOneHotEncoder,
    SequenceStandardScaler,
)

RESULTS = ROOT / "benchmarks" / "results"
NUMERIC = ("digits-rows", "digits-pixels", "BasicMotions", "GunPoint", "ArrowHead")
NUMERIC += ("OSULeaf",)
TEXT = ("surnames",)
DATASETS = NUMERIC + TEXT
SEEDS = (0, 1, 2)

# The RNN configurations: name -> (the classifier's parameters, scale X).
# Text (one-hot letters) is never scaled: its "+ scaler" rows are the model
# on one-hot input, and its raw rows are not run.
RNN_MODELS = {
    "elman (raw X)": ({}, False),
    "elman + scaler": ({}, True),
    "gru (raw X)": ({"cell": "gru"}, False),
    "gru + scaler": ({"cell": "gru"}, True),
    "lstm + scaler": ({"cell": "lstm"}, True),
    "elman + scaler, 0.2 defaults": (
        {"hidden_size": 32, "max_iter": 200, "n_iter_no_change": 10},
        True,
    ),
}
BASELINES = (
    "majority class",
    "LogisticRegression, flattened",
    "1-NN DTW",
    "MiniRocket",
    "LogisticRegression, TF-IDF char 1-3-grams",
)
# Baselines that draw nothing at random: fitted once, reported for every seed.
DETERMINISTIC = {
    "majority class",
    "LogisticRegression, flattened",
    "1-NN DTW",
    "LogisticRegression, TF-IDF char 1-3-grams",
}
TEXT_ONLY = {"LogisticRegression, TF-IDF char 1-3-grams"}
NUMERIC_ONLY = {"1-NN DTW", "MiniRocket"}


def _aeon_data(name):
    """A shipped UCR/UEA set as (X_train, X_test, y_train, y_test), (n, T, c)."""
    import aeon.datasets
    from aeon.datasets import load_from_ts_file

    folder = Path(aeon.datasets.__file__).parent / "data" / name
    split = {}
    for part in ("TRAIN", "TEST"):
        path = folder / f"{name}_{part}.ts"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is not shipped with this aeon.")
        X, y = load_from_ts_file(str(path))
        split[part] = (np.asarray(X, dtype=np.float64).transpose(0, 2, 1), y)
    return split["TRAIN"][0], split["TEST"][0], split["TRAIN"][1], split["TEST"][1]


def load_dataset(name):
    """X_train, X_test, y_train, y_test of one data set of the suite."""
    if name == "digits-rows":
        return load_digits_sequences(random_state=0, read="rows")
    if name == "digits-pixels":
        return load_digits_sequences(random_state=0, read="pixels")
    if name == "surnames":
        return names_train_test_split(random_state=0)
    return _aeon_data(name)


def _flatten_zero_padded(X):
    """(n, T, F) with NaN padding -> (n, T * F), padding as zeros."""
    X = np.asarray(X, dtype=float)
    return np.nan_to_num(X, nan=0.0).reshape(len(X), -1)


def _channels_first(X):
    """(n, T, c) -> aeon's (n, c, T)."""
    return np.ascontiguousarray(np.asarray(X, dtype=float).transpose(0, 2, 1))


def _channels_first_min9(X):
    """aeon's (n, c, T), zero-padded at the end to the 9 steps MiniRocket needs."""
    X = _channels_first(X)
    return np.pad(X, [(0, 0), (0, 0), (0, max(0, 9 - X.shape[2]))])


def make_baseline(name, text, seed):
    """An unfitted baseline, as a pipeline from the data set's raw X."""
    if name == "majority class":
        return DummyClassifier()
    if name == "LogisticRegression, flattened":
        if text:
            return make_pipeline(
                CharOneHotEncoder(handle_unknown="ignore"),
                FunctionTransformer(flatten_end_aligned),
                LogisticRegression(max_iter=2000),
            )
        return make_pipeline(
            FunctionTransformer(_flatten_zero_padded),
            StandardScaler(),
            LogisticRegression(max_iter=2000),
        )
    if name == "LogisticRegression, TF-IDF char 1-3-grams":
        return make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)),
            LogisticRegression(max_iter=1000),
        )
    if name == "1-NN DTW":
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

        return make_pipeline(
            FunctionTransformer(_channels_first),
            KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1),
        )
    if name == "MiniRocket":
        from aeon.classification.convolution_based import MiniRocketClassifier

        return make_pipeline(
            FunctionTransformer(_channels_first_min9),
            MiniRocketClassifier(random_state=seed),
        )
    raise ValueError(f"unknown baseline {name!r}")


def make_rnn(params, scale, text, seed):
    """The RNN pipeline of one configuration."""
    rnn = AttentionRNNClassifier(random_state=seed, **params)
    if text:
        return make_pipeline(CharOneHotEncoder(handle_unknown="ignore"), rnn)
    return make_pipeline(SequenceStandardScaler(), rnn) if scale else rnn


def rnn_available(params):
    """Whether this package's classifier takes every parameter (e.g. ``cell``)."""
    return set(params) <= set(AttentionRNNClassifier().get_params())


def _parse_value(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"None": None, "True": True, "False": False}.get(text, text)


def parse_args(argv=None):
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=None)
    parser.add_argument("--models", nargs="+", default=None, help="RNN configs")
    parser.add_argument("--baselines", nargs="+", default=None)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="PARAM=VALUE",
        help="override a classifier parameter in every RNN config (with --tag)",
    )
    parser.add_argument("--tag", default="", help="appended to the RNN names")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--resume", action="store_true", help="skip stored fits")
    parser.add_argument("--json", type=Path, default=RESULTS / "accuracy.json")
    parser.add_argument("--markdown", type=Path, default=RESULTS / "accuracy.md")
    parser.add_argument(
        "--markdown-only", action="store_true", help="tables from --json only"
    )
    parser.add_argument("--title", default="Accuracy on real sequences")
    parser.add_argument(
        "--no-targets", action="store_true", help="no issue-12 targets section"
    )
    args = parser.parse_args(argv)
    unknown = set(args.models or ()) - set(RNN_MODELS)
    unknown |= set(args.baselines or ()) - set(BASELINES)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}")
    if args.set and not args.tag:
        parser.error("--set needs --tag, so that the results stay apart")
    return args


def _machine():
    import aeon

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(li.split(":", 1)[1].strip() for li in f if "model name" in li)
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "aeon": aeon.__version__,
        "sklearn_attnrnn": sklearn_attnrnn.__version__,
        "blas_threads": 1,
    }


def _load_results(path):
    if path.is_file():
        return json.loads(path.read_text())
    return {"meta": {}, "runs": []}


def _save(results, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(results, indent=1))
    tmp.replace(path)


def _store(path, record=None, meta=None, invocation=None):
    """Add one fit (replacing an older one of the same data set, model and
    seed), the machine or a finished invocation to the JSON file, read anew
    each time so that several processes can share it."""
    results = _load_results(path)
    if record is not None:
        key = (record["dataset"], record["model"], record["seed"])
        results["runs"] = [
            r for r in results["runs"] if (r["dataset"], r["model"], r["seed"]) != key
        ] + [record]
    if meta is not None:
        results["meta"] = {**results["meta"], **meta}
    if invocation is not None:
        results["meta"].setdefault("invocations", []).append(invocation)
    _save(results, path)
    return results


def _rnn_description(params, scale, text):
    """The exact estimator of a configuration, for the configs table."""
    shown = AttentionRNNClassifier(**params).get_params()
    keys = ["cell", "hidden_size", "learning_rate", "max_iter", "n_iter_no_change"]
    keys += ["tol", "alpha", "batch_size"]
    keys += sorted(set(params) - set(keys))  # every other setting changed
    settings = ", ".join(f"{k}={shown[k]!r}" for k in keys if k in shown)
    if text:
        return f"CharOneHotEncoder -> AttentionRNNClassifier({settings})"
    first = "SequenceStandardScaler() -> " if scale else ""
    return f"{first}AttentionRNNClassifier({settings})"


def run(args):
    """Fit everything asked for, saving the JSON after every fit."""
    datasets = args.datasets or (
        ["digits-rows", "GunPoint", "surnames"] if args.quick else list(DATASETS)
    )
    seeds = [0] if args.quick else args.seeds
    overrides = dict(item.split("=", 1) for item in args.set)
    overrides = {k: _parse_value(v) for k, v in overrides.items()}
    if args.quick:
        overrides.setdefault("max_iter", 20)
    models = args.models or (["elman + scaler"] if args.quick else list(RNN_MODELS))
    baselines = (
        []
        if args.no_baselines
        else args.baselines or (["majority class"] if args.quick else BASELINES)
    )
    results = _store(args.json, meta=_machine())
    done = {(r["dataset"], r["model"], r["seed"]) for r in results["runs"]}
    started = time.perf_counter()
    for dataset in datasets:
        text = dataset in TEXT
        X_train, X_test, y_train, y_test = load_dataset(dataset)
        print(
            f"# {dataset}: {len(X_train)} train / {len(X_test)} test",
            flush=True,
        )
        jobs = []
        for name in baselines:
            if (text and name in NUMERIC_ONLY) or (not text and name in TEXT_ONLY):
                continue
            for seed in seeds[:1] if name in DETERMINISTIC else seeds:
                jobs.append((name, "baseline", make_baseline(name, text, seed), seed))
        for name in models:
            params, scale = RNN_MODELS[name]
            params = {**params, **overrides}
            if (text and not scale) or not rnn_available(params):
                continue
            label = name + (f" [{args.tag}]" if args.tag else "")
            for seed in seeds:
                model = make_rnn(params, scale, text, seed)
                jobs.append((label, _rnn_description(params, scale, text), model, seed))
        for label, description, model, seed in jobs:
            if args.resume and (dataset, label, seed) in done:
                continue
            model = clone(model)
            start, cpu_start = time.perf_counter(), time.process_time()
            model.fit(X_train, y_train)
            fit_seconds = time.perf_counter() - start
            fit_cpu_seconds = time.process_time() - cpu_start
            start, cpu_start = time.perf_counter(), time.process_time()
            accuracy = float(model.score(X_test, y_test))
            predict_seconds = time.perf_counter() - start
            predict_cpu_seconds = time.process_time() - cpu_start
            last = model[-1] if hasattr(model, "steps") else model
            rnn = isinstance(last, AttentionRNNClassifier)
            record = {
                "dataset": dataset,
                "model": label,
                "seed": seed,
                "accuracy": accuracy,
                "fit_seconds": fit_seconds,
                "fit_cpu_seconds": fit_cpu_seconds,
                "predict_seconds": predict_seconds,
                "predict_cpu_seconds": predict_cpu_seconds,
                "n_iter": int(last.n_iter_) if rnn else None,
                "kind": "rnn" if rnn else "baseline",
                "config": description,
                "deterministic": label in DETERMINISTIC,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"
                ),
            }
            _store(args.json, record=record)
            print(
                f"  {label:45s} seed {seed}  accuracy {accuracy:.3f}  "
                f"fit {fit_seconds:7.1f} s  epochs {record['n_iter']}",
                flush=True,
            )
    invocation = {"argv": sys.argv[1:], "seconds": time.perf_counter() - started}
    return _store(args.json, invocation=invocation)


# ----------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------
def summarize(results):
    """(dataset, model) -> (mean accuracy, std, mean fit seconds, n seeds)."""
    by_cell = {}
    for r in results["runs"]:
        by_cell.setdefault((r["dataset"], r["model"]), []).append(r)
    summary = {}
    for key, runs in by_cell.items():
        accuracy = np.array([r["accuracy"] for r in runs])
        summary[key] = {
            "mean": float(accuracy.mean()),
            "std": float(accuracy.std()) if len(runs) > 1 else 0.0,
            # CPU seconds; results written before they were recorded have
            # the fit's wall-clock seconds only (shown as such)
            "fit_cpu_seconds": float(
                np.mean([r.get("fit_cpu_seconds", np.nan) for r in runs])
            ),
            "fit_seconds": float(np.mean([r["fit_seconds"] for r in runs])),
            "predict_cpu_seconds": float(
                np.mean([r.get("predict_cpu_seconds", np.nan) for r in runs])
            ),
            "epochs": float(np.mean([r["n_iter"] for r in runs]))
            if runs[0]["n_iter"]
            else None,
            "seeds": "all" if runs[0]["deterministic"] else len(runs),
        }
    return summary


def _models_in_order(results):
    names = list(dict.fromkeys(r["model"] for r in results["runs"]))
    order = {name: i for i, name in enumerate((*BASELINES, *RNN_MODELS))}
    return sorted(names, key=lambda n: (order.get(n.split(" [")[0], 99), n))


def _numeric_mean(summary, model, datasets):
    values = [summary[(d, model)]["mean"] for d in datasets if (d, model) in summary]
    return float(np.mean(values)) if len(values) == len(datasets) else None


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def accuracy_table(summary, models, datasets):
    numeric = [d for d in datasets if d in NUMERIC]
    header = ["model", *datasets, "numeric mean"]
    rows = []
    for model in models:
        row = [model]
        for d in datasets:
            s = summary.get((d, model))
            if s is None:
                row.append("—")
            elif s["seeds"] == 1:
                row.append(f"{s['mean']:.3f} (seed 0 only)")
            else:
                row.append(f"{s['mean']:.3f} ± {s['std']:.3f}")
        mean = _numeric_mean(summary, model, numeric)
        row.append(f"**{mean:.3f}**" if mean is not None else "—")
        rows.append(row)
    return _table(header, rows)


def time_table(summary, models, datasets):
    header = ["model", *datasets]
    rows = []
    for model in models:
        row = [model]
        for d in datasets:
            s = summary.get((d, model))
            if s is None:
                row.append("—")
            else:
                if np.isnan(s["fit_cpu_seconds"]):
                    row.append(f"{s['fit_seconds']:.1f} wall-clock")
                else:
                    cpu = (s["fit_cpu_seconds"], s["predict_cpu_seconds"])
                    row.append(f"{cpu[0]:.1f} / {cpu[1]:.2f}")
                if s["epochs"]:
                    row[-1] += f" ({s['epochs']:.0f} ep.)"
        rows.append(row)
    return _table(header, rows)


def _difference_table(summary, pairs, datasets):
    """Mean accuracy of model a minus model b, per data set."""
    numeric = [d for d in datasets if d in NUMERIC]
    header = ["comparison", *datasets, "numeric mean"]
    rows = []
    for title, a, b in pairs:
        row = [title]
        for d in datasets:
            if (d, a) in summary and (d, b) in summary:
                row.append(f"{summary[(d, a)]['mean'] - summary[(d, b)]['mean']:+.3f}")
            else:
                row.append("—")
        ma, mb = (_numeric_mean(summary, m, numeric) for m in (a, b))
        row.append(f"{ma - mb:+.3f}" if ma is not None and mb is not None else "—")
        rows.append(row)
    return _table(header, rows)


def evidence(summary, pairs, datasets):
    """One line per comparison: on how many numeric sets a beat b, by how much."""
    lines = []
    for title, a, b in pairs:
        gains = {
            d: summary[(d, a)]["mean"] - summary[(d, b)]["mean"]
            for d in datasets
            if d in NUMERIC and (d, a) in summary and (d, b) in summary
        }
        if not gains:
            continue
        best, worst = max(gains, key=gains.get), min(gains, key=gains.get)
        wins = sum(g > 0 for g in gains.values())
        lines.append(
            f"- {title}: better on {wins} of {len(gains)} numeric sets, "
            f"{np.mean(list(gains.values())):+.3f} on average (from "
            f"{gains[worst]:+.3f} on {worst} to {gains[best]:+.3f} on {best})."
        )
    return "\n".join(lines)


def targets(summary):
    """The issue's three targets: the first two at the defaults (untagged
    configurations) and with any tagged setting of a scaled model."""
    numeric = list(NUMERIC)
    lines = []
    cells = ("elman + scaler", "gru + scaler", "lstm + scaler")
    tagged = sorted({m for _, m in summary if " + scaler [" in m})
    dtw = _numeric_mean(summary, "1-NN DTW", numeric)
    tfidf = summary.get(("surnames", "LogisticRegression, TF-IDF char 1-3-grams"))
    for which, models in (("at the defaults", cells), ("any setting", tagged)):
        means = {m: _numeric_mean(summary, m, numeric) for m in models}
        means = {m: v for m, v in means.items() if v is not None}
        if means and dtw is not None:
            best = max(means, key=means.get)
            ok = means[best] >= dtw
            lines.append(
                f"- Best cell with the scaler over the numeric sets, {which}: "
                f"{best} {means[best]:.3f} vs 1-NN DTW {dtw:.3f}: "
                + ("**met**" if ok else f"**not met** ({means[best] - dtw:+.3f})")
            )
        on_text = {
            m: summary[("surnames", m)]["mean"]
            for m in models
            if ("surnames", m) in summary
        }
        if tfidf and on_text:
            best = max(on_text, key=on_text.get)
            gap = on_text[best] - tfidf["mean"]
            lines.append(
                f"- Surnames, best cell, {which}: {best} {on_text[best]:.3f} vs "
                f"TF-IDF LogisticRegression {tfidf['mean']:.3f} ({gap:+.3f}; "
                "the target: within 0.02): "
                + ("**met**" if gap >= -0.02 else "**not met**")
            )
    flat = "LogisticRegression, flattened"
    default = "elman + scaler"
    wins = [
        d
        for d in numeric
        if (d, default) in summary
        and (d, flat) in summary
        and summary[(d, default)]["mean"] > summary[(d, flat)]["mean"]
    ]
    compared = [d for d in numeric if (d, default) in summary and (d, flat) in summary]
    if compared:
        ok = 2 * len(wins) >= len(compared)
        lines.append(
            f"- Default cell with the scaler beats LogisticRegression on the "
            f"flattened series on {len(wins)} of {len(compared)} numeric sets "
            f"({', '.join(wins) or 'none'}): " + ("**met**" if ok else "**not met**")
        )
    return "\n".join(lines)


def markdown(results, title="Accuracy on real sequences", with_targets=True):
    """The markdown the docs include: machine, tables, configs, targets."""
    meta = results["meta"]
    summary = summarize(results)
    models = _models_in_order(results)
    datasets = [d for d in DATASETS if any(k[0] == d for k in summary)]
    configs = {}
    for r in results["runs"]:
        if r["kind"] == "rnn":
            configs.setdefault(r["model"], set()).add(r["config"])
    seeds = sorted({r["seed"] for r in results["runs"]})
    dates = sorted(r["date"] for r in results["runs"])
    parts = [
        "<!-- Written by benchmarks/accuracy.py from benchmarks/results/"
        "accuracy.json; do not edit by hand. -->",
        f"## {title}",
        f"sklearn_attnrnn {meta['sklearn_attnrnn']}, scikit-learn "
        f"{meta['scikit-learn']}, NumPy {meta['numpy']}, aeon {meta['aeon']}, "
        f"Python {meta['python']}; {meta['cpu']} ({meta['logical_cpus']} "
        f"logical CPUs, shared), BLAS on 1 thread; fits from {dates[0][:16]} to "
        f"{dates[-1][:16]} UTC. Seeds {seeds} (they vary the models, not the "
        "splits); the deterministic baselines were fitted once.",
        "### Test accuracy (mean ± standard deviation over the seeds)",
        accuracy_table(summary, models, datasets),
        "### Time: fit / predict on the test set (CPU seconds, mean over the "
        "seeds; epochs run for the RNN)",
        "CPU time of the process, not wall-clock time: the machine was shared "
        "with other jobs (the JSON holds both).",
        time_table(summary, models, datasets),
    ]
    pairs = [
        ("scaler: elman + scaler − elman (raw X)", "elman + scaler", "elman (raw X)"),
        ("scaler: gru + scaler − gru (raw X)", "gru + scaler", "gru (raw X)"),
        ("cell: gru − elman (both scaled)", "gru + scaler", "elman + scaler"),
        ("cell: lstm − elman (both scaled)", "lstm + scaler", "elman + scaler"),
        (
            "defaults: new − 0.2 (both scaled)",
            "elman + scaler",
            "elman + scaler, 0.2 defaults",
        ),
        ("hidden_size: 64 − 32, elman", "elman + scaler", "elman + scaler [H=32]"),
        ("hidden_size: 64 − 32, gru", "gru + scaler", "gru + scaler [H=32]"),
    ]
    pairs = [p for p in pairs if p[1] in models and p[2] in models]
    if pairs:
        parts += [
            "### Differences in mean accuracy",
            _difference_table(summary, pairs, datasets),
            evidence(summary, pairs, datasets),
        ]
    if with_targets and targets(summary):
        parts += ["### Targets (issue 12)", targets(summary)]
    parts += [
        "### Configurations",
        "\n".join(
            f"- **{name}**: `{'`; `'.join(sorted(configs[name]))}`"
            for name in models
            if name in configs
        ),
        "Baselines: `DummyClassifier()`; LogisticRegression(max_iter=2000) on the "
        "flattened series after StandardScaler (numeric; padding as zeros) or "
        "on the one-hot letters aligned at the last letter (surnames); aeon's "
        "`KNeighborsTimeSeriesClassifier(distance='dtw', n_neighbors=1)` "
        "(full-window DTW); aeon's `MiniRocketClassifier(random_state=seed)`; "
        "`TfidfVectorizer(analyzer='char_wb', ngram_range=(1, 3))` then "
        "LogisticRegression(max_iter=1000).",
    ]
    timed = [r for r in results["runs"] if "fit_cpu_seconds" in r]
    cpu = sum(r["fit_cpu_seconds"] + r["predict_cpu_seconds"] for r in timed)
    parts.append(
        f"CPU time of the {len(timed)} fits and test-set predictions with CPU "
        f"times above: {cpu / 60:.1f} min."
    )
    if meta.get("invocations"):
        parts.append(
            f"Wall-clock time of the {len(meta['invocations'])} completed "
            "invocation(s) of the script that wrote this file (some may have "
            "run side by side on the shared machine; interrupted ones are not "
            "listed): "
            + "; ".join(
                f"`{' '.join(i['argv']) or '(no options)'}` {i['seconds'] / 60:.1f} min"
                for i in meta["invocations"]
            )
            + "."
        )
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    """Run the benchmark (or only write the tables) and print the markdown."""
    args = parse_args(argv)
    with threadpool_limits(limits=1):
        results = _load_results(args.json) if args.markdown_only else run(args)
    text = markdown(results, args.title, with_targets=not args.no_targets)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
