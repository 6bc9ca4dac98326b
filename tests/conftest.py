"""Make the project root and the tests folder importable (citykit, resultcompare), keep every test away
from the project's own store, and share one small synthetic city (and its DataSet per module) among the
tests that only read it. The folders mirror dip_model: rules, data, analysis, report, cli; then pages
(AppTest), e2e (a browser), docs (the documents checked against the code)."""
import os
import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent
for _p in (str(_TESTS.parent), str(_TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_store(tmp_path_factory):
    """The embedded store for the whole run (DIP_STORE): a user's data/dip.duckdb is never opened."""
    before = os.environ.get("DIP_STORE")
    os.environ["DIP_STORE"] = str(tmp_path_factory.mktemp("store") / "dip.duckdb")
    yield os.environ["DIP_STORE"]
    if before is None:
        os.environ.pop("DIP_STORE", None)
    else:
        os.environ["DIP_STORE"] = before


@pytest.fixture(scope="session", autouse=True)
def raise_page_errors():
    """DIP_RAISE_ERRORS=1 for the whole run: an unexpected error in a page is shown as a short notice and
    then raised again (ui.state.run_page), so AppTest records it and the test fails. AppTest runs the
    scripts in this process, so they see os.environ."""
    before = os.environ.get("DIP_RAISE_ERRORS")
    os.environ["DIP_RAISE_ERRORS"] = "1"
    yield
    if before is None:
        os.environ.pop("DIP_RAISE_ERRORS", None)
    else:
        os.environ["DIP_RAISE_ERRORS"] = before


@pytest.fixture(scope="session")
def city(tmp_path_factory):
    """A small synthetic city (3,000 cases, seed 7); read-only for every test that uses it."""
    from dip_model.data.synth import write_city
    folder = tmp_path_factory.mktemp("city")
    write_city(folder, n_cases=3000, seed=7)
    return folder


@pytest.fixture(scope="module")
def data(city):
    """The small city read once per test module (a fresh DataSet, so no stage cache is shared)."""
    import dip_model
    return dip_model.load_data(city)
