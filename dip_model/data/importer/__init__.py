"""Real settlement-list / front-page exports into the data contract: read (CSV, XLSX, encodings), mapping
(Chinese headers and values to the contract's), rows (check every row: cases.csv or rejected_rows.csv),
quality (the quality report), side (the tables given beside the exports), published (the bureau's catalogue and
level costs as published), run (the import into a data folder)."""
from .mapping import Mapping, MappingError
from .quality import OUTLIERS, note_message, rule_template, rule_text
from .read import ReadError
from .rows import REJECT_FIXED, REJECTED
from .published import CATALOGUE_REJECTED, LEVEL_COSTS_REJECTED
from .run import MAPPING, QUALITY, ImportResult, inspect, inspect_catalogue, inspect_level_costs, read_quality, run_import

__all__ = ["CATALOGUE_REJECTED", "LEVEL_COSTS_REJECTED", "MAPPING", "OUTLIERS", "QUALITY", "REJECTED", "REJECT_FIXED",
           "ImportResult", "Mapping", "MappingError", "ReadError", "inspect", "inspect_catalogue", "inspect_level_costs",
           "note_message", "read_quality", "rule_template", "rule_text", "run_import"]
