"""Errors a user can read: every input problem names its file, row and column."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One input problem. `row` is the 1-based line number in the file (header = 1)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()          # further offending rows of the same rule (first few)
    count: int = 1                       # how many rows break this rule in all

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        more = ""
        if self.count > 1:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" ({self.count} rows in all; rows {shown}{'…' if self.count > 10 else ''})"
        return f"{where}: {self.message}{more}"


class DipError(Exception):
    """Base class of errors meant for the user (no traceback is shown for these)."""


@dataclass
class InputError(DipError):
    """The data folder cannot be used; `problems` lists every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{len(self.problems)} input problem(s):"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


class ParameterError(DipError):
    """A parameter file or value is invalid (names the parameter path)."""


class BudgetError(DipError):
    """The budget leaves nothing for DIP (A-12: F <= 0), or similar impossible budget."""
