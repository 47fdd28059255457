"""The documentation's contracts that can be checked without building it."""

import inspect
import re
from pathlib import Path

import pytest
from sklearn.utils import estimator_html_repr

import sklearn_attnrnn
from sklearn_attnrnn._docs import DOCS_URL

ROOT = Path(__file__).resolve().parents[1]
API = (ROOT / "docs" / "api" / "index.rst").read_text()
PUBLIC = [name for name in sklearn_attnrnn.__all__ if name != "__version__"]
CLASSES = [name for name in PUBLIC if inspect.isclass(getattr(sklearn_attnrnn, name))]


def autosummary_entries(text):
    """The names listed under every ``.. autosummary::`` of an rst file."""
    names = []
    for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)+)", text):
        names += [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.strip().startswith(":")
        ]
    return names


def test_every_public_name_has_an_api_page():
    pytest.importorskip("matplotlib")
    from sklearn_attnrnn import onnx, plotting

    assert set(autosummary_entries(API)) == (
        set(PUBLIC) | set(plotting.__all__) | set(onnx.__all__)
    )


@pytest.mark.parametrize("name", CLASSES)
def test_html_repr_links_to_the_api_page(name):
    # autosummary writes api/generated/<module>.<name>.html for each entry
    assert re.findall(r":toctree: (\S+)", API) == ["generated/"] * API.count(
        ".. autosummary::"
    )
    page = f"{DOCS_URL}api/generated/sklearn_attnrnn.{name}.html"
    estimator = getattr(sklearn_attnrnn, name)()
    assert estimator._get_doc_link() == page
    assert f'href="{page}"' in estimator_html_repr(estimator)


def test_a_subclass_outside_the_package_gets_no_link():
    class Mine(sklearn_attnrnn.AttentionRNNClassifier):
        pass

    Mine.__module__ = "elsewhere"
    assert Mine()._get_doc_link() == ""


def test_readme_stays_short():
    assert len((ROOT / "README.md").read_bytes()) <= 15_000


def test_metadata_license_and_citation_agree():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    citation = (ROOT / "CITATION.cff").read_text()
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert "license: BSD-3-Clause" in citation
    assert f"version: {sklearn_attnrnn.__version__}" in citation
    assert project["urls"]["Documentation"] == DOCS_URL


def test_read_the_docs_builds_the_site_as_ci_does():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert config["sphinx"] == {
        "configuration": "docs/conf.py",
        # "dirhtml" would move every page, and the estimators' doc links
        # (DOCS_URL + "api/generated/<name>.html") with them.
        "builder": "html",
        "fail_on_warning": True,
    }
    assert config["python"]["install"] == [
        {"method": "pip", "path": ".", "extra_requirements": ["docs"]}
    ]
    assert DOCS_URL.startswith("https://sklearn-attnrnn.readthedocs.io/")
