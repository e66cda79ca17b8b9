"""Bounded reading (twin.io.documents) and the vectorised footprint check, in process."""

from __future__ import annotations

import numpy as np
import pytest

from twin.errors import InputError
from twin.io.documents import read_document
from twin.model.geometry import crossing_by_arrays, crossing_by_loop
from twin.model.schema import polygon_problem


@pytest.mark.parametrize("corners", [4, 5, 8, 13, 30, 60])
def test_the_vectorised_crossing_check_finds_the_pair_the_loop_finds(corners):
    """Random polygons, many of them crossing themselves, some with touching corners."""
    rng = np.random.default_rng(corners)
    for _ in range(200):
        points = [tuple(p) for p in rng.integers(0, 6, size=(corners, 2)).astype(float)]
        expected = crossing_by_loop(points)
        assert crossing_by_arrays(np.asarray(points)) == expected, points


def test_a_star_crosses_itself_and_a_circle_does_not():
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = [(float(np.cos(a)) * 50, float(np.sin(a)) * 50) for a in angles]
    assert polygon_problem(circle) is None
    star = [circle[(k * 160) % 400] for k in range(5)]  # a pentagram: every other corner
    assert "crosses itself" in str(polygon_problem(star))


def test_lines_are_found_through_the_one_walk_and_aliases_are_shared(tmp_path):
    doc = tmp_path / "park.yaml"
    doc.write_text("a: &x\n  b: 1\n  c: [2, 3]\nd: *x\ne:\n  - f: 4\n")
    data, lines = read_document(doc)
    assert data["d"] is data["a"]  # shared, not copied
    assert lines[("a",)] == 1 and lines[("a", "c")] == 3 and lines[("a", "c", 1)] == 3
    assert lines[("d",)] == 4 and lines[("e", 0, "f")] == 6


def test_json_lines_are_found_only_when_an_error_asks(tmp_path):
    doc = tmp_path / "park.json"
    doc.write_text('{\n  "a": {\n    "b": [1,\n      2]\n  }\n}\n')
    data, lines = read_document(doc)
    assert data == {"a": {"b": [1, 2]}}
    assert lines[("a", "b", 1)] == 4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &a [*a]\n", ["a[0]", "holds it"]),
        ("a: " + "[" * 60 + "]" * 60 + "\n", ["nested 61 levels", "at most 50"]),
        ("a: [1, 2\n", ["YAML syntax error"]),
    ],
)
def test_refused_documents_say_where_and_why(tmp_path, text, words):
    doc = tmp_path / "bad.yaml"
    doc.write_text(text)
    with pytest.raises(InputError) as caught:
        read_document(doc)
    for word in words:
        assert word in str(caught.value)


TWO_CHANGES = "scenario: {name: a}\nchanges: []\nchanges: [{remove: x}]\n"
TWO_HEIGHTS = "buildings:\n  - id: f1\n    height_m: 5\n    height_m: 9\n"


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        # Two `changes:` sections: the first list was dropped without a word.
        ("s.yaml", TWO_CHANGES, [":3:", "(lines 2 and 3)"]),
        ("p.yaml", TWO_HEIGHTS, ["buildings[0]", "'height_m'"]),
        ("s.json", '{"scenario": {"name": "a"}, "events": [], "events": []}', ["'events'"]),
        ("p.json", '{"a": [{"id": 1, "id": 2}]}', ["'id' is given twice"]),
    ],
)
def test_a_key_given_twice_is_refused_not_silently_replaced(tmp_path, name, text, words):
    doc = tmp_path / name
    doc.write_text(text)
    with pytest.raises(InputError) as caught:
        read_document(doc)
    for word in [name, *words]:
        assert word in caught.value.text()


def test_merge_keys_and_equal_keys_in_different_mappings_are_fine(tmp_path):
    doc = tmp_path / "park.yaml"
    doc.write_text("base: &b {x: 1}\na: {<<: *b, y: 2}\nb: {<<: *b, y: 3}\nc: {'1': 1, '01': 2}\n")
    data, _ = read_document(doc)
    assert data["a"] == {"x": 1, "y": 2} and data["b"] == {"x": 1, "y": 3}
