# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# ruff: noqa: E501 - the catalogue is prose kept as data: one sentence per line reads and diffs best
"""The findings catalogue, kept as data.

Each entry says what the weakness is, how bad it is, which evidence raises it (``check``:
the name of a function in ``checks.CHECKS``), how to fix it and which role of this
collection fixes it, and where it is documented (CWE; the HIPAA Security Rule section for
medical clients). Adding a finding means adding an entry here and, if no existing check
fits, one check function.
"""

from __future__ import annotations

SCHEMA_VERSION = "2.0"

#: severity -> (rank, base score on a 0..10 scale, SARIF level)
SEVERITIES = {
    "critical": (4, 10.0, "error"),
    "high": (3, 7.5, "error"),
    "medium": (2, 5.0, "warning"),
    "low": (1, 2.5, "note"),
    "info": (0, 0.0, "none"),
}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")

#: NIST SP 800-30 Rev. 1 qualitative scale (Appendix G likelihood, Appendix H impact, Appendix I risk)
LEVELS = ("very low", "low", "moderate", "high", "very high")
#: NIST SP 800-30 Rev. 1, Table I-2: level of risk, [likelihood][impact], both in LEVELS order
RISK_TABLE = (
    ("very low", "very low", "very low", "low", "low"),  # likelihood very low
    ("very low", "low", "low", "low", "moderate"),  # low
    ("very low", "low", "moderate", "moderate", "high"),  # moderate
    ("very low", "low", "moderate", "high", "very high"),  # high
    ("very low", "low", "moderate", "high", "very high"),  # very high
)
#: NIST SP 800-30 Rev. 1, Table I-3: the representative semi-quantitative value of each level
RISK_POINTS = {"very low": 0, "low": 2, "moderate": 5, "high": 8, "very high": 10}
#: risk level -> action priority (P1 first)
PRIORITY = {"very high": "P1", "high": "P2", "moderate": "P3", "low": "P4", "very low": "P5"}
#: default policy: days from first seen to the due date, per priority
DUE_DAYS = {"P1": 14, "P2": 30, "P3": 90, "P4": 180, "P5": 365}

#: what a compromise of each device class harms (raises the impact of its findings):
#: ``ephi`` the device stores or shows electronic protected health information (the client's
#: policy may add classes), ``clinical`` patient care depends on it, ``availability`` the
#: practice stops working without it
CLASS_PROFILE = {
    "medical": {"ephi": True, "clinical": True, "availability": False},
    "workstation": {"ephi": True, "clinical": False, "availability": False},
    "router": {"ephi": False, "clinical": False, "availability": True},
    "network_switch": {"ephi": False, "clinical": False, "availability": True},
}
NO_PROFILE = {"ephi": False, "clinical": False, "availability": False}

#: how far a device can be reached raises the likelihood of its findings (Appendix G:
#: adversary capability and opportunity), by levels
REACH = {
    "internet": (2, "reachable from the internet through a router port mapping"),
    "outside_vpn": (1, "reached by the assessment from outside the VPN"),
    # assessed through the VPN, but no probe outside it showed every port it reached closed
    # there (no probe ran, or the device answered nothing it could try): not lowered
    "vpn_unproven": (1, "reached through the VPN, not shown closed outside it"),
    "vpn_only": (0, "reachable only through the VPN"),
}


def reach_of(device):
    """The REACH key of a report's device record: mapped from the internet, only through the
    VPN (shown by the outside probe), assessed through the VPN without that proof, or outside."""
    if device.get("internet_exposed"):
        return "internet"
    if device.get("vpn_only"):
        return "vpn_only"
    return "vpn_unproven" if device.get("through_vpn") else "outside_vpn"


#: findings that describe the reach itself (they are not raised by it a second time)
REACH_RULES = ("IOTG-INTERNET-EXPOSED", "IOTG-UPNP-IGD", "IOTG-MGMT-OUTSIDE-VPN", "IOTG-FLAT-NETWORK")
#: findings that are one root cause on the router however many devices it exposes
ROOT_CAUSE_ROUTER = ("IOTG-INTERNET-EXPOSED", "IOTG-UPNP-IGD")

