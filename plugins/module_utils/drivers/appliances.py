# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the small HTTP admin APIs share: Basic auth sent at once, and a form that changes a
password. The products' drivers live beside it: ``printers`` (HP), ``routers`` (NETGEAR),
``thermostats`` (Venstar), ``phones`` (Poly, the lab's phone form)."""

from __future__ import annotations

import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordRejected,
    clean,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_change(driver, path, username, password, fields, ok_statuses=(200,)):
    resp = driver.http.request(
        "POST", path, username, password, body=urllib.parse.urlencode(fields), headers=FORM
    )
    if resp.status in ok_statuses:
        return resp
    if resp.status in (401, 403):
        raise DriverError("%s refused the login just before the change (HTTP %d)" % (path, resp.status))
    if resp.status == 400:
        raise PasswordRejected("%s: %s" % (path, clean(resp.body[:160])))
    raise DriverError("%s answered HTTP %d: %s" % (path, resp.status, clean(resp.body[:160])))


class BasicHttpDriver(HttpApiDriver):
    """Devices that only know Basic auth: send it at once (one request per attempt)."""

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")
        super().__init__(host, port, timeout, **options)
