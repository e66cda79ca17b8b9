"""Errors that the command line maps to exit status 2 (bad input)."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: which file, where in it, and what is wrong."""

    def __init__(self, file: str, message: str, place: str = "", line: int | None = None):
        super().__init__(file, message, place, line)
        self.file = file
        self.message = message
        self.place = place
        self.line = line

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.place + ': ' if self.place else ''}{self.message}"


class UsageError(Exception):
    """Contradictory or out-of-range options, found before any work starts."""
