"""Real settlement-list / front-page exports into the data contract: read (CSV, XLSX, encodings), mapping
(Chinese headers and values to the contract's), run (check every row, write the data folder and the
quality report)."""
