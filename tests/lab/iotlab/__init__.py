# SPDX-License-Identifier: GPL-3.0-or-later
"""iotlab: a simulated client site for iotguard.hardening's tests, benchmarks and demo.

Every device binds its own loopback address and speaks its real protocols. See
``tests/lab/README.md`` for the site file, the ground-truth schema and the fault model.
"""

from __future__ import annotations

from .control import LabControl
from .errors import LabError
from .faults import FAULTS, FaultTable

__all__ = ["FAULTS", "FaultTable", "LabControl", "LabError"]
