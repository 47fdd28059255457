"""Sphinx configuration of sklearn-attnrnn's documentation.

Build from the repository root (warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py`` at build time with the small
settings in ``GALLERY_ARGUMENTS``; the benchmark tables are the markdown files
the benchmark scripts write under ``benchmarks/results/``.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The package from this checkout, and the examples' shared helper modules
# (``from _datasets import ...``) for the gallery.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
# The gallery's figures are drawn off screen. Its examples run one after the
# other, each on one BLAS thread: the package's own fits do anyway, and the
# baselines' BLAS threads would only compete on a small CI machine.
os.environ.setdefault("MPLBACKEND", "agg")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import sklearn_attnrnn  # noqa: E402

project = "sklearn-attnrnn"
author = "The sklearn-attnrnn developers"
copyright = "2024-2026, The sklearn-attnrnn developers"
release = sklearn_attnrnn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

# sphinx_gallery_conf holds a function (the examples' arguments), which Sphinx
# cannot pickle: the environment is then not cached between builds.
suppress_warnings = ["config.cache"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
# "fit()" rather than "CharOneHotEncoder.fit()" in a page's table of contents.
toc_object_entries_show_parents = "hide"
# The class template lists the methods; numpydoc's own member tables would
# list them twice.
numpydoc_show_class_members = False
numpydoc_validation_checks = set()

# -- Markdown (the user guide) -------------------------------------------------
# Equations are written as plain text (as in the code's docstrings), so the
# site needs no JavaScript from a CDN to show them.
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- Gallery -----------------------------------------------------------------
# The command-line options each example runs with in the gallery: small
# settings, so that the whole gallery runs in a few minutes on two cores. The
# full runs are the scripts' defaults or options (see each example's header).
GALLERY_ARGUMENTS = {
    "plot_names_by_language.py": ["--configs", "defaults"],
    "plot_dask_grid_search.py": ["--threads"],
}


def gallery_arguments(gallery_conf, script_vars):
    """sys.argv[1:] for one example (sphinx-gallery's ``reset_argv`` hook)."""
    return GALLERY_ARGUMENTS.get(Path(script_vars["src_file"]).name, [])


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # _datasets.py and _options.py are helpers the examples import.
    "ignore_pattern": r"(^|[/\\])_\w+\.py$",
    "reset_argv": gallery_arguments,
    # "Examples using ..." at the end of each API page.
    "doc_module": ("sklearn_attnrnn",),
    "backreferences_dir": "api/generated/backreferences",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_memory": False,
}

# -- Benchmark tables ---------------------------------------------------------
# Every benchmark script writes its tables as markdown under benchmarks/results/.
# The benchmarks page includes them in this order; a file not listed here is
# included after these, in alphabetical order, and a listed file that does not
# exist yet is left out.
BENCHMARK_TABLES = {
    "accuracy.md": "Accuracy on real data sets",
    "stopping_study.md": "The stopping rule: how the defaults were chosen",
    "speed.md": "Speed against PyTorch: the Elman cell",
    "speed_gru.md": "Speed against PyTorch: the GRU cell",
    "speed_lstm.md": "Speed against PyTorch: the LSTM cell",
    "onnx.md": "ONNX export: onnxruntime's speed",
    "text_memory.md": "The language model's memory: integer codes or a one-hot corpus",
}


def write_benchmark_includes(app):
    """Write docs/_generated/benchmark_results.md from benchmarks/results/*.md."""
    results = ROOT / "benchmarks" / "results"
    found = sorted(p.name for p in results.glob("*.md")) if results.is_dir() else []
    order = [name for name in BENCHMARK_TABLES if name in found]
    order += [name for name in found if name not in BENCHMARK_TABLES]
    lines = []
    for name in order:
        title = BENCHMARK_TABLES.get(
            name, Path(name).stem.replace("_", " ").capitalize()
        )
        # The file's own top headings become this page's third level,
        # whatever level the script wrote them at.
        levels = [
            len(line) - len(line.lstrip("#"))
            for line in (results / name).read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        ]
        lines += [
            f"## {title}",
            "",
            f"From `benchmarks/results/{name}`:",
            "",
            f"```{{include}} /../benchmarks/results/{name}",
            f":heading-offset: {3 - min(levels, default=3)}",
            "```",
            "",
        ]
    if not lines:
        lines = [
            "This checkout has no table file under `benchmarks/results/` yet:"
            " running a benchmark script writes one.",
            "",
        ]
    out = DOCS / "_generated" / "benchmark_results.md"
    out.parent.mkdir(exist_ok=True)
    text = "\n".join(lines)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


def skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods.

    They are metadata-routing plumbing that every estimator inherits, and
    their docstrings refer to scikit-learn's own glossary.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("builder-inited", write_benchmark_includes)
    app.connect("autodoc-skip-member", skip_metadata_request_methods)


# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-attnrnn {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# Top-level pages without sub-pages need no section navigation.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "notes",
        "benchmarks",
        "changelog",
    )
}
html_show_sourcelink = False
