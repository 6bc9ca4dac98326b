"""The embedded store (dip_model.data.store): datasets round-trip exactly, scenarios are validated,
writes are atomic (an exception or a kill midway leaves the previous state), sessions can share it."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dip_model
from dip_model.data.results import summary_json
from dip_model.data.store import FRAMES, Store, StoreError

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EXAMPLES = sorted(p for p in (ROOT / "tests" / "examples").iterdir() if (p / "data").is_dir())


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store.duckdb", timeout=5, linger=0.2)


def assert_same_data(a: dip_model.DataSet, b: dip_model.DataSet) -> None:
    for key in FRAMES:
        x, y = getattr(a, key), getattr(b, key)
        if x is None:
            assert y is None, key
            continue
        assert list(x.dtypes.astype(str)) == list(y.dtypes.astype(str)), key
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=key)
        for col in x.columns[x.dtypes == np.dtype("O")]:    # str/None objects, not other values
            assert all(type(a) is type(b) for a, b in zip(x[col], y[col], strict=True)), (key, col)
        for block in y._mgr.blocks:                     # owned memory, not Arrow's read-only view
            assert not isinstance(block.values, np.ndarray) or block.values.flags.writeable, key
    assert (a.version, a.warnings) == (b.version, b.warnings)


def assert_same_results(r1, r2) -> None:
    assert summary_json(r1.summary) == summary_json(r2.summary)
    pd.testing.assert_frame_equal(r1.hospitals, r2.hospitals, check_exact=True)
    pd.testing.assert_frame_equal(r1.monthly, r2.monthly, check_exact=True)
    pd.testing.assert_frame_equal(r1.cases, r2.cases, check_exact=True)


# ---------------------------------------------------------------- datasets
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_round_trip_simulates_identically(example, store):
    data = dip_model.load_data(example / "data")
    ds_id = store.save_dataset(data, example.name)
    back = store.load_dataset(ds_id)
    assert_same_data(data, back)
    params = dip_model.load_params(example / "params.yaml")
    assert_same_results(dip_model.simulate(data, params), dip_model.simulate(back, params))


def test_synth_city_round_trip(city, store):
    data = dip_model.load_data(city)
    quality = {"rows": np.int64(3000), "rate": np.float64(0.97), "by_rule": {"missing": 0}}
    ds_id = store.save_dataset(data, "泸州 synth", quality=quality)
    back = Store(store.path).load_dataset(ds_id)           # a fresh Store object, same file
    assert_same_data(data, back)
    assert back.source == f"store:{ds_id}"
    p = dip_model.load_params({"budget": {"growth_rate": 0.07}})
    assert_same_results(dip_model.simulate(data, p), dip_model.simulate(back, p))
    info = store.dataset_info(ds_id)
    assert info["name"] == "泸州 synth" and info["source"] == str(city)
    assert info["quality"] == {"rows": 3000, "rate": 0.97, "by_rule": {"missing": 0}}
    assert info["n_cases"] == len(data.cases) and info["n_hospitals"] == len(data.hospitals)
    assert store.find_dataset(data.version) == ds_id and store.find_dataset("nope") is None


def test_open_folder_parses_once_then_reads_the_store(city, store, tmp_path, monkeypatch):
    import shutil
    from dip_model.data import load as io
    folder = tmp_path / "city"
    shutil.copytree(city, folder)
    first = store.open_folder(folder, "sample")
    assert first.source == str(folder) and len(store.list_datasets()) == 1
    monkeypatch.setattr(io, "load_data", lambda *a, **k: pytest.fail("the stored copy must be used"))
    again = store.open_folder(folder, "sample")
    assert again.source.startswith("store:") and again.version == first.version
    assert_same_data(first, again)
    assert_same_results(dip_model.simulate(first), dip_model.simulate(again))
    monkeypatch.undo()
    with open(folder / "fund.csv", "a", encoding="utf-8") as f:      # changed bytes: a new dataset
        f.write("\n")
    changed = store.open_folder(folder, "sample")
    assert changed.version != first.version and not changed.source.startswith("store:")
    assert len(store.list_datasets()) == 2


def test_dataset_listing_rename_delete(store):
    data = dip_model.load_data(EXAMPLES[0] / "data")
    a = store.save_dataset(data, "first")
    b = store.save_dataset(data, "second")
    listed = store.list_datasets()
    assert set(listed["id"]) == {a, b}
    assert {"name", "created", "source", "version", "n_cases", "n_hospitals"} <= set(listed.columns)
    store.rename_dataset(a, "  renamed ")
    assert store.dataset_info(a)["name"] == "renamed"
    store.save_catalogue(a, "k1", {"catalogue": data.catalogue}, {"built_from": "history"})
    frames, info = store.load_catalogue(a, "k1")
    pd.testing.assert_frame_equal(frames["catalogue"], data.catalogue, check_exact=True)
    assert info == {"built_from": "history"} and store.load_catalogue(a, "k2") is None
    store.delete_dataset(a)
    assert list(store.list_datasets()["id"]) == [b]
    assert store.list_catalogues().empty
    with store._connect() as con:                       # its tables are gone too
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    assert not [n for n in names if a in n]
    for call in (lambda: store.load_dataset(a), lambda: store.delete_dataset(a),
                 lambda: store.rename_dataset(a, "x")):
        with pytest.raises(dip_model.DipError, match="no stored dataset"):
            call()
    with pytest.raises(dip_model.DipError, match="must not be empty"):
        store.rename_dataset(b, "  ")


def test_failed_save_leaves_nothing_behind(store, monkeypatch):
    data = dip_model.load_data(EXAMPLES[1] / "data")
    keep = store.save_dataset(data, "keep")
    real = Store._put_frame

    def failing(con, table, df, where, warnings):
        if where == "fund":                             # after hospitals and cases
            raise OSError("disk full")
        return real(con, table, df, where, warnings)

    monkeypatch.setattr(Store, "_put_frame", staticmethod(failing))
    with pytest.raises(OSError):
        store.save_dataset(data, "broken")
    monkeypatch.undo()
    assert list(store.list_datasets()["name"]) == ["keep"]
    with store._connect() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {t for t in tables if t.startswith("ds_")} == \
        {f"ds_{keep}_{k}" for k in FRAMES if getattr(data, k) is not None}
    assert_same_data(data, store.load_dataset(keep))


_KILLED_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    import dip_model
    from dip_model.data.store import Store

    data = dip_model.load_data(sys.argv[2])
    n = 300_000                                # a large dataset: 300k cases and 300k history rows
    big = data.cases.iloc[np.arange(n) % len(data.cases)].reset_index(drop=True)
    big["case_id"] = pd.Series(np.arange(n).astype(str), dtype="str")
    data.cases, data.history = big, big.copy()
    real = Store._put_frame

    def announce(con, table, df, where, warnings):
        print(where, flush=True)              # the parent kills us once 'history' starts
        return real(con, table, df, where, warnings)

    Store._put_frame = staticmethod(announce)
    Store(sys.argv[1]).save_dataset(data, "big")
    print("committed", flush=True)
""")


