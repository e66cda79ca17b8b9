"""The library's errors: one root, :class:`ParktwinError`, that every caller can catch.

Messages name a parameter by its Python name in backquotes (```step_min``` must be more than
0); ``str()`` shows the name bare, and :meth:`ParktwinError.named` renames every one of them, so
that the command line can say ``--step-min`` where the library says ``step_min``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

NAME = re.compile(r"`(\w+)`")
"""A parameter named in a message: ```step_min```."""


class ParktwinError(Exception):
    """The root of every error the library raises on purpose.

    The command line maps each kind to an exit status, and the web page to an HTTP status, each
    in one place; a subclass that names no other meaning is bad input (exit 2, HTTP 400).
    """

    def __str__(self) -> str:
        return self.named({})

    def text(self) -> str:
        """The message with parameters in backquotes, as raised."""
        return super().__str__()

    def named(self, names: Mapping[str, str]) -> str:
        """The message with every parameter called by its name in `names` (else bare)."""
        return NAME.sub(lambda m: names.get(m[1], m[1]), self.text())


class InputError(ParktwinError):
    """Bad input: which file, where in it, and what is wrong."""

    def __init__(self, file: str, message: str, place: str = "", line: int | None = None):
        super().__init__(file, message, place, line)
        self.file = file
        self.message = message
        self.place = place
        self.line = line

    def text(self) -> str:
        """The file (and line), the place and the message, as one line."""
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.place + ': ' if self.place else ''}{self.message}"


class InputErrors(InputError):
    """Several problems of one input, listed together: the first is this error's own.

    At most :attr:`LIMIT` are shown, then how many more there are, so that a file with many
    mistakes is fixed in one round without a message too long to read.

    Attributes:
        problems: every problem, in the order found.
    """

    LIMIT = 20

    def __init__(self, problems: list[InputError]):
        first = problems[0]
        super().__init__(first.file, first.message, first.place, first.line)
        self.problems = problems

    def text(self) -> str:
        """One line per problem (the first as :class:`InputError` shows it), then the rest."""
        shown = [p.text() for p in self.problems[: self.LIMIT]]
        hidden = len(self.problems) - len(shown)
        lines = [shown[0], *(f"  {line}" for line in shown[1:])]
        if hidden:
            lines.append(f"  ... and {hidden} more problem{'s' * (hidden > 1)}")
        return "\n".join(lines)


def listed(problems: list[InputError]) -> InputError:
    """One error for a list of problems (of at least one): itself alone, else all of them."""
    return problems[0] if len(problems) == 1 else InputErrors(problems)


class UsageError(ParktwinError):
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

    def text(self) -> str:
        """The setting in backquotes, then the problem."""
        return f"`{self.setting}` {self.problem}"


class PluginError(UsageError):
    """An asset-family plugin that cannot be loaded: names the plugin and its distribution."""
