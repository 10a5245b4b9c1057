# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The one place that makes device data safe to keep.

Everything a device says (banners, HTTP titles and headers, SNMP strings, DHCP and mDNS
host names) may come from a device an attacker owns. Before such a value is stored it goes
through :func:`text` (or :func:`tree` for nested data):

* bytes are decoded (UTF-8, falling back to Latin-1 so nothing raises);
* control characters (C0, DEL, C1) and Unicode direction overrides / zero-width
  characters are removed; tab, CR and LF become one space;
* runs of white space collapse, the ends are stripped;
* the result is bounded to ``limit`` characters (a marker shows the cut).

This module does NOT neutralise template syntax: values stay as the device sent them
(an operator needs to see ``{{`` if a device sends it). Ansible-facing code must also mark
them unsafe (``ansible.utils.unsafe_proxy.wrap_var``) so they are never templated, and
must never pass them to a shell.
"""

from __future__ import annotations

import re

DEFAULT_LIMIT = 256
CUT_MARK = "..."

# C0 except TAB/LF/CR (those become spaces), DEL, C1, bidi overrides/isolates, zero-width
# characters and the BOM.
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACE = re.compile(r"[\t\r\n]+| {2,}")


def decode(data):
    """Bytes from the wire to ``str`` without ever raising."""
    if isinstance(data, str):
        return data
    if data is None:
        return ""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return str(data)


def text(value, limit=DEFAULT_LIMIT):
    """Return ``value`` as a clean, bounded, single-line string."""
    if limit is not None and limit < len(CUT_MARK) + 1:
        raise ValueError("limit must be at least %d, got %r" % (len(CUT_MARK) + 1, limit))
    s = decode(value)
    if limit is not None and len(s) > limit * 4:
        # bound the work before the regexes run on a huge input
        s = s[: limit * 4]
    s = _DROP.sub("", s)
    s = _SPACE.sub(" ", s).strip()
    if limit is not None and len(s) > limit:
        s = s[: limit - len(CUT_MARK)] + CUT_MARK
    return s


def tree(value, limit=DEFAULT_LIMIT, max_items=64, depth=6):
    """Clean every string in nested dicts/lists; bound the number of items and depth.

    Keys are cleaned too (they may come from a device, e.g. mDNS TXT keys).
    Numbers, booleans and None pass through unchanged.
    """
    if depth < 0:
        return None
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= max_items:
                break
            out[text(k, 64) if not isinstance(k, int) else k] = tree(v, limit, max_items, depth - 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)[:max_items]
        return [tree(v, limit, max_items, depth - 1) for v in items]
    return text(value, limit)


def hostname(value, limit=63):
    """A device-supplied host name reduced to the characters a host name may hold.

    Returns "" when nothing usable is left.
    """
    s = text(value, 255)
    s = re.sub(r"[^A-Za-z0-9._-]", "", s).strip(".-")
    return s[:limit]