def test_killed_save_keeps_previous_state(store, tmp_path):
    """SIGKILL a process midway through saving a large dataset: the store still opens with
    exactly its previous datasets and scenarios, and takes new writes."""
    data = dip_model.load_data(EXAMPLES[0] / "data")
    before = store.save_dataset(data, "before")
    store.save_scenario("s1", {"budget": {"growth_rate": 0.05}})
    script = tmp_path / "writer.py"
    script.write_text(_KILLED_WRITER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(store.path), str(EXAMPLES[0] / "data")],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.strip() == "history":            # cases (300k rows) written, history being written
            proc.kill()
            break
    proc.wait(timeout=30)
    assert "cases" in seen and "committed" not in seen, (seen, proc.stderr.read())
    # our own connection was closed before the child could take the file: this reopens it
    assert store.scenario_names() == ["s1"]
    assert list(store.list_datasets()["id"]) == [before]
    assert_same_data(data, store.load_dataset(before))
    assert store.load_scenario("s1") == {"budget": {"growth_rate": 0.05}}
    after = store.save_dataset(data, "after")
    assert set(store.list_datasets()["name"]) == {"before", "after"}
    assert_same_data(data, store.load_dataset(after))


# ---------------------------------------------------------------- scenarios
def test_scenario_lifecycle(store):
    vals = {"budget": {"growth_rate": 0.06}, "sharing": {"employee": {"overspend": [
        {"to": 1.1, "rate": 0.5}, {"to": 1.3, "rate": 0.2}]}}}
    assert store.save_scenario("增长6%", vals, note="试算") == "增长6%"
    loaded = store.load_scenario("增长6%")
    assert loaded["budget"] == {"growth_rate": 0.06}
    assert dip_model.load_params(loaded).get("sharing.employee.overspend") == \
        vals["sharing"]["employee"]["overspend"]
    with pytest.raises(StoreError, match="already exists") as err:
        store.save_scenario("增长6%", {})
    assert err.value.code == "exists"
    store.save_scenario("增长6%", {"budget": {"growth_rate": 0.07}}, note="改", overwrite=True)
    assert store.load_scenario("增长6%") == {"budget": {"growth_rate": 0.07}}
    store.duplicate_scenario("增长6%", "copy")
    store.rename_scenario("增长6%", "growth 7%")
    listed = store.list_scenarios()
    assert list(listed["name"]) == ["copy", "growth 7%"]
    assert list(listed["note"]) == ["改", "改"] and list(listed["changed"]) == [1, 1]
    with pytest.raises(StoreError, match="already exists"):
        store.rename_scenario("copy", "growth 7%")
    with pytest.raises(StoreError, match="no saved scenario"):
        store.load_scenario("增长6%")
    store.delete_scenario("copy")
    assert store.scenario_names() == ["growth 7%"]
    with pytest.raises(StoreError, match="no saved scenario"):
        store.delete_scenario("copy")
    store.save_scenario("empty", {})
    assert store.load_scenario("empty") == {}


