# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Web interfaces whose password no request of ours changes; rotation makes the change a
manual step: a new password is generated and kept as pending in the store, the engineer sets
it on the device, and the next run proves it (the new one logs in, the factory one is
refused) before it counts as closed.

* ``web_login``: a web interface no driver of ours speaks that asks for HTTP Basic or Digest
  (RFC 7617, RFC 7616), small appliances' admin pages. It proves a credential with one
  authenticated ``GET /`` and nothing more: HTTP authentication defines no password change,
  and the page that does is the product's own. Chosen when discovery found such a web login
  and the device has no driver and no shell we can use.
* BusyBox httpd (``busybox_httpd``). Source: BusyBox ``networking/httpd.c`` (its header
  comment and ``parse_conf``): the accounts are lines ``/path:user:password`` of the
  configuration file (``-c FILE``, else ``/etc/httpd.conf``; whitespace is removed and ``#``
  starts a comment), the realm is ``Web Server Authentication`` unless ``-r`` names another,
  and the server parses the file again on SIGHUP. Nothing over HTTP changes the file, so the
  driver proves a credential (Basic auth, sent at once) and the manual step says to write the
  new password into the file on the device and send httpd SIGHUP. No lockout: httpd.c counts
  no failed logins.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    ManualStep,
    PasswordPolicy,
)

CHANGE_IT = (
    "sign in to the device's web interface at %s with the account and change its password to the "
    "pending one in the credential store, on the product's own page for it"
)
#: what the engineer does on a BusyBox httpd device (no secret in it: the password is the pending one)
HTTPD_CONF_STEP = (
    "on the device's shell, in BusyBox httpd's configuration file (the file its -c option "
    "names, else /etc/httpd.conf), replace the password in the account's line "
    "'/path:<user>:<password>' (no spaces, no '#'), then send httpd SIGHUP (kill -HUP <pid>) "
    "or restart it so it reads the file again"
)


class WebLoginDriver(HttpApiDriver):
    name = "web_login"
    abstract = False
    login_path = "/"
    can_rollback = False
    # typed by the engineer into a web form or a config line
    password_policy = PasswordPolicy.typed(min_length=12, max_length=32, length=20)

    @property
    def manual_rotation(self):
        scheme = "https" if self.http.use_tls else "http"
        url = "%s://%s:%d/" % (scheme, self.host, self.port)
        return (
            "no driver of this collection changes this web interface's password (it only asks for "
            "HTTP Basic or Digest authentication)",
            CHANGE_IT % url,
        )

    def change_password(self, username, old_password, new_password):
        raise ManualStep(*self.manual_rotation)


class BusyBoxHttpdDriver(WebLoginDriver):
    name = "busybox_httpd"
    manual_rotation = (
        "BusyBox httpd keeps its Basic-auth accounts in its configuration file, which no HTTP "
        "request changes",
        HTTPD_CONF_STEP,
    )

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")  # httpd.c knows Basic only: sent at once
        super().__init__(host, port, timeout, **options)


def web_login_port(services):
    """``(port, tls)`` of the first web interface discovery saw ask for HTTP Basic/Digest
    credentials (``iot_services`` host facts), else ``(None, False)``."""
    found = []
    for key, svc in (services or {}).items() if isinstance(services, dict) else ():
        port, _sep, proto = str(key).partition("/")
        if not isinstance(svc, dict) or proto != "tcp" or not port.isdigit():
            continue
        auth = str(svc.get("auth") or "").lower()
        if svc.get("protocol") in ("http", "https") and auth in ("basic", "digest"):
            found.append((int(port), svc.get("protocol") == "https"))
    return min(found) if found else (None, False)
