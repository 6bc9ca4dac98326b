"""The audit trail and scenario owners in the store: append-only entries in UTC, read newest first and
filtered; a bad argument refused, never skipped; a store file of layout 1 (before owners and the audit
table) migrated in place, its scenarios kept with owner "" and unpublished."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pandas as pd
import pytest

from dip_model.data.store import AUDIT_ACTIONS, AUDIT_COLUMNS, SCHEMA_VERSION, Store, StoreError, audit_actions


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store.duckdb", timeout=5, linger=0)


def test_entries_are_appended_and_read_newest_first(store):
    before = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
    store.audit("zhang.wei@ybj.example.cn", "bureau", audit_actions.SIGN_IN)
    store.audit("caiwu@h001.example.cn", "hospital:H001", audit_actions.EXPORT, target="statements H001",
                dataset="ds1", params="abc123", detail="pdf")
    store.audit("zhang.wei@ybj.example.cn", "bureau", audit_actions.SCENARIO_PUBLISH, target="growth 6%")
    log = store.audit_log()
    assert tuple(log.columns) == AUDIT_COLUMNS
    assert list(log["action"]) == ["scenario_publish", "export", "sign_in"]         # newest first
    row = log.iloc[1]
    assert (row["user"], row["role"], row["target"], row["dataset"], row["params"], row["detail"]) == \
        ("caiwu@h001.example.cn", "hospital:H001", "statements H001", "ds1", "abc123", "pdf")
    after = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=1)
    assert ((log["time_utc"] >= before) & (log["time_utc"] <= after)).all()         # UTC, not local time
    assert list(store.audit_log(limit=1)["action"]) == ["scenario_publish"]
    assert len(store.audit_log(limit=0)) == 0
    assert list(store.audit_log(user="zhang.wei@ybj.example.cn")["action"]) == ["scenario_publish", "sign_in"]
    assert list(store.audit_log(action="export")["user"]) == ["caiwu@h001.example.cn"]
    assert store.audit_log(user="nobody@x.cn", action="export").empty


def test_every_named_action_is_accepted(store):
    for action in AUDIT_ACTIONS:
        store.audit("a@b.cn", "viewer", action)
    assert set(store.audit_log()["action"]) == set(AUDIT_ACTIONS)
    assert {"sign_in", "sign_out", "refused", "import", "dataset_delete", "scenario_save", "scenario_rename",
            "scenario_delete", "scenario_publish", "scenario_unpublish", "export"} <= set(AUDIT_ACTIONS)


@pytest.mark.parametrize("kwargs, key", [
    ({"user": "", "role": "bureau", "action": "sign_in"}, "audit_field_empty"),
    ({"user": "a@b.cn", "role": " ", "action": "sign_in"}, "audit_field_empty"),
    ({"user": None, "role": "bureau", "action": "sign_in"}, "audit_field_type"),
    ({"user": "a@b.cn", "role": "bureau", "action": "sign_in", "target": 5}, "audit_field_type"),
    ({"user": "a@b.cn", "role": "bureau", "action": "login"}, "audit_action"),
    ({"user": "a@b.cn", "role": "bureau", "action": "export", "detail": "x" * 5000}, "audit_field_long"),
])
def test_a_bad_entry_is_refused_and_nothing_written(store, kwargs, key):
    with pytest.raises(StoreError) as err:
        store.audit(**kwargs)
    assert err.value.message.key == key
    assert err.value.text("zh") != str(err.value)
    assert store.audit_log().empty


def test_bad_reads_are_refused(store):
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(StoreError):
            store.audit_log(limit=bad)
    with pytest.raises(StoreError):
        store.audit_log(action="nope")


def test_the_store_has_no_way_to_change_an_entry(store):
    names = [n for n in dir(Store) if "audit" in n.lower()]
    assert sorted(names) == ["audit", "audit_log"]
    store.audit("a@b.cn", "bureau", audit_actions.IMPORT, target="ds")
    store.save_scenario("s", {}, owner="a@b.cn")
    store.delete_scenario("s")
    assert len(store.audit_log()) == 1                   # deleting what an entry names keeps the entry


def test_scenarios_have_owner_and_published(store):
    store.save_scenario("mine", {"budget": {"growth_rate": 0.06}}, owner=" Caiwu@H001.example.cn ")
    store.save_scenario("local", {})
    listed = store.list_scenarios().set_index("name")
    assert listed.loc["mine", "owner"] == "caiwu@h001.example.cn" and listed.loc["local", "owner"] == ""
    assert not listed["published"].any() and listed["published"].dtype == bool
    store.publish_scenario("mine", True)
    assert store.scenario_info("mine")["published"] is True
    store.save_scenario("mine", {"budget": {"growth_rate": 0.07}}, overwrite=True, owner="zhang@ybj.cn")
    info = store.scenario_info("mine")                   # replaced by the bureau: owner and flag kept
    assert (info["owner"], info["published"]) == ("caiwu@h001.example.cn", True)
    store.rename_scenario("mine", "theirs")
    assert store.scenario_info("theirs")["owner"] == "caiwu@h001.example.cn"
    store.duplicate_scenario("theirs", "copy", owner="zhang@ybj.cn")
    assert (store.scenario_info("copy")["owner"], store.scenario_info("copy")["published"]) == ("zhang@ybj.cn", False)
    store.publish_scenario("theirs", False)
    assert not store.scenario_info("theirs")["published"]
    with pytest.raises(StoreError):
        store.publish_scenario("theirs", "yes")
    with pytest.raises(StoreError):
        store.publish_scenario("absent", True)
    with pytest.raises(StoreError):
        store.save_scenario("x", {}, owner=None)
    name = store.import_scenario_yaml("budget:\n  growth_rate: 0.05\n", name="imported", owner="a@b.cn")
    assert store.scenario_info(name)["owner"] == "a@b.cn"


_LAYOUT_1 = """
CREATE TABLE store_meta (key VARCHAR, value VARCHAR);
CREATE TABLE datasets (
    id VARCHAR, name VARCHAR, created TIMESTAMP, source VARCHAR, version VARCHAR,
    n_hospitals BIGINT, n_cases BIGINT, n_history BIGINT, n_groups BIGINT,
    warnings VARCHAR, quality VARCHAR, frames VARCHAR);
