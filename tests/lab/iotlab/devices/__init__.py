# SPDX-License-Identifier: GPL-3.0-or-later
"""The device kinds: one class per kind, registered here by ``KIND``."""

from __future__ import annotations

from .axis import AxisCamera
from .base import Device
from .busybox import BusyBoxDevice
from .hikvision import HikvisionCamera, HikvisionNvr

KINDS: dict[str, type[Device]] = {
    cls.KIND: cls
    for cls in (
        HikvisionCamera,
        HikvisionNvr,
        AxisCamera,
        BusyBoxDevice,
    )
}