#: vendors' public support or product-security pages (the client's inventory may add more)
VENDOR_CONTACTS = {
    "Hikvision": "https://www.hikvision.com/en/support/cybersecurity/",
    "Dahua": "https://www.dahuasecurity.com/support/cybersecurity",
    "Axis": "https://www.axis.com/support",
    "HP": "https://support.hp.com",
    "Siemens Healthineers": "https://www.siemens-healthineers.com/services",
    "GE Healthcare": "https://www.gehealthcare.com/support",
    "Sonos": "https://support.sonos.com",
    "Yealink": "https://support.yealink.com",
    "Polycom": "https://www.hp.com/us-en/poly/support.html",
    "Venstar": "https://venstar.com/support/",
    "NETGEAR": "https://www.netgear.com/support/",
    "Cisco": "https://www.cisco.com/c/en/us/support/index.html",
    "Xiongmai": "no vendor support (recall of October 2016); replace the device",
}

#: published CVEs a finding carries when the device's own answers support them:
#: (rule, field the device reported, regular expression on it, CVE ids, what they are)
CVES = (
    ("IOTG-SMBV1", "os", r"Windows (XP|5\.1|5\.2|2000|5\.0)",
     ("CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147", "CVE-2017-0148"),
     "MS17-010 SMBv1 remote code execution (EternalBlue); Windows XP gets no fix"),
    ("IOTG-EOL", "server", r"^uc-httpd 1\.0\.0",
     ("CVE-2017-7577",), "XiongMai uc-httpd 1.0.0 directory traversal (reads any file)"),
)  # fmt: skip

#: the two findings of one router port mapping rate and close the same way (one register row)
PORT_MAPPING = {
    "likelihood": "very high",
    "impact": "high",
    "owner": "msp",
    "published_default": False,
    "threat": "Anyone on the internet reaches the device through the router's port mapping and attacks it.",
    "action": "Remove the router's port mappings, turn off UPnP and reach the devices through the VPN.",
}

