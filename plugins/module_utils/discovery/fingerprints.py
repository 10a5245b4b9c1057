# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The fingerprint database: data, not code.

Kept as a Python data structure so it travels with a module (AnsiballZ ships ``.py`` files
only). Each entry says what a product is and how to recognise it from what it sends:

``id``                  stable identifier (host var ``iot_fingerprint_id``; the
                        ``iotguard.hardening.iot_fingerprint`` lookup and the rotation
                        role read defaults by it)
``vendor``/``model``    vendor, model family (a ``(?P<model>...)`` group in a matching rule
                        gives the exact model)
``class``               one of ``DEVICE_CLASSES``
``os``                  operating system family when the product fixes it
``match``               rules ``(evidence field, regular expression, weight)``; the fields are
                        listed in ``classify.EVIDENCE_FIELDS``; a rule counts once; the best
                        total wins (ties: first entry)
``mgmt_protocols``      how the product is managed
``default_credentials`` factory defaults from public sources (vendor manuals, the Mirai
                        source's list); ``source`` says which
``lockout``             ``supported`` (True/False/None unknown), ``threshold`` (failed logins
                        before the account locks, None unknown), ``note``
``eol``                 None, or ``date``/``reason`` when the product gets no more fixes
``driver``              the device driver the rotation and lockout roles use; None when no
                        driver of ours speaks the product's API (an open telnet/SSH shell
                        then stands in, unless ``shell_fallback`` is False: products whose
                        shell has no ``passwd`` or whose ``passwd`` would not last)
``kind``                ``os`` for an operating system entry: it also gives ``os``/``eol`` to a
                        product running it (the MRI console on Windows XP)

Rules are built from what the real products send (public banners, manuals, scan data);
weights: 3 = unique to the product, 2 = strong, 1 = weak (MAC OUI, port alone).
"""

from __future__ import annotations

DEVICE_CLASSES = (
    "camera",
    "nvr",
    "printer",
    "thermostat",
    "building_controller",
    "voip_phone",
    "smart_speaker",
    "medical",
    "network_switch",
    "router",
    "workstation",
    "unknown",
)

_NO_LOCKOUT = {"supported": False, "threshold": None, "note": "no account lockout"}
_UNKNOWN_LOCKOUT = {"supported": None, "threshold": None, "note": "not documented"}

# Mirai (2016) brute-forced these pairs over telnet; public in its released source.
MIRAI_CREDENTIALS = [
    ("root", "xc3511"),
    ("root", "vizxv"),
    ("root", "admin"),
    ("admin", "admin"),
    ("root", "888888"),
    ("root", "xmhdipc"),
    ("root", "default"),
    ("root", "juantech"),
    ("root", "123456"),
    ("root", "54321"),
    ("support", "support"),
    ("root", ""),
    ("admin", "password"),
    ("root", "root"),
    ("root", "12345"),
    ("user", "user"),
    ("admin", ""),
    ("root", "pass"),
    ("admin", "admin1234"),
    ("root", "1111"),
    ("admin", "smcadmin"),
    ("admin", "1111"),
    ("root", "666666"),
    ("root", "password"),
    ("root", "1234"),
    ("root", "klv123"),
    ("Administrator", "admin"),
    ("service", "service"),
    ("supervisor", "supervisor"),
    ("guest", "guest"),
    ("guest", "12345"),
    ("admin1", "password"),
    ("administrator", "1234"),
    ("666666", "666666"),
    ("888888", "888888"),
    ("ubnt", "ubnt"),
    ("root", "klv1234"),
    ("root", "Zte521"),
    ("root", "hi3518"),
    ("root", "jvbzd"),
    ("root", "anko"),
    ("root", "zlxx."),
    ("root", "7ujMko0vizxv"),
    ("root", "7ujMko0admin"),
    ("root", "system"),
    ("root", "ikwb"),
    ("root", "dreambox"),
    ("root", "user"),
    ("root", "realtek"),
    ("root", "00000000"),
    ("admin", "1111111"),
    ("admin", "1234"),
    ("admin", "12345"),
    ("admin", "54321"),
    ("admin", "123456"),
    ("admin", "7ujMko0admin"),
    ("admin", "pass"),
    ("admin", "meinsm"),
    ("tech", "tech"),
]


def _cred(username, password, source, service=None):
    """A published default; ``service`` names the login it belongs to when it is not the
    product's own admin interface (the Mirai pairs are telnet shell logins)."""
    out = {"username": username, "password": password, "source": source}
    if service:
        out["service"] = service
    return out


# What to try on a device whose product documents no factory default (or that discovery
# could not identify). With a lockout of unknown threshold only the first pair is tried, so
# the pair most often shipped on consumer and OEM IoT gear leads; Mirai's list follows.
COMMON_DEFAULTS = [
    _cred(user, password, "common IoT default (Mirai list), not documented for this product")
    for user, password in dict.fromkeys([("admin", "admin"), *MIRAI_CREDENTIALS])
]


# Accounts many IoT products ship beside their admin account (a phone's "user", a DVR's
# "guest"), most common first, with their first common default from the list above: after
# the product's own defaults, the assessment guesses these (within the login budget) so
# that a second factory account the product data does not list is found and rotated.
SECOND_ACCOUNTS = ("user", "guest", "support")
SECOND_ACCOUNT_GUESSES = [
    next(c for c in COMMON_DEFAULTS if c["username"] == name) for name in SECOND_ACCOUNTS
]


