# SPDX-License-Identifier: GPL-3.0-or-later
"""Every lab test leaves no fault behind for the next one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_faults_left(lab_site):
    lab_site.clear_faults()
    yield
    lab_site.clear_faults()
