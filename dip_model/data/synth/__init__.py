"""Synthetic city (docs/data-contract.md): make_tables, make_city and write_city."""
from .cases import make_city, make_tables, write_city

__all__ = ["make_city", "make_tables", "write_city"]
