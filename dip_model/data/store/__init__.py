"""The embedded store: imported datasets, built catalogues and saved scenarios in one DuckDB file.

    store = Store.default()                       # env DIP_STORE, else data/dip.duckdb
    ds_id = store.save_dataset(load_data("city"), "泸州 2024")
    data = store.load_dataset(ds_id)              # same tables and dtypes as load_data, no CSV parse
    store.save_scenario("growth 6%", {"budget": {"growth_rate": 0.06}}, owner="a@b.cn")
    store.audit("a@b.cn", "bureau", audit_actions.SCENARIO_SAVE, target="growth 6%")

Modules: store (the Store: datasets, catalogues, scenarios), database (the file: shared opening,
write transactions, schema; StoreError), frames (DataFrame ↔ Arrow with the recorded dtypes),
scenarios (values checked against the rule set, YAML, count_changes), audit (the append-only audit
trail mixed into the Store; its action names, e.g. audit_actions.SCENARIO_SAVE).
"""
from . import audit as audit_actions
from .audit import AUDIT_ACTIONS, AUDIT_COLUMNS
from .database import SCHEMA_VERSION, StoreError
from .scenarios import count_changes, scenario_yaml
from .store import DEFAULT_PATH, FRAMES, NAME_MAX, ROOT, Store

__all__ = ["AUDIT_ACTIONS", "AUDIT_COLUMNS", "audit_actions", "DEFAULT_PATH", "FRAMES", "NAME_MAX", "ROOT", "SCHEMA_VERSION", "Store", "StoreError",
           "count_changes", "scenario_yaml"]
