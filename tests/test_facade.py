"""The package facade is made from one table, PUBLIC."""

from __future__ import annotations

import ast
from pathlib import Path

import twin

FACADE = Path(twin.__file__)


def _typing_block() -> set[tuple[str, str]]:
    """(module, name) of every import in the facade's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse(FACADE.read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    found = set()
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name}: re-export it as itself"
            found.add((node.module, alias.name))
    return found


def test_the_typing_block_is_the_table() -> None:
    table = {(module, name) for module, names in twin.PUBLIC.items() for name in names}
    block = _typing_block()
    wanted = "\n".join(
        f"    from {m} import {n} as {n}" for m, n in sorted(table - block)
    )  # what to paste when a name was added to the table
    assert block == table, f"the TYPE_CHECKING block differs from PUBLIC; add:\n{wanted}"


def test_all_is_the_table_and_every_name_is_where_the_table_says() -> None:
    names = [name for names in twin.PUBLIC.values() for name in names]
    assert len(names) == len(set(names)), "a name listed twice"
    assert twin.__all__ == sorted(names)
    for module, listed in twin.PUBLIC.items():
        home = __import__(module, fromlist=["_"])
        for name in listed:
            assert getattr(twin, name) is getattr(home, name)
