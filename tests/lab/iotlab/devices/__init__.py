# SPDX-License-Identifier: GPL-3.0-or-later
"""The device kinds: one class per kind, registered here by ``KIND``."""

from __future__ import annotations

from .axis import AxisCamera
from .base import Device
from .busybox import BusyBoxDevice
from .dahua import DahuaCamera
from .edgeos import EdgeRouter
from .hikvision import HikvisionCamera, HikvisionNvr
from .mikrotik import MikrotikRouter
from .printer import Printer
from .router import Router
from .speaker import SmartSpeaker
from .thermostat import Thermostat
from .voip import VoipPhone
from .workstation import MedicalWorkstation

KINDS: dict[str, type[Device]] = {
    cls.KIND: cls
    for cls in (
        HikvisionCamera,
        HikvisionNvr,
        AxisCamera,
        BusyBoxDevice,
        Printer,
        Thermostat,
        VoipPhone,
        SmartSpeaker,
        MedicalWorkstation,
        Router,
        DahuaCamera,
        MikrotikRouter,
        EdgeRouter,
    )
}
