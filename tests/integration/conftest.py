# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run against the simulated client site (tests/lab).

``lab_site`` brings a site up once per session (``clinic`` unless parametrised with
``@pytest.mark.parametrize("lab_site", ["large"], indirect=True)``), yields an
``iotlab.testing.LabSite`` (ground truth in ``.truth``, ``fault()``, ``clear_faults()``,
``restart()``) and brings it down. A site that cannot start is an error, never a skip.
"""

from __future__ import annotations

import pytest
from iotlab.testing import LabSite


@pytest.fixture(scope="session")
def lab_site(request):
    name = getattr(request, "param", "clinic")
    site = LabSite(name)
    try:
        site.up(fresh=True)
    except Exception as exc:  # noqa: BLE001 - re-raised as a test error that names the cause
        pytest.fail(f"the lab site {name!r} could not start: {exc}", pytrace=False)
    try:
        yield site
    finally:
        site.down()
