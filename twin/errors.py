"""Errors that the command line maps to exit status 2 (bad input)."""

from __future__ import annotations

import re
from collections.abc import Mapping


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


class SettingError(UsageError):
    """A setting of an experiment out of range, named as in the API (``step_min``).

    Other settings that the problem mentions are written in backquotes (```backend``` ...),
    so that :meth:`named` can rename them all, e.g. to command-line flags.

    Attributes:
        setting: the field of :class:`twin.experiment.settings.Settings` at fault.
        problem: what is wrong, without the name (``must be more than 0, got 0``).
    """

    def __init__(self, setting: str, problem: str):
        super().__init__(setting, problem)
        self.setting = setting
        self.problem = problem

    def __str__(self) -> str:
        return self.named({})

    def named(self, names: Mapping[str, str]) -> str:
        """The message with every setting called by its name in `names` (else as is)."""
        problem = re.sub(r"`(\w+)`", lambda m: names.get(m[1], m[1]), self.problem)
        return f"{names.get(self.setting, self.setting)} {problem}"


class PluginError(UsageError):
    """An asset-family plugin that cannot be loaded: names the plugin and its distribution."""