FINDINGS = (
    {
        "id": "IOTG-DEFAULT-CREDS",
        "likelihood": "moderate",
        "impact": "high",
        "owner": "msp",
        "published_default": True,
        "threat": "An outsider, or malware on the network, logs in with the vendor's published factory password and takes the device over.",
        "action": "Replace the factory password with a unique one and prove the old one no longer works.",
        "title": "Factory-default credentials accepted",
        "severity": "critical",
        "check": "default_credentials",
        "evidence": "A login with the vendor's factory default (or a credential the engineer listed as known-weak) succeeded.",
        "description": "Anyone who knows the vendor's published default password can log in and take over the device.",
        "remediation": "Rotate the credential to a unique random password kept in the client's credential store, then prove the old one no longer works.",
        "fixed_by": ["credential_rotation"],
        "cwe": ["CWE-1392", "CWE-798"],
        "hipaa": ["164.312(d)", "164.308(a)(5)(ii)(D)"],
    },
    {
        "id": "IOTG-CLEARTEXT-MGMT",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "Someone on the network path reads the administrator password from a telnet or FTP session.",
        "action": "Turn off telnet and FTP on the device; manage it over SSH or HTTPS through the VPN.",
        "title": "Cleartext management protocol (telnet, FTP)",
        "severity": "high",
        "check": "cleartext_management",
        "evidence": "A management service that sends passwords in clear text (telnet, FTP) is open.",
        "description": "Passwords and sessions can be read by anyone on the path; telnet daemons on IoT devices are a favourite botnet entry point.",
        "remediation": "Disable telnet/FTP on the device; manage it with SSH or HTTPS, reachable only through the VPN.",
        "fixed_by": ["device_hardening", "wireguard", "vlan_segmentation"],
        "cwe": ["CWE-319"],
        "hipaa": ["164.312(e)(1)"],
    },
    {
        "id": "IOTG-HTTP-NO-TLS",
        "likelihood": "low",
        "impact": "low",
        "owner": "msp",
        "published_default": False,
        "threat": "Someone on the network path reads the administrator password from the unencrypted web page.",
        "action": "Turn on HTTPS on the device and switch plain HTTP off; until then, reach its web page only "
        "through the VPN.",
        "title": "Web administration without TLS",
        "severity": "medium",
        "check": "http_without_tls",
        "evidence": "The device's web administration answers over plain HTTP and no HTTPS is offered.",
        "description": "Administrator passwords cross the network unencrypted.",
        # the VPN lowers the likelihood (the page is reached only through it) but does not close
        # it: the password still crosses the device's own VLAN in clear text
        "remediation": "Enable HTTPS (and disable plain HTTP) on the device. Confining its management to the VPN "
        "lowers the likelihood; the password still crosses the device's own network in clear text.",
        "fixed_by": ["device_hardening"],
        "cwe": ["CWE-319"],
        "hipaa": ["164.312(e)(2)(ii)"],
    },
    {
        "id": "IOTG-EOL",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "practice",
        "published_default": False,
        "threat": "An attacker uses a flaw the vendor will never patch.",
        "action": "Plan the replacement with the vendor; until then keep the system on its own isolated network segment.",
        "title": "End-of-life operating system or firmware",
        "severity": "high",
        "check": "end_of_life",
        "evidence": "Discovery identified an operating system or firmware the vendor no longer patches.",
        "description": "Known vulnerabilities stay open for good (e.g. Windows XP: no security updates since 2014).",
        "remediation": "Replace or upgrade the system; until then isolate it on its own VLAN with no internet access and allow only the flows it needs.",
        "fixed_by": ["vlan_segmentation"],
        "cwe": ["CWE-1104"],
        "hipaa": ["164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)"],
    },
    {
        "id": "IOTG-INTERNET-EXPOSED",
        **PORT_MAPPING,
        "title": "Device exposed to the internet (router port mapping)",
        "severity": "critical",
        "check": "internet_exposed",
        "evidence": "The router holds a UPnP port mapping or port-forward to this device.",
        "description": "The device can be reached, and attacked, from anywhere on the internet.",
        "remediation": "Remove the port mapping, disable UPnP on the router and reach the device through the VPN.",
        "fixed_by": ["device_hardening", "wireguard"],
        "cwe": ["CWE-668"],
        "hipaa": ["164.312(e)(1)", "164.312(a)(1)"],
    },
    {
        "id": "IOTG-MGMT-OUTSIDE-VPN",
        "likelihood": "moderate",
        "impact": "low",
        "owner": "msp",
        "published_default": False,
        "threat": "A guest or a compromised PC on the local network reaches the device's administration.",
        "action": "Allow the device's administration only from the VPN.",
        "title": "Management reachable from outside the VPN",
        "severity": "high",
        "check": "management_outside_vpn",
        "evidence": "A management port answered the assessment, which ran from outside the VPN.",
        "description": "Anyone on the local network (a guest, a compromised PC) can reach the device's administration.",
        "remediation": "Allow management ports only from the VPN's address range.",
        "fixed_by": ["wireguard", "vlan_segmentation"],
        "cwe": ["CWE-668"],
        "hipaa": ["164.312(a)(1)"],
    },
    {
        "id": "IOTG-NO-LOCKOUT",
        "likelihood": "low",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "An attacker guesses the password by trying without limit.",
        "action": "Turn on lockout after a few failed logins.",
        "title": "No lockout after repeated failed logins",
        "severity": "medium",
        "check": "no_lockout",
        "evidence": "The device accepts unlimited failed logins (no lockout policy reported or configured).",
        "description": "Passwords can be guessed by brute force without limit.",
        "remediation": "Turn on the device's lockout (a few attempts, then a delay) or put it behind a gateway that limits attempts.",
        "fixed_by": ["device_hardening", "lockout_policy"],
        "cwe": ["CWE-307"],
        "hipaa": ["164.308(a)(5)(ii)(C)", "164.312(a)(1)"],
    },
    {
        "id": "IOTG-FLAT-NETWORK",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "A compromised device reaches the staff workstations (or the reverse) because nothing separates them.",
        "action": "Move the device onto its own network segment (VLAN) with only the traffic it needs.",
        "title": "IoT device on the same VLAN as staff workstations",
        "severity": "high",
        "check": "flat_network",
        "evidence": "The device shares a VLAN with the staff workstations.",
        "description": "One compromised device can reach every workstation (and the reverse): no segment limits an intrusion.",
        "remediation": "Move the device onto the VLAN of its class and allow only the flows it needs between VLANs.",
        "fixed_by": ["vlan_segmentation"],
        "cwe": ["CWE-653"],
        "hipaa": ["164.308(a)(1)(ii)(B)", "164.312(a)(1)"],
    },
    {
        "id": "IOTG-MQTT-NOAUTH",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "Anyone on the network reads the device's messages or sends it commands.",
        "action": "Require a password (and encryption) on the device's MQTT broker.",
        "title": "MQTT broker accepts clients without credentials",
        "severity": "high",
        "check": "mqtt_unauthenticated",
        "evidence": "An MQTT CONNECT without user name or password was accepted (CONNACK return code 0).",
        "description": "Anyone can read device telemetry and publish commands to the devices.",
        "remediation": "Require authentication (and TLS) on the broker; allow only the VPN and the devices' VLAN.",
        "fixed_by": ["device_hardening", "credential_rotation", "vlan_segmentation"],
        "cwe": ["CWE-306"],
        "hipaa": ["164.312(d)", "164.312(a)(1)"],
    },
    {
        "id": "IOTG-RTSP-NOAUTH",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "Anyone on the network watches the camera's video.",
        "action": "Require a password on the video stream; let only the recorder reach the camera.",
        "title": "Video stream (RTSP) without authentication",
        "severity": "high",
        "check": "rtsp_unauthenticated",
        "evidence": "An RTSP DESCRIBE without credentials returned the stream description (200 OK).",
        "description": "Anyone who reaches the device can watch its camera feed.",
        "remediation": "Require authentication on the stream; let only the NVR's VLAN reach the camera.",
        "fixed_by": ["credential_rotation", "vlan_segmentation"],
        "cwe": ["CWE-306"],
        "hipaa": ["164.312(a)(1)", "164.312(d)"],
    },
    {
        "id": "IOTG-SNMP-PUBLIC",
        "likelihood": "low",
        "impact": "low",
        "owner": "msp",
        "published_default": True,
        "threat": "Anyone on the network reads the device's configuration with the published community 'public'.",
        "action": "Turn off SNMP v1/v2c or set a random community; prefer SNMPv3.",
        "title": "SNMP answers to the community 'public'",
        "severity": "high",
        "check": "snmp_public",
        "evidence": "An SNMP GET of sysDescr.0 with the community 'public' was answered.",
        "description": "The device discloses its configuration (and with a writable community, accepts changes) to anyone.",
        "remediation": "Disable SNMPv1/v2c or set a random community; prefer SNMPv3 with authentication and privacy.",
        "fixed_by": ["device_hardening", "credential_rotation"],
        "cwe": ["CWE-1392", "CWE-200"],
        "hipaa": ["164.312(d)"],
    },
)

