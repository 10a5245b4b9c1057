# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A web interface no driver of ours speaks, that asks for HTTP Basic or Digest (RFC 7617,
RFC 7616): BusyBox httpd with ``/path:user:password`` lines in its ``httpd.conf``, small
appliances' admin pages.

``web_login`` proves a credential with one authenticated ``GET /`` and nothing more. It
has no way to change the password (HTTP authentication defines none, and the page that does
is the product's own), so rotation makes it a manual step: a new password is generated and
kept as pending in the store, the engineer sets it on the device, and the next run proves
it (the new one logs in, the factory one is refused) before it counts as closed. Chosen when
discovery found such a web login and the device has no driver and no shell we can use.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    ManualStep,
    PasswordPolicy,
)

CHANGE_IT = (
    "sign in to the device's web interface at %s with the account and change its password to the "
    "pending one in the credential store (on BusyBox httpd the account is a /path:user:password "
    "line of the httpd.conf it was started with: change that line on the device and restart httpd)"
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
