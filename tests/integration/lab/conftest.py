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
from iotlab.testing import LabSite

PRIVATE_SUBNET = "127.20.32.0/24"


@pytest.fixture(scope="session")
def lab_site():
    rebase = os.environ.get("IOTLAB_LABTEST_REBASE", PRIVATE_SUBNET)
    site = LabSite("clinic", state_dir=state_root() / "clinic-labtests", rebase=rebase)
    try:
        site.up(fresh=True)
    except Exception as exc:  # noqa: BLE001 - re-raised as a test error that names the cause
        pytest.fail(f"the lab's private clinic ({rebase}) could not start: {exc}", pytrace=False)
    try:
        yield site
    finally:
        site.down()


@pytest.fixture(autouse=True)
def _no_faults_left(lab_site):
    lab_site.clear_faults()
    yield
    lab_site.clear_faults()