FINDINGS += (
    {
        "id": "IOTG-UPNP-IGD",
        **PORT_MAPPING,
        "title": "Router opens ports on request (UPnP IGD) or forwards ports",
        "severity": "high",
        "check": "upnp_gateway",
        "evidence": "The router answers UPnP IGD port-mapping requests from the inside and holds port mappings to inside devices.",
        "description": "Any inside device (or malware on it) can open a door from the internet to itself; existing forwards expose devices now.",
        "remediation": "Disable UPnP IGD on the router, remove the port-forwards and reach inside devices through the VPN.",
        "fixed_by": ["device_hardening", "wireguard"],
        "cwe": ["CWE-284", "CWE-668"],
        "hipaa": ["164.312(e)(1)", "164.308(a)(1)(ii)(B)"],
    },
    {
        "id": "IOTG-SMBV1",
        "likelihood": "moderate",
        "impact": "high",
        "owner": "vendor",
        "published_default": False,
        "threat": "A worm or attacker uses an SMBv1 flaw (EternalBlue) to run code on the system.",
        "action": "Ask the vendor to turn off SMBv1; until then isolate the system and allow file sharing only from the hosts that need it.",
        "title": "SMBv1 file sharing enabled",
        "severity": "high",
        "check": "smbv1",
        "evidence": "The SMB service negotiated the SMBv1 dialect (NT LM 0.12).",
        "description": "SMBv1 carries wormable remote-code-execution flaws (EternalBlue, WannaCry) and has no encryption.",
        "remediation": "Disable SMBv1; where the system cannot (Windows XP), isolate it on its own VLAN and allow SMB only from the hosts that need it.",
        "fixed_by": ["vlan_segmentation"],
        "cwe": ["CWE-327", "CWE-1104"],
        "hipaa": ["164.312(e)(1)", "164.308(a)(1)(ii)(B)"],
    },
    {
        "id": "IOTG-DICOM-NOAUTH",
        "likelihood": "moderate",
        "impact": "high",
        "owner": "vendor",
        "published_default": False,
        "threat": "Anyone on the network queries, copies or alters medical images (ePHI).",
        "action": "Ask the vendor to restrict DICOM to the known AE titles and addresses; keep the modality on the medical network segment.",
        "title": "DICOM service accepts associations without authentication",
        "severity": "high",
        "check": "dicom_unauthenticated",
        "evidence": "A DICOM association (C-ECHO) from an unknown calling AE title was accepted.",
        "description": "Anyone on the network can query, retrieve or store medical images: protected health information is exposed.",
        "remediation": "Restrict the DICOM service to the known AE titles and addresses of the PACS and modalities; isolate it on the medical VLAN.",
        "fixed_by": ["vlan_segmentation"],
        "cwe": ["CWE-306"],
        "hipaa": ["164.312(a)(1)", "164.312(d)", "164.312(e)(1)"],
    },
    {
        "id": "IOTG-API-NOAUTH",
        "likelihood": "moderate",
        "impact": "moderate",
        "owner": "msp",
        "published_default": False,
        "threat": "Anyone on the network reads the device and changes its settings through its API, without any password.",
        "action": (
            "Turn authentication on in the device's own settings (on its screen where the API cannot) "
            "with a unique password that the credential rotation generates for it and then proves."
        ),
        "title": "Device API answers without authentication",
        "severity": "high",
        "check": "api_unauthenticated",
        "evidence": "The device's management API answered a request that carried no credentials.",
        "description": "There is no account to protect: anyone who reaches the device controls it.",
        "remediation": "Turn the API's authentication on with a unique credential, or turn the API off; allow its port only from the VPN.",
        "fixed_by": ["credential_rotation"],
        "cwe": ["CWE-306"],
        "hipaa": ["164.312(a)(1)", "164.312(d)"],
    },
)

