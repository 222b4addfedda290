"""The shape comparison the fixture tests rely on: it must report what differs, or those
tests could pass with the sandbox's objects wrong."""

from __future__ import annotations

from shape_compare import shape_differences


def test_compare_reports_missing_and_extra_keys_at_every_level() -> None:
    fixture = {"a": 1, "b": {"c": 1, "d": 2}, "e": [{"f": 1}]}
    actual = {"a": 1, "b": {"c": 1, "x": 2}, "e": [{"g": 1}], "y": 0}
    assert shape_differences(fixture, actual) == [
        "extra key: y",
        "missing key: b.d",
        "extra key: b.x",
        "missing key: e[].f",
        "extra key: e[].g",
    ]


def test_compare_lets_null_match_anything_and_honours_allowlist_and_skip() -> None:
    fixture = {"a": {"b": 1}, "c": None, "d": [], "e": {"f": 1}}
    actual = {"a": None, "c": {"z": 1}, "d": [{"q": 1}], "e": {"g": 1}, "h": 1}
    assert (
        shape_differences(fixture, actual, allow_extra=frozenset({"h"}), skip=frozenset({"e"}))
        == []
    )


def test_compare_treats_metadata_as_free_form() -> None:
    assert shape_differences({"metadata": {"order_id": "1"}}, {"metadata": {"plan": "x"}}) == []
    assert shape_differences({"metadata": {}}, {"metadata": "x"}) == [
        "metadata: fixture has object, builder returns scalar"
    ]


def test_compare_reports_object_against_scalar() -> None:
    assert shape_differences({"a": {"b": 1}}, {"a": "x"}) == [
        "a: fixture has object, builder returns scalar"
    ]