FINGERPRINTS = [
    # ------------------------------------------------------------------ cameras / NVRs
    {
        "id": "hikvision.nvr",
        "vendor": "Hikvision",
        "model": "DS-7600/7700 NVR",
        "class": "nvr",
        "os": "Linux (embedded)",
        "match": [
            ("http.server", r"^DNVRS-Webs", 3),
            ("http.title", r"(?i)NVR", 1),
            ("rtsp.server", r"(?i)Hikvision|HIK", 1),
            ("http.realm", r"(?P<model>DS-(?:7[6-9]|9[06])\d{2}[A-Z0-9-]+)", 3),
            ("oui.vendor", r"(?i)Hikvision", 1),
        ],
        "mgmt_protocols": ["http", "https", "rtsp", "ssh"],
        "default_credentials": [_cred("admin", "12345", "Hikvision user manual, firmware before 5.3.0")],
        "lockout": {"supported": True, "threshold": 7, "note": "illegal login lock: admin after 7 failures"},
        "eol": None,
        "driver": "hikvision_isapi",
    },
    {
        "id": "hikvision.camera",
        "vendor": "Hikvision",
        "model": "DS-2CD IP camera",
        "class": "camera",
        "os": "Linux (embedded)",
        "match": [
            ("http.server", r"^(App-webs/|Hikvision-Webs|webserver$)", 3),
            ("http.realm", r"(?P<model>DS-2[A-Z]{2}\w+(?:-\w+)*)", 3),
            ("http.realm", r"^IP Camera\(", 2),
            ("http.location", r"/doc/page/login\.asp", 2),
            ("rtsp.server", r"(?i)Hikvision|HIK", 2),
            ("tls.subject", r"(?i)hikvision", 2),
            ("oui.vendor", r"(?i)Hikvision", 1),
        ],
        "mgmt_protocols": ["http", "https", "rtsp", "ssh"],
        "default_credentials": [_cred("admin", "12345", "Hikvision user manual, firmware before 5.3.0")],
        "lockout": {"supported": True, "threshold": 7, "note": "illegal login lock: admin after 7 failures"},
        "eol": None,
        "driver": "hikvision_isapi",
    },
    {
        "id": "dahua.camera",
        "vendor": "Dahua",
        "model": "IPC IP camera",
        "class": "camera",
        "os": "Linux (embedded)",
        "match": [
            ("http.title", r"(?i)^(WEB SERVICE|WEB)$", 1),
            ("http.server", r"(?i)^Dahua|^DH-", 2),
            ("http.realm", r"(?i)^Login to [0-9A-Z]{10,}", 3),
            ("http.realm", r"(?P<model>(?:DH-)?IPC-[\w-]+)", 3),
            ("rtsp.server", r"(?i)Dahua|^Rtsp Server/[23]\.0$", 2),
            ("oui.vendor", r"(?i)Zhejiang Dahua", 1),
        ],
        "mgmt_protocols": ["http", "https", "rtsp", "dahua-dvrip"],
        # (888888/666666 log in only at the local console, never over the network; the
        # telnet root of Mirai's list belongs to the OEM firmware, dahua.oem_camera)
        "default_credentials": [
            _cred("admin", "admin", "Dahua quick start guide, firmware before 2017"),
        ],
        "lockout": {"supported": True, "threshold": 5, "note": "account locked 30 min after 5 failures"},
        "eol": None,
        # Dahua's own HTTP API (``/cgi-bin/userManager.cgi`` with Digest); the Mirai-era OEM
        # firmware with a BusyBox telnet root is ``dahua.oem_camera``
        "driver": "dahua_http",
    },
    {
        "id": "dahua.oem_camera",
        "vendor": "Dahua",
        "model": "OEM IP camera (Mirai-era BusyBox firmware)",
        "class": "camera",
        "os": "Linux (BusyBox)",
        # GoAhead ``Webs`` server and a telnet root: the 2013-2016 OEM firmware Mirai spread on;
        # its web login shares the shell's accounts, it has no Dahua CGI API
        "match": [
            ("http.title", r"(?i)^(WEB SERVICE|WEB)$", 1),
            ("http.server", r"^Webs$", 2),
            ("oui.vendor", r"(?i)Zhejiang Dahua", 1),
        ],
        "mgmt_protocols": ["http", "telnet"],
        "default_credentials": [
            _cred("root", "vizxv", "Mirai source", "telnet"),
            _cred("root", "7ujMko0vizxv", "Mirai source", "telnet"),
            _cred("root", "7ujMko0admin", "Mirai source", "telnet"),
        ],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": "telnet_busybox",
    },
    {
        "id": "dahua.nvr",
        "vendor": "Dahua",
        "model": "NVR",
        "class": "nvr",
        "os": "Linux (embedded)",
        "match": [
            ("http.title", r"(?i)^(WEB SERVICE|WEB)$", 1),
            ("http.server", r"(?i)^Dahua", 1),
            ("http.realm", r"(?i)NVR", 2),
            ("http.realm", r"(?P<model>(?:DHI-)?NVR\d+[\w-]*)", 3),
            ("rtsp.server", r"(?i)Dahua", 2),
            ("oui.vendor", r"(?i)Zhejiang Dahua", 1),
        ],
        "mgmt_protocols": ["http", "https", "rtsp", "dahua-dvrip"],
        # (888888/666666 log in only at the NVR's own console, never over the network)
        "default_credentials": [
            _cred("admin", "admin", "Dahua quick start guide, firmware before 2017"),
        ],
        "lockout": {"supported": True, "threshold": 5, "note": "account locked 30 min after 5 failures"},
        "eol": None,
        # Dahua's own HTTP API (``/cgi-bin/userManager.cgi`` with Digest)
        "driver": "dahua_http",
    },
    {
        "id": "axis.camera",
        "vendor": "Axis",
        "model": "network camera",
        "class": "camera",
        "os": "Linux (AXIS OS)",
        "match": [
            ("http.realm", r"^AXIS_[0-9A-F]{12}", 3),
            ("http.title", r"(?i)^AXIS\b", 2),
            ("http.title", r"(?i)AXIS (?P<model>[A-Z]\d{4}(?:-[A-Z]+)?)", 3),
            ("ftp.banner", r"AXIS (?P<model>[A-Z]\d{4}(?:-[A-Z]+)?) .*Network Camera", 3),
            ("rtsp.server", r"(?i)AXIS", 2),
            ("upnp.manufacturer", r"(?i)^AXIS", 2),
            ("upnp.modelname", r"(?i)AXIS (?P<model>[A-Z]\d{4}(?:-[A-Z]+)?)", 2),
            ("oui.vendor", r"(?i)Axis Communications", 1),
        ],
        "mgmt_protocols": ["http", "https", "rtsp", "ssh", "ftp"],
        "default_credentials": [
            _cred("root", "pass", "Axis installation guide, AXIS OS before 5.x/new-device setup")
        ],
        "lockout": {
            "supported": True,
            "threshold": 20,
            "note": "brute force delay protection (AXIS OS 7.30+, on by default from 11.5)",
        },
        "eol": None,
        "driver": "axis_vapix",
    },
    {
        "id": "xiongmai.dvr",
        "vendor": "Xiongmai",
        "model": "XMEye DVR/NVR",
        "class": "nvr",
        "os": "Linux (BusyBox)",
        "match": [
            ("telnet.banner", r"(?i)LocalHost login:", 1),
            ("http.title", r"(?i)^NETSurveillance WEB$", 3),
            ("http.server", r"(?i)^uc-httpd", 3),
            ("oui.vendor", r"(?i)Hangzhou Xiongmai", 1),
        ],
        "mgmt_protocols": ["http", "telnet", "xmeye"],
        "default_credentials": [
            _cred("admin", "", "XMEye manual: blank admin password"),
            _cred("root", "xc3511", "Mirai source", "telnet"),
            _cred("root", "xmhdipc", "Mirai source", "telnet"),
        ],
        "lockout": _NO_LOCKOUT,
        "eol": {
            "date": "2016-10-01",
            "reason": "XMEye firmware with telnet root is unsupported; vendor recall October 2016",
        },
        "driver": "telnet_busybox",
    },
    {
        # the web server, not the device: whatever runs BusyBox httpd with its default realm
        # (networking/httpd.c); its accounts are lines of httpd.conf, changed by hand
        "id": "busybox.httpd",
        "vendor": "BusyBox",
        "model": "httpd",
        "class": "unknown",
        "os": "Linux (BusyBox)",
        "match": [("http.realm", r"^Web Server Authentication$", 3)],
        "mgmt_protocols": ["http"],
        "default_credentials": [],  # none shipped: the device maker writes httpd.conf
        "lockout": _NO_LOCKOUT,  # httpd.c counts no failed logins
        "eol": None,
        "driver": "busybox_httpd",
    },
    {
        "id": "synology.surveillance",
        "vendor": "Synology",
        "model": "DiskStation (Surveillance Station)",
        "class": "nvr",
        "os": "Linux (DSM)",
        "match": [
            ("http.title", r"(?i)Synology|DiskStation", 3),
            ("upnp.manufacturer", r"(?i)Synology", 3),
            ("upnp.modelname", r"(?P<model>DS\d+\+?)", 2),
            ("oui.vendor", r"(?i)Synology", 2),
        ],
        "mgmt_protocols": ["http", "https", "ssh"],
        "default_credentials": [_cred("admin", "", "DSM before 6.2: admin with blank password")],
        "lockout": {"supported": True, "threshold": 10, "note": "auto block after 10 failures in 5 min"},
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    # ------------------------------------------------------------------ printers
    {
        "id": "hp.printer",
        "vendor": "HP",
        "model": "LaserJet",
        "class": "printer",
        "os": "HP FutureSmart / embedded",
        "match": [
            ("pjl.id", r"(?P<model>HP (?:Color )?LaserJet[\w -]*|HP OfficeJet[\w -]*|HP PageWide[\w -]*)", 3),
            ("snmp.sysdescr", r"HP ETHERNET MULTI-ENVIRONMENT|JETDIRECT", 3),
            ("http.server", r"(?i)^HP HTTP Server|^HP-ChaiSOE|^Virata-EmWeb", 3),
            ("http.title", r"(?P<model>HP (?:Color )?LaserJet[\w -]*|HP OfficeJet[\w -]*)", 2),
            ("upnp.manufacturer", r"(?i)^(HP|Hewlett)", 2),
            ("mdns.txt", r"^ty=(?P<model>HP [\w -]+)", 2),
            ("oui.vendor", r"(?i)^(HP|Hewlett Packard)", 1),
        ],
        "mgmt_protocols": ["http", "https", "snmp", "pjl"],
        "default_credentials": [_cred("admin", "", "HP EWS: no administrator password until one is set")],
        "lockout": {
            "supported": True,
            "threshold": None,
            "note": "EWS account lockout is configurable, off by default",
        },
        "eol": None,
        "driver": "hp_ews",
    },
    {
        "id": "brother.printer",
        "vendor": "Brother",
        "model": "printer",
        "class": "printer",
        "os": "embedded",
        "match": [
            ("snmp.sysdescr", r"^Brother (?P<model>NC-[\w]+)", 3),
            ("pjl.id", r"(?P<model>Brother [\w -]+)", 3),
            ("http.server", r"^debut/", 3),
            ("http.title", r"(?P<model>Brother [\w-]+)", 2),
            ("mdns.txt", r"^ty=(?P<model>Brother [\w -]+)", 2),
            ("oui.vendor", r"(?i)Brother", 1),
        ],
        "mgmt_protocols": ["http", "snmp", "pjl"],
        "default_credentials": [_cred("admin", "access", "Brother network user's guide, models before 2020")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    {
        "id": "canon.printer",
        "vendor": "Canon",
        "model": "imageRUNNER / i-SENSYS",
        "class": "printer",
        "os": "embedded",
        "match": [
            ("http.server", r"^(CANON HTTP Server|Catwalk)", 3),
            ("snmp.sysdescr", r"^Canon (?P<model>[\w -]+)", 3),
            ("pjl.id", r"(?P<model>Canon [\w -]+)", 3),
            ("oui.vendor", r"(?i)^Canon", 1),
        ],
        "mgmt_protocols": ["http", "snmp"],
        "default_credentials": [_cred("7654321", "7654321", "Canon imageRUNNER System Manager ID/PIN")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    {
        "id": "epson.printer",
        "vendor": "Epson",
        "model": "printer",
        "class": "printer",
        "os": "embedded",
        "match": [
            ("http.server", r"(?i)^EPSON", 3),
            ("snmp.sysdescr", r"^EPSON (?P<model>[\w -]+)", 3),
            ("oui.vendor", r"(?i)Seiko Epson", 1),
        ],
        "mgmt_protocols": ["http", "snmp"],
        "default_credentials": [_cred("epson", "", "Epson Web Config: no password until set")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    # ------------------------------------------------------------------ VoIP phones
    {
        "id": "polycom.phone",
        "vendor": "Polycom",
        "model": "VVX",
        "class": "voip_phone",
        "os": "UC Software",
        "match": [
            ("sip.agent", r"Polycom(?:VVX|SoundPoint(?:IP)?)-(?P<model>(?:VVX|SPIP)_\w+)", 3),
            ("sip.agent", r"(?i)^Polycom", 2),
            ("http.server", r"(?i)Polycom", 3),
            ("http.title", r"(?i)Polycom", 2),
            ("oui.vendor", r"(?i)Polycom", 1),
        ],
        "mgmt_protocols": ["http", "https", "sip"],
        "default_credentials": [
            _cred("Polycom", "456", "Polycom UC Software admin guide: admin password 456"),
            _cred("User", "123", "Polycom UC Software admin guide: user password 123"),
        ],
        "lockout": {
            "supported": True,
            "threshold": 5,
            "note": "web UI locked 60 s after 5 failures by default since UC Software 5.5.0",
        },
        "eol": None,
        "driver": "polycom_rest",
    },
    {
        "id": "yealink.phone",
        "vendor": "Yealink",
        "model": "SIP-T",
        "class": "voip_phone",
        "os": "Linux (embedded)",
        "match": [
            ("sip.agent", r"^Yealink (?:SIP-)?(?P<model>[\w-]+)", 3),
            ("http.title", r"(?i)Yealink", 2),
            ("oui.vendor", r"(?i)Yealink", 1),
        ],
        "mgmt_protocols": ["http", "https", "sip"],
        "default_credentials": [_cred("admin", "admin", "Yealink admin guide")],
        "lockout": {
            "supported": True,
            "threshold": 5,
            # the lock is seen in the wild ("try again N minutes later", Greenbone's detection
            # script); no public source gives its figures: 5 / 3 min is unverified
            "note": "web login locked after failed logins (5 failures, 3 min: unverified)",
        },
        "eol": None,
        "driver": "yealink_http",
    },
    {
        "id": "cisco.phone",
        "vendor": "Cisco",
        "model": "IP Phone",
        "class": "voip_phone",
        "os": "Cisco phone firmware",
        "match": [
            ("sip.agent", r"^Cisco-(?P<model>CP-?\w+)", 3),
            ("http.title", r"(?i)Cisco (?:Unified )?IP Phone", 3),
        ],
        "mgmt_protocols": ["http", "sip"],
        "default_credentials": [_cred("admin", "cisco", "Cisco SPA/MPP phone admin guide")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    {
        "id": "grandstream.phone",
        "vendor": "Grandstream",
        "model": "GXP",
        "class": "voip_phone",
        "os": "Linux (embedded)",
        "match": [
            ("sip.agent", r"^Grandstream (?P<model>[A-Z]+\d+\w*)", 3),
            ("http.title", r"(?i)Grandstream", 2),
            ("oui.vendor", r"(?i)Grandstream", 1),
        ],
        "mgmt_protocols": ["http", "sip"],
        "default_credentials": [_cred("admin", "admin", "Grandstream GXP user guide")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    # ------------------------------------------------------------------ smart speakers
    {
        "id": "sonos.speaker",
        "vendor": "Sonos",
        "model": "speaker",
        "class": "smart_speaker",
        "os": "Linux (Sonos)",
        "match": [
            ("http.server", r"Sonos/[\d.-]+ \((?P<model>\w+)\)", 3),
            ("ssdp.server", r"Sonos/", 3),
            ("upnp.manufacturer", r"(?i)^Sonos", 3),
            ("upnp.modelname", r"(?i)^Sonos (?P<model>[\w ]+)", 2),
            ("mdns.service", r"^_sonos\._tcp", 3),
            ("oui.vendor", r"(?i)Sonos", 1),
        ],
        "mgmt_protocols": ["http", "upnp"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "google.speaker",
        "vendor": "Google",
        "model": "Nest/Home speaker",
        "class": "smart_speaker",
        "os": "Cast OS",
        "match": [
            ("mdns.service", r"^_googlecast\._tcp", 2),
            ("mdns.txt", r"^md=(?P<model>Google (?:Home|Nest)[\w -]*)", 3),
            ("upnp.manufacturer", r"^Google", 1),
            ("oui.vendor", r"(?i)^Google", 1),
        ],
        "mgmt_protocols": ["cast"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "amazon.echo",
        "vendor": "Amazon",
        "model": "Echo",
        "class": "smart_speaker",
        "os": "Fire OS",
        "match": [
            ("mdns.service", r"^_amzn-wplay\._tcp", 3),
            ("upnp.manufacturer", r"(?i)^Amazon", 2),
            ("oui.vendor", r"(?i)Amazon Technologies", 1),
        ],
        "mgmt_protocols": [],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    # ------------------------------------------------------------------ thermostats
    {
        "id": "ecobee.thermostat",
        "vendor": "ecobee",
        "model": "smart thermostat",
        "class": "thermostat",
        "os": "embedded",
        "match": [
            ("mdns.txt", r"(?i)^md=(?P<model>ecobee[\w -]*)", 3),
            ("mdns.hostname", r"(?i)^ecobee", 2),
            ("http.title", r"(?i)ecobee", 2),
            ("oui.vendor", r"(?i)ecobee", 2),
        ],
        "mgmt_protocols": ["homekit"],
        "default_credentials": [],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "venstar.thermostat",
        "vendor": "Venstar",
        "model": "ColorTouch",
        "class": "thermostat",
        "os": "embedded",
        "match": [
            ("http.title", r"(?i)Venstar(?: ColorTouch)?(?: (?P<model>T\d{4}\w*))?", 3),
            ("ssdp.server", r"(?i)venstar", 2),
            # Venstar Local API docs: SSDP answers ST venstar:thermostat:ecp, USN colortouch:ecp:MAC:...
            ("ssdp.st", r"^venstar:thermostat:ecp$", 3),
            ("ssdp.usn", r"(?i)^(?:colortouch|explorer):ecp:", 2),
            ("upnp.manufacturer", r"(?i)^Venstar", 3),
            ("oui.vendor", r"(?i)Venstar", 1),
        ],
        "mgmt_protocols": ["http"],
        "default_credentials": [],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": "venstar_local",
    },
    {
        "id": "honeywell.thermostat",
        "vendor": "Honeywell",
        "model": "Wi-Fi thermostat",
        "class": "thermostat",
        "os": "embedded",
        "match": [
            ("http.title", r"(?i)Honeywell.*(Thermostat|Comfort)|(?P<model>RTH\d+\w*)|TrueHOME", 3),
            ("http.server", r"(?i)Honeywell", 2),
            ("upnp.manufacturer", r"(?i)Honeywell", 2),
            ("upnp.modelname", r"(?P<model>(?:RTH|TH)\d+\w*)", 3),
            ("mdns.txt", r"(?i)^md=(?P<model>(?:RTH|TH|T)\d+\w*)", 2),
            ("oui.vendor", r"(?i)Honeywell|Resideo", 1),
        ],
        "mgmt_protocols": ["http"],
        "default_credentials": [],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "nest.thermostat",
        "vendor": "Google Nest",
        "model": "Learning Thermostat",
        "class": "thermostat",
        "os": "Nest OS",
        "match": [
            ("oui.vendor", r"(?i)^Nest Labs", 2),
            ("mdns.hostname", r"(?i)nest", 1),
        ],
        "mgmt_protocols": [],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    # ------------------------------------------------------------------ building controllers
    {
        "id": "tridium.niagara",
        "vendor": "Tridium",
        "model": "Niagara JACE",
        "class": "building_controller",
        "os": "QNX / Niagara",
        "match": [
            ("http.server", r"(?i)^Niagara Web Server", 3),
            ("http.title", r"(?i)Niagara", 2),
            ("http.location", r"/prelogin|/login\?", 1),
            ("bacnet.vendor", r"^Tridium", 3),
            ("oui.vendor", r"(?i)Tridium", 1),
        ],
        "mgmt_protocols": ["http", "https", "fox", "bacnet"],
        "default_credentials": [_cred("tridium", "niagara", "Niagara AX platform default")],
        "lockout": {"supported": True, "threshold": 5, "note": "user lockout after 5 failures (Niagara 4)"},
        "eol": None,
        "driver": None,  # no driver of ours speaks its API yet
    },
    {
        "id": "jci.metasys",
        "vendor": "Johnson Controls",
        "model": "Metasys NAE/SNE",
        "class": "building_controller",
        "os": "Windows Embedded / Linux",
        "match": [
            ("http.title", r"(?i)Metasys", 3),
            ("bacnet.vendor", r"^Johnson Controls", 3),
            ("snmp.sysdescr", r"(?i)Metasys|Johnson Controls", 3),
            ("oui.vendor", r"(?i)Johnson Controls", 1),
        ],
        "mgmt_protocols": ["http", "https", "bacnet"],
        "default_credentials": [
            _cred("MetasysSysAgent", "", "Metasys installation guide (set at commissioning)")
        ],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "siemens.desigo",
        "vendor": "Siemens",
        "model": "Desigo PXC",
        "class": "building_controller",
        "os": "embedded",
        "match": [
            ("http.title", r"(?i)Desigo|(?P<model>PXC\d+[\w.-]*)", 3),
            ("bacnet.vendor", r"^Siemens", 3),
            ("snmp.sysdescr", r"(?i)Siemens.*(Desigo|PXC)", 3),
        ],
        "mgmt_protocols": ["http", "bacnet"],
        "default_credentials": [_cred("ADMIN", "SBTAdmin!", "Desigo PXC commissioning guide")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    # ------------------------------------------------------------------ medical
    {
        "id": "dcmtk.pacs",
        "vendor": "OFFIS DCMTK",
        "model": "DICOM node (DCMTK)",
        "class": "medical",
        "os": None,
        "match": [
            ("dicom.impl_version", r"^OFFIS_DCMTK_(?P<model>\d+)", 3),
            ("dicom.impl_class", r"^1\.2\.276\.0\.7230010\.3", 3),
        ],
        "mgmt_protocols": ["dicom"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "orthanc.pacs",
        "vendor": "Orthanc",
        "model": "Orthanc PACS",
        "class": "medical",
        "os": None,
        "match": [
            ("dicom.impl_version", r"(?i)^Orthanc", 3),
            ("http.realm", r"(?i)^Orthanc", 3),
            ("http.title", r"(?i)Orthanc", 2),
        ],
        "mgmt_protocols": ["dicom", "http"],
        "default_credentials": [_cred("orthanc", "orthanc", "Orthanc Docker image default")],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "ge.medical",
        "vendor": "GE Healthcare",
        "model": "imaging modality",
        "class": "medical",
        "os": None,
        "match": [
            ("dicom.impl_class", r"^1\.2\.840\.113619", 3),
            ("dicom.impl_version", r"(?i)^GE|GEHC", 2),
            ("oui.vendor", r"(?i)GE Healthcare|GE Medical", 1),
        ],
        "mgmt_protocols": ["dicom"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "siemens.healthineers",
        "vendor": "Siemens Healthineers",
        "model": "syngo modality",
        "class": "medical",
        "os": None,
        "match": [
            ("dicom.impl_class", r"^1\.3\.12\.2\.1107\.5", 3),
            ("dicom.impl_version", r"(?i)^SIEMENS|syngo", 2),
        ],
        "mgmt_protocols": ["dicom"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "philips.medical",
        "vendor": "Philips",
        "model": "IntelliVue / imaging",
        "class": "medical",
        "os": None,
        "match": [
            ("dicom.impl_class", r"^1\.3\.46\.670589", 3),
            ("http.title", r"(?i)IntelliVue|IntelliBridge", 3),
            ("oui.vendor", r"(?i)Philips Medical", 2),
        ],
        "mgmt_protocols": ["dicom", "http"],
        "default_credentials": [],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    {
        "id": "baxter.pump",
        "vendor": "Baxter",
        "model": "infusion pump",
        "class": "medical",
        "os": "embedded",
        "match": [
            ("http.title", r"(?i)(Sigma Spectrum|Baxter)", 3),
            ("telnet.banner", r"(?i)(Sigma Spectrum|Baxter)", 3),
            ("oui.vendor", r"(?i)Baxter", 2),
        ],
        "mgmt_protocols": ["http", "telnet"],
        "default_credentials": [],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": None,
    },
    # ------------------------------------------------------------------ network gear
    {
        "id": "cisco.ios_switch",
        "vendor": "Cisco",
        "model": "Catalyst switch",
        "class": "network_switch",
        "os": "Cisco IOS",
        "match": [
            ("snmp.sysdescr", r"Cisco IOS Software.*(?P<model>C(?:2960|3560|3750|3850|9200|9300)\w*)", 3),
            ("snmp.sysdescr", r"Cisco IOS Software", 2),
            ("ssh.banner", r"^SSH-[\d.]+-Cisco-", 2),
            ("switch.cli", r"^cisco_ios$", 3),
            ("telnet.banner", r"User Access Verification", 1),
            ("http.realm", r"^level_15_access", 2),
            ("oui.vendor", r"(?i)^Cisco", 1),
        ],
        "mgmt_protocols": ["ssh", "telnet", "snmp", "http"],
        "default_credentials": [_cred("cisco", "cisco", "Cisco small-business / lab default")],
        "lockout": {"supported": True, "threshold": None, "note": "login block-for (off by default)"},
        "eol": None,
        "driver": "netmiko:cisco_ios",
        "network_os": "cisco.ios.ios",
    },
    {
        "id": "hp.procurve",
        "vendor": "HPE Aruba",
        "model": "ProCurve switch",
        "class": "network_switch",
        "os": "ArubaOS-Switch",
        "match": [
            ("snmp.sysdescr", r"(?P<model>ProCurve [\w]+ Switch [\w-]+|Aruba \w+ [\w-]+ Switch)", 3),
            ("telnet.banner", r"(?i)ProCurve|HP .*Switch", 2),
            ("http.title", r"(?i)ProCurve|HP .* Switch", 2),
            ("switch.cli", r"^hp_procurve$", 3),
        ],
        "mgmt_protocols": ["ssh", "telnet", "snmp", "http"],
        "default_credentials": [_cred("manager", "", "ProCurve: no manager password until set")],
        "lockout": _UNKNOWN_LOCKOUT,
        "eol": None,
        "driver": "netmiko:hp_procurve",
        # no ``network_os``: community.network.aruba (Aruba controllers, not ArubaOS-Switch)
        # left the Ansible community package with Ansible 10, and a host naming a missing one
        # is unreachable in every play; the netmiko session speaks the CLI itself
    },
    {
        "id": "mikrotik.routeros",
        "vendor": "MikroTik",
        "model": "RouterBOARD",
        "class": "router",
        "os": "RouterOS",
        "match": [
            ("ssh.banner", r"^SSH-[\d.]+-ROSSSH", 3),
            ("http.title", r"(?i)RouterOS", 3),
            ("ftp.banner", r"MikroTik FTP server \(MikroTik (?P<model>[\d.]+)\)", 3),
            ("snmp.sysdescr", r"^RouterOS (?P<model>[\w-]+)", 3),
            ("oui.vendor", r"(?i)Routerboard|MikroTik", 1),
        ],
        "mgmt_protocols": ["ssh", "http", "winbox", "telnet", "ftp"],
        "default_credentials": [_cred("admin", "", "RouterOS before 6.49: admin with blank password")],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        # The RouterOS API (tcp/8728). RouterOS has no ``passwd``: a shell driver standing in
        # would fail, so none does.
        "driver": "routeros_api",
        "shell_fallback": False,
        "network_os": "community.routeros.routeros",
    },
    {
        "id": "ubiquiti.edgeos",
        "vendor": "Ubiquiti",
        "model": "EdgeRouter",
        "class": "router",
        "os": "EdgeOS",
        "match": [
            ("http.title", r"(?i)^EdgeOS", 3),
            ("ssh.banner", r"(?i)ubnt|edgeos", 1),
            ("oui.vendor", r"(?i)Ubiquiti", 1),
        ],
        "mgmt_protocols": ["ssh", "http"],
        "default_credentials": [_cred("ubnt", "ubnt", "Ubiquiti quick start guide")],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        # The EdgeOS CLI (``set system login user ... authentication`` + commit + save).
        # ``passwd`` in its Linux shell would not reach the saved configuration and be
        # undone at the next boot: no shell driver stands in.
        "driver": "edgeos_cli",
        "shell_fallback": False,
        # no ``network_os``: community.network (its edgeos plugins) left the Ansible community
        # package with Ansible 10, and a host naming a missing one is unreachable in every play;
        # the driver speaks the CLI itself
    },
    {
        "id": "netgear.router",
        "vendor": "NETGEAR",
        "model": "Nighthawk router",
        "class": "router",
        "os": "Linux (embedded)",
        "match": [
            ("http.realm", r"^NETGEAR (?P<model>[A-Z]+\d+\w*)", 3),
            ("upnp.manufacturer", r"(?i)^NETGEAR", 2),
            ("upnp.modelname", r"^(?P<model>[A-Z]{1,3}\d{3,5}\w*)$", 1),
            ("http.title", r"(?i)^NETGEAR", 2),
            ("oui.vendor", r"(?i)^NETGEAR", 1),
        ],
        "mgmt_protocols": ["http", "https", "upnp"],
        "default_credentials": [_cred("admin", "password", "NETGEAR router user manual")],
        "lockout": _NO_LOCKOUT,
        "eol": None,
        "driver": "router_http",
    },
    {
        "id": "tplink.router",
        "vendor": "TP-Link",
        "model": "router",
        "class": "router",
        "os": "Linux (embedded)",
        "match": [
            ("http.title", r"(?i)TP-?LINK", 3),
            ("http.realm", r"(?i)TP-?LINK (?P<model>[\w -]+)", 3),
            ("oui.vendor", r"(?i)TP-LINK", 1),
        ],
        "mgmt_protocols": ["http"],
        "default_credentials": [_cred("admin", "admin", "TP-Link quick installation guide")],
        "lockout": {"supported": True, "threshold": 10, "note": "web login blocked after 10 failures"},
        "eol": None,
        "driver": None,
    },
    # ------------------------------------------------------------------ workstations
    {
        "id": "microsoft.windows_xp",
        "kind": "os",
        "vendor": "Microsoft",
        "model": "Windows XP",
        "class": "workstation",
        "os": "Windows XP",
        "match": [
            ("smb.os", r"^Windows 5\.1\b|Windows XP", 3),
            ("smb.lanman", r"^Windows 2000 LAN Manager", 1),
            ("nmap.os", r"Windows XP", 3),
        ],
        "mgmt_protocols": ["smb", "rdp"],
        "default_credentials": [
            _cred("Administrator", "", "Windows XP setup: blank Administrator password allowed")
        ],
        "lockout": {"supported": True, "threshold": None, "note": "account lockout policy off by default"},
        "eol": {"date": "2014-04-08", "reason": "Windows XP: no security updates since 2014-04-08"},
        "driver": None,
    },
    {
        "id": "microsoft.windows_7",
        "kind": "os",
        "vendor": "Microsoft",
        "model": "Windows 7",
        "class": "workstation",
        "os": "Windows 7",
        "match": [
            ("smb.os", r"^Windows 7\b|^Windows 6\.1\b", 3),
            ("nmap.os", r"Windows 7", 3),
        ],
        "mgmt_protocols": ["smb", "rdp"],
        "default_credentials": [],
        "lockout": {"supported": True, "threshold": None, "note": "account lockout policy off by default"},
        "eol": {
            "date": "2020-01-14",
            "reason": "Windows 7: no security updates since 2020-01-14 (ESU aside)",
        },
        "driver": None,
    },
    {
        "id": "microsoft.windows",
        "kind": "os",
        "vendor": "Microsoft",
        "model": "Windows",
        "class": "workstation",
        "os": "Windows",
        "match": [
            ("smb.os", r"^Windows (?P<model>(?:Server )?\d[\w .]*)", 2),
            ("smb.dialect", r"^SMB 2/3", 1),
        ],
        "mgmt_protocols": ["smb", "rdp"],
        "default_credentials": [],
        "lockout": {"supported": True, "threshold": None, "note": "set by domain or local policy"},
        "eol": None,
        "driver": None,
    },
    {
        "id": "linux.workstation",
        "vendor": "Linux",
        "model": "Linux host",
        "class": "workstation",
        "os": "Linux",
        "match": [
            ("ssh.banner", r"OpenSSH_[\d.p]+ (?:Ubuntu|Debian)", 1),
            ("smb.os", r"(?i)^Unix|Samba", 1),
        ],
        "mgmt_protocols": ["ssh"],
        "default_credentials": [],
        "lockout": {"supported": True, "threshold": None, "note": "pam_faillock when configured"},
        "eol": None,
        "driver": "linux_ssh",
    },
]

# Device class from a protocol alone, when no product matched (vendor then comes from the
# MAC OUI or stays unknown). Weights stay below any product rule.
CLASS_HINTS = [
    ("dicom.association", r".", "medical", 2),
    ("pjl.id", r".", "printer", 2),
    ("port", r"^9100/tcp$", "printer", 1),
    ("port", r"^631/tcp$", "printer", 1),
    ("mdns.service", r"^_(ipp|printer|pdl-datastream)\._tcp", "printer", 1),
    ("sip.agent", r".", "voip_phone", 1),
    ("port", r"^5060/(tcp|udp)$", "voip_phone", 1),
    ("rtsp.server", r".", "camera", 1),
    ("port", r"^554/tcp$", "camera", 1),
    ("bacnet.vendor_id", r".", "building_controller", 2),
    ("mdns.service", r"^_(googlecast|airplay|raop|spotify-connect)\._tcp", "smart_speaker", 1),
    ("mdns.service", r"^_hap\._tcp", "thermostat", 0.5),
    ("smb.os", r"^Windows", "workstation", 1),
    ("snmp.sysdescr", r"(?i)\bswitch\b", "network_switch", 1),
    ("snmp.sysdescr", r"(?i)\brouter\b", "router", 1),
    ("http.title", r"(?i)\b(gateway|router)\b", "router", 1),
    ("upnp.device_type", r"InternetGatewayDevice", "router", 2),
    ("snmp.sysdescr", r"(?i)\bprinter\b", "printer", 1),
]

# BACnet vendor identifiers (ASHRAE registry) for vendors in this database.
BACNET_VENDORS = {
    2: "The Trane Company",
    5: "Johnson Controls",
    7: "Siemens Building Technologies",
    8: "Delta Controls",
    17: "Honeywell",
    24: "Automated Logic",
    36: "Tridium",
}


def by_id(fingerprint_id):
    for fp in FINGERPRINTS:
        if fp["id"] == fingerprint_id:
            return fp
    return None