#: operating systems and firmware whose vendor no longer ships security fixes, matched
#: against what the device itself reports (SMB OS / LAN Manager strings, SNMP sysDescr,
#: banners): (regular expression, product, end of support)
EOL_MARKERS = (
    (r"^Windows 5\.1\b|Windows XP", "Windows XP", "2014-04-08"),
    (r"^Windows 5\.0\b|Windows 2000", "Windows 2000", "2010-07-13"),
    (r"^Windows 5\.2\b|Windows Server 2003", "Windows Server 2003 / XP x64", "2015-07-14"),
    (r"^Windows 6\.0\b|Windows Vista", "Windows Vista / Server 2008", "2017-04-11"),
    (r"^Windows 6\.1\b|Windows 7\b", "Windows 7 / Server 2008 R2", "2020-01-14"),
)

BY_ID = {f["id"]: f for f in FINDINGS}


def severity_rank(severity):
    """The rank of a severity name; ValueError that names the allowed values."""
    try:
        return SEVERITIES[severity][0]
    except KeyError:
        raise ValueError(
            "severity=%r is not a severity; use one of %s" % (severity, ", ".join(SEVERITY_ORDER))
        ) from None


def profile(device_class, ephi_classes=None):
    """What a compromise of the class harms; ``ephi_classes`` (the client's policy) adds ePHI."""
    out = dict(CLASS_PROFILE.get(device_class or "unknown", NO_PROFILE))
    if ephi_classes is not None and device_class in ephi_classes:
        out["ephi"] = True
    return out


def level(index):
    return LEVELS[max(0, min(len(LEVELS) - 1, index))]


def risk_level(likelihood, impact):
    """NIST SP 800-30 Table I-2."""
    return RISK_TABLE[LEVELS.index(likelihood)][LEVELS.index(impact)]


def validate():
    """Self-check of the catalogue (unit tests call it): every field present and sane."""
    required = (
        "id",
        "title",
        "severity",
        "check",
        "evidence",
        "description",
        "remediation",
        "fixed_by",
        "cwe",
        "hipaa",
        "likelihood",
        "impact",
        "owner",
        "threat",
        "action",
    )
    seen = set()
    problems = []
    for entry in FINDINGS:
        for key in required:
            if not entry.get(key):
                problems.append("%s: %s is empty" % (entry.get("id", "?"), key))
        if entry.get("id") in seen:
            problems.append("%s: duplicate id" % entry["id"])
        seen.add(entry.get("id"))
        for key in ("likelihood", "impact"):
            if entry.get(key) not in LEVELS:
                problems.append("%s: %s %r is not a level" % (entry.get("id"), key, entry.get(key)))
        if entry.get("owner") not in ("msp", "practice", "vendor"):
            problems.append(
                "%s: owner %r is not msp, practice or vendor" % (entry.get("id"), entry.get("owner"))
            )
        if entry.get("severity") not in SEVERITIES:
            problems.append("%s: unknown severity %r" % (entry.get("id"), entry.get("severity")))
    return problems
