# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run against the simulated client site (tests/lab).

``lab_site`` brings a site up once per session (``clinic`` unless parametrised with
``@pytest.mark.parametrize("lab_site", ["large"], indirect=True)``), yields an
``iotlab.testing.LabSite`` (ground truth in ``.truth``, ``fault()``, ``clear_faults()``,
``restart()``) and brings it down. A site that cannot start is an error, never a skip.

To run beside a site that is already up (another checkout's test run), move this run
elsewhere: ``IOTLAB_REBASE=127.20.1.0/24 IOTLAB_STATE_ROOT=/tmp/lab2 pytest ...``.
"""

from __future__ import annotations

import os

import pytest
from iotlab.testing import LabSite, running


@pytest.fixture(scope="session")
def lab_site(request):
    name = getattr(request, "param", "clinic")
    yield from running(
        LabSite(name, rebase=os.environ.get("IOTLAB_REBASE") or None), f"the lab site {name!r}"
    )
