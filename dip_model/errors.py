"""Errors a user can read: every input problem names its file, row and column.

Every error is built from a Message (dip_model.messages): str(err) is the English text (itself a
Message, so the translation travels with it) and err.text(lang) renders it in English or Chinese;
a Problem likewise, its location included."""
from __future__ import annotations

from dataclasses import dataclass, field

from .messages import Items, Localisable, Message, localise

ROWS_NAMED = 10                       # rows a problem lists before the ellipsis


@dataclass(frozen=True)
class Problem(Localisable):
    """One input problem. `row` is the 1-based line number in the file (header = 1)."""

    file: str
    message: str                        # a Message (a plain string is shown as it is)
    row: int | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()          # further offending rows of the same rule (first few)
    count: int = 1                       # how many rows break this rule in all

    def located(self) -> Message:
        """The problem with its place: "cases.csv, row 12, column total_cost: …"."""
        key = "problem" + ("_row" if self.row is not None else "") + ("_column" if self.column else "")
        more = ""
        if self.count > 1:
            more = Message("problem_more", count=self.count,
                           rows=Items(self.rows[:ROWS_NAMED], more=self.count > ROWS_NAMED))
        return Message(key, file=self.file, row=self.row, column=self.column, message=self.message, more=more)

    def __str__(self) -> str:
        return self.located()

    def text(self, lang: str = "en") -> str:
        return self.located().text(lang)


class DipError(Exception, Localisable):
    """Base class of errors meant for the user (no traceback is shown for these). Raise it with a
    Message; `text(lang)` renders it in either language."""

    @property
    def message(self) -> str:
        """The English text: the Message the error was raised with."""
        if len(self.args) == 1 and isinstance(self.args[0], str):
            return self.args[0]
        return super().__str__()

    def __str__(self) -> str:
        return self.message

    def text(self, lang: str = "en") -> str:
        return localise(self.message, lang)


@dataclass
class InputError(DipError):
    """The data folder cannot be used; `problems` lists every problem found."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def message(self) -> str:
        return Message("input_problems", n=len(self.problems), problems=Items(self.problems, sep="", lead="\n  - "))


class ParameterError(DipError):
    """A parameter file or value is invalid (names the parameter path)."""


class BudgetError(DipError):
    """The budget leaves nothing for DIP (A-12: F <= 0), or similar impossible budget."""