CREATE TABLE catalogues (
    id VARCHAR, dataset_id VARCHAR, key VARCHAR, created TIMESTAMP, info VARCHAR, frames VARCHAR);
CREATE TABLE scenarios (
    name VARCHAR, note VARCHAR, "values" VARCHAR, ruleset VARCHAR,
    created TIMESTAMP, updated TIMESTAMP);
INSERT INTO store_meta VALUES ('schema', '1');
INSERT INTO scenarios VALUES ('old one', 'kept', '{"budget": {"growth_rate": 0.06}}', 'luzhou-2024',
                              TIMESTAMP '2024-05-01 10:00:00', TIMESTAMP '2024-05-02 10:00:00');
"""


def test_a_layout_1_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(_LAYOUT_1)
    con.close()
    store = Store(path, timeout=5, linger=0)
    listed = store.list_scenarios()
    assert list(listed["name"]) == ["old one"] and list(listed["owner"]) == [""]
    assert list(listed["published"]) == [False] and list(listed["changed"]) == [1]
    assert store.load_scenario("old one") == {"budget": {"growth_rate": 0.06}}
    store.save_scenario("new one", {}, owner="a@b.cn")
    store.audit("a@b.cn", "bureau", audit_actions.SCENARIO_SAVE, target="new one")
    again = Store(path, timeout=5, linger=0)             # reopened: the migration is not run twice
    assert set(again.list_scenarios()["name"]) == {"old one", "new one"}
    assert len(again.audit_log()) == 1
    con = duckdb.connect(str(path))
    assert con.execute("SELECT value FROM store_meta WHERE key = 'schema'").fetchall() == [(SCHEMA_VERSION,)]
    con.close()


def test_a_newer_layout_is_still_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    Store(path, linger=0).list_scenarios()
    con = duckdb.connect(str(path))
    con.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema'")
    con.close()
    with pytest.raises(StoreError, match="layout version 99"):
        Store(path, linger=0).list_scenarios()


def test_audit_log_frame_is_plain(store):
    store.audit("a@b.cn", "bureau", audit_actions.SIGN_OUT)
    log = store.audit_log()
    assert isinstance(log, pd.DataFrame) and log.index.equals(pd.RangeIndex(1))
