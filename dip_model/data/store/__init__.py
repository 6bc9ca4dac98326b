"""The embedded store of imported datasets, built catalogues and saved scenarios (one DuckDB file)."""
from .store import (DEFAULT_PATH, FRAMES, NAME_MAX, ROOT, SCHEMA_VERSION, Store, StoreError,
                    count_changes, scenario_yaml)

__all__ = ["DEFAULT_PATH", "FRAMES", "NAME_MAX", "ROOT", "SCHEMA_VERSION", "Store", "StoreError",
           "count_changes", "scenario_yaml"]