@pytest.mark.parametrize("values, message", [
    ({"budget": {"growth_rat": 0.06}}, "unknown parameter 'budget.growth_rat'"),
    ({"budget": {"growth_rate": -2}}, "budget.growth_rate"),
    ({"cases": {"low_ratio": 3}}, "high_ratio"),
    ("growth", "must be a mapping"),
])
def test_invalid_scenario_is_refused(store, values, message):
    with pytest.raises(dip_model.ParameterError, match=message):
        store.save_scenario("bad", values)
    assert store.scenario_names() == []


def test_yaml_round_trip_and_errors(store):
    vals = {"budget": {"growth_rate": 0.055}, "interpretations": {"I-8": "city"}}
    store.save_scenario("方案A", vals, note="说明: 两行\n第二行")
    text = store.export_scenario_yaml("方案A")
    doc = yaml.safe_load(text)
    assert doc["name"] == "方案A" and doc["note"] == "说明: 两行\n第二行" and "方案A" in text
    assert doc["values"] == store.load_scenario("方案A") and doc["created"]
    assert store.import_scenario_yaml(text, name="方案B") == "方案B"
    assert store.load_scenario("方案B") == store.load_scenario("方案A")
    with pytest.raises(StoreError, match="already exists"):
        store.import_scenario_yaml(text.encode("utf-8"))
    store.import_scenario_yaml(text.encode("utf-8-sig"), overwrite=True)
    # a plain parameter file works too, given a name
    plain = (EXAMPLES[0] / "params.yaml").read_text(encoding="utf-8")
    store.import_scenario_yaml(plain, name="example 1")
    assert store.load_scenario("example 1")["budget_point_value"] == 12.5
    with pytest.raises(StoreError, match="no name"):
        store.import_scenario_yaml(plain)
    for bad, message in (("values: [1, 2", "not valid YAML"), ("", "empty"), ("- 1", "mapping"),
                         ("name: x\nvalues: {budget: {nope: 1}}", "unknown parameter 'budget.nope'"),
                         ("name: x\nvalus: {}\nvalues: {}", "unknown key 'valus'"),
                         (b"\xff\xfe\x00", "not UTF-8")):
        with pytest.raises(dip_model.DipError, match=message):
            store.import_scenario_yaml(bad)
    assert "x" not in store.scenario_names()


def test_bad_names_and_files(store, tmp_path):
    for name in ("", "   ", None, "x" * 81, "a\tb"):
        with pytest.raises(StoreError):
            store.save_scenario(name, {})
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(junk).list_scenarios()


def test_default_store_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DIP_STORE", str(tmp_path / "s.duckdb"))
    assert Store.default().path == (tmp_path / "s.duckdb").resolve()
    monkeypatch.delenv("DIP_STORE")
    assert Store.default().path == ROOT / "data" / "dip.duckdb"


# ---------------------------------------------------------------- concurrency
def test_threads_share_the_store(store):
    """Several sessions (threads of one server) writing at once lose nothing."""
    errors = []

    def work(k):
        try:
            s = Store(store.path)               # default linger: the file stays open between calls
            for i in range(8):
                s.save_scenario(f"t{k}-{i}", {"budget": {"growth_rate": 0.01 * i}})
                s.list_scenarios()
        except Exception as exc:                 # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.scenario_names()) == 32


_HOLDER = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
           "time.sleep(float(sys.argv[2]))")


def test_another_process_holding_the_file(store):
    store.save_scenario("s", {})                  # create the file
    store.close()                                 # hand the file over
    hold = subprocess.Popen([sys.executable, "-c", _HOLDER, str(store.path), "30"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="in use by another program") as err:
            Store(store.path, timeout=0.5).list_scenarios()
        assert err.value.code == "busy"
    finally:
        hold.kill()
        hold.wait()
    brief = subprocess.Popen([sys.executable, "-c", _HOLDER, str(store.path), "1"],
                             stdout=subprocess.PIPE, text=True)
    assert brief.stdout.readline().strip() == "held"
    assert Store(store.path, timeout=20).scenario_names() == ["s"]     # waited for it
    brief.wait()
