# SPDX-License-Identifier: GPL-3.0-or-later
"""Legacy medical workstations on Windows XP: SMB1 on 445 and a DICOM SCP on 104."""

from __future__ import annotations

from typing import Any, ClassVar

from ..net import Conn
from ..protocols.dicom import DicomIdentity, serve_dicom
from ..protocols.smb import WindowsIdentity, serve_smb
from .base import Device, Listener


class MedicalWorkstation(Device):
    KIND = "medical_workstation"
    DEVICE_CLASS = "medical"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "xp-mri-console": {
            "vendor": "Siemens",
            "model": "MAGNETOM console (syngo MR B17)",
            "firmware": "Windows XP Professional SP3",
            "os": "Windows XP",
            "oui": "00:14:22",
            "users": [],
            "lockout": {"enabled": False, "configurable": False},
            "ae_title": "MRC_CONSOLE",
            # Siemens' implementation class UID root and a syngo version name
            "dicom_implementation": ("1.3.12.2.1107.5.2", "SYNGO_MR_B17"),
            "weaknesses": ["eol_os", "smbv1", "dicom_no_auth"],
        },
        "xp-ultrasound": {
            "vendor": "GE Healthcare",
            "model": "LOGIQ E9 workstation",
            "firmware": "Windows XP Embedded SP3",
            "os": "Windows XP",
            "oui": "00:18:8b",
            "users": [],
            "lockout": {"enabled": False, "configurable": False},
            "ae_title": "LOGIQE9",
            # GE Medical Systems' implementation class UID root (1.2.840.113619)
            "dicom_implementation": ("1.2.840.113619.6.283", "LOGIQE9_R6"),
            "weaknesses": ["eol_os", "smbv1", "dicom_no_auth"],
        },
    }

    def listeners(self) -> list[Listener]:
        netbios = self.name.upper().replace("-", "")[:15]
        self.windows = WindowsIdentity(server=netbios)
        uid, version = self.variant["dicom_implementation"]
        self.dicom = DicomIdentity(self.variant["ae_title"], uid, version)
        return [
            Listener("smb", "tcp", 445, self.smb),
            Listener("dicom", "tcp", 104, self.dicom_scp),
        ]

    async def smb(self, conn: Conn) -> None:
        await serve_smb(conn, self.windows)

    async def dicom_scp(self, conn: Conn) -> None:
        await serve_dicom(conn, self.dicom)

    def ground_truth(self) -> dict[str, Any]:
        gt = super().ground_truth()
        gt["os"] = self.variant["os"]
        gt["netbios_name"] = self.windows.server
        gt["dicom_ae_title"] = self.dicom.ae_title
        return gt
