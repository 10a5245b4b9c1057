# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's own tests run on a private copy of the clinic (127.20.32.0/24 by default).

They rotate passwords, restart the site and reconfigure switches; a private copy keeps
that from leaking into the other integration tests that share the session's ``lab_site``.
Every test leaves no fault behind.
"""

from __future__ import annotations

import os

import pytest
from iotlab.control import state_root
from iotlab.testing import LabSite, running

PRIVATE_SUBNET = "127.20.32.0/24"


@pytest.fixture(scope="session")
def lab_site():
    rebase = os.environ.get("IOTLAB_LABTEST_REBASE", PRIVATE_SUBNET)
    site = LabSite("clinic", state_dir=state_root() / "clinic-labtests", rebase=rebase)
    yield from running(site, f"the lab's private clinic ({rebase})")


@pytest.fixture(autouse=True)
def _no_faults_left(lab_site):
    lab_site.clear_faults()
    yield
    lab_site.clear_faults()
