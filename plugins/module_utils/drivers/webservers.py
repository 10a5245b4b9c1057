# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain embedded web servers whose Basic-auth accounts live in a file, not behind an API.

* BusyBox httpd (``busybox_httpd``). Source: BusyBox ``networking/httpd.c`` (its header
  comment and ``parse_conf``): the accounts are lines ``/path:user:password`` of the
  configuration file (``-c FILE``, else ``/etc/httpd.conf``; whitespace is removed and ``#``
  starts a comment), the realm is ``Web Server Authentication`` unless ``-r`` names another,
  and the server parses the file again on SIGHUP. Nothing over HTTP changes the file, so the
  driver proves a credential (Basic auth, sent at once) and rotation reports a manual step:
  the engineer writes the new password into the file on the device and sends httpd SIGHUP.
  No lockout: httpd.c counts no failed logins.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.appliances import BasicHttpDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import ManualStep

#: what the engineer does on the device (no secret in it: the password is the pending one)
HTTPD_CONF_STEP = (
    "on the device's shell, in BusyBox httpd's configuration file (the file its -c option "
    "names, else /etc/httpd.conf), replace the password in the account's line "
    "'/path:<user>:<password>' (no spaces, no '#'), then send httpd SIGHUP (kill -HUP <pid>) "
    "or restart it so it reads the file again"
)


class BusyBoxHttpdDriver(BasicHttpDriver):
    name = "busybox_httpd"
    abstract = False
    login_path = "/"
    manual_rotation = (
        "BusyBox httpd keeps its Basic-auth accounts in its configuration file, which no HTTP "
        "request changes",
        HTTPD_CONF_STEP,
    )

    def change_password(self, username, old_password, new_password):
        raise ManualStep(*self.manual_rotation)
