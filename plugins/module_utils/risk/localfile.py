# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Files the engineer gives the report (the KEV catalogue copy, the MSP's logo), read bounded."""

from __future__ import annotations


class TooLarge(ValueError):
    """The file is larger than the caller accepts."""


def read_bounded(path, limit):
    """The file's bytes; OSError when it cannot be read, TooLarge above ``limit`` bytes."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge("is larger than %d bytes" % limit)
    return data
