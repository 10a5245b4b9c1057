# SPDX-License-Identifier: GPL-3.0-or-later
"""Just enough XML for ISAPI/SOAP bodies: read simple leaf fields, escape values we write.

Bodies are bounded by the HTTP server; no entity expansion or DTDs are ever processed.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape


def field(text: str, tag: str) -> str | None:
    """The text of the first ``<tag>`` (any namespace prefix), unescaped; None if absent."""
    m = re.search(rf"<(?:\w+:)?{re.escape(tag)}(?:\s[^>]*)?>(.*?)</(?:\w+:)?{re.escape(tag)}>", text, re.S)
    if m is None:
        return None
    return (
        m.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def esc(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})
