# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m iotlab`` is the ``tests/lab/lab`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
