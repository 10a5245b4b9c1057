# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import hostile


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        (b"SSH-2.0-dropbear_2014.63\r\n", 256, "SSH-2.0-dropbear_2014.63"),
        (
            b"220 Axis M3045-V Network Camera 9.80.1 (2021) ready.\r\n",
            256,
            "220 Axis M3045-V Network Camera 9.80.1 (2021) ready.",
        ),
        (b"\x1b[2J\x1b[31mred\x00\x07bell", 256, "[2J[31mredbell"),
        ("multi\r\n\tline   banner", 256, "multi line banner"),
        ("bidi \u202eevil\u202c zero\u200bwidth", 256, "bidi evil zerowidth"),
        (b"\xff\xfelatin1 \xe9", 256, "\xff\xfelatin1 \xe9"),
        ("x" * 1000, 16, "x" * 13 + "..."),
        (None, 256, ""),
        (12, 256, "12"),
        ("\x85next line C1", 256, "next line C1"),
    ],
)
def test_text(raw, limit, expected):
    assert hostile.text(raw, limit) == expected


def test_text_keeps_template_syntax_for_the_operator_to_see():
    # unsafe-wrapping, not mangling, is what keeps it from being templated
    assert hostile.text("{{ lookup('pipe', 'id') }}") == "{{ lookup('pipe', 'id') }}"


def test_huge_input_is_bounded_before_work():
    assert len(hostile.text(b"A" * 10_000_000, 64)) == 64


def test_tree_cleans_keys_values_and_bounds_items():
    out = hostile.tree({"k\x00ey": ["a\x1b", {"n": 1, "b": True}], "list": list(range(100))}, max_items=5)
    assert out == {"key": ["a", {"n": 1, "b": True}], "list": [0, 1, 2, 3, 4]}


def test_tree_depth_is_bounded():
    deep = cur = {}
    for _level in range(20):
        cur["d"] = {}
        cur = cur["d"]
    flat = hostile.tree(deep, depth=3)
    assert flat == {"d": {"d": {"d": {"d": None}}}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cam-lobby-01", "cam-lobby-01"),
        ("evil;rm -rf /", "evilrm-rf"),
        ("$(id).local", "id.local"),
        ("\x00", ""),
    ],
)
def test_hostname(raw, expected):
    assert hostile.hostname(raw) == expected


def test_limit_too_small_is_an_error():
    with pytest.raises(ValueError, match="limit"):
        hostile.text("abc", 2)
