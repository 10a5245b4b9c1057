# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MikroTik RouterOS through the RouterOS API (tcp/8728), with the ``librouteros`` client.

Source: MikroTik, RouterOS manual, "API" (help.mikrotik.com/docs/display/ROS/API): sentences
of length-prefixed words, ``/login`` with ``=name=`` and ``=password=`` (RouterOS 6.43 and
later), replies ``!re`` / ``!done`` / ``!trap`` (``=message=``) / ``!fatal``; the console's
commands as words: ``/user/print``, ``/user/set`` with ``=.id=`` and ``=password=``,
``/ip/service/print`` and ``/ip/service/set`` with ``=disabled=yes|no``,
``/system/resource/print``.

RouterOS has no ``passwd`` (its shell is its own console), so no shell driver may stand in,
and it has no account lockout to read or set.
"""

from __future__ import annotations

import socket

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import ServiceSwitch

try:
    import librouteros
    from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, TrapError

    HAS_LIBROUTEROS = True
except ImportError:  # pragma: no cover - the driver says what is missing when used
    HAS_LIBROUTEROS = False

#: the refusal RouterOS gives a wrong name or password on ``/login``
LOGIN_REFUSED = ("invalid user name or password", "cannot log in")
#: our service names -> the names of ``/ip/service``
SERVICE_NAMES = {"telnet": "telnet", "ftp": "ftp", "ssh": "ssh"}


class RouterOsApiDriver(ServiceSwitch, BaseDriver):
    name = "routeros_api"
    abstract = False
    aliases = ("netmiko:mikrotik_routeros",)
    default_port = 8728
    # RouterOS takes any printable ASCII; the API carries it as one word
    password_policy = PasswordPolicy(min_length=8, max_length=64, length=24)
    switchable_services = ("telnet", "ftp", "ssh")

    def _open(self, username, password):
        """A logged-in API session; None when the router refused the login."""
        if not HAS_LIBROUTEROS:
            raise DriverError("driver routeros_api needs the Python package librouteros on the controller")
        try:
            return librouteros.connect(self.host, username, password, port=self.port, timeout=self.timeout)
        except TrapError as exc:
            if any(m in str(exc).lower() for m in LOGIN_REFUSED):
                return None
            raise DriverError("RouterOS /login: %s" % clean(str(exc), 160)) from exc
        except (ConnectionClosed, FatalError) as exc:
            # RouterOS closes the session (!fatal) after a refused login on some versions
            text = str(exc).lower()
            if any(m in text for m in LOGIN_REFUSED):
                return None
            raise Unreachable(
                "%s:%s RouterOS API closed the connection: %s" % (self.host, self.port, clean(exc))
            ) from exc
        except TimeoutError as exc:
            raise Unreachable(
                "%s:%s RouterOS API timed out after %.0fs" % (self.host, self.port, self.timeout)
            ) from exc
        except (OSError, socket.error) as exc:
            raise Unreachable("%s:%s RouterOS API: %s" % (self.host, self.port, clean(exc))) from exc
        except LibRouterosError as exc:
            raise DriverError("RouterOS API: %s" % clean(exc)) from exc

    def _session(self, username, password):
        api = self._open(username, password)
        if api is None:
            raise DriverError("RouterOS refused the login of %r" % clean(username, 64))
        return api

    def _call(self, api, *words, **attrs):
        try:
            return list(api(*words, **attrs))
        except TrapError as exc:
            raise DriverError("RouterOS %s: %s" % (words[0], clean(str(exc), 160))) from exc
        except (ConnectionClosed, FatalError, OSError) as exc:
            raise Unreachable("%s:%s RouterOS API: %s" % (self.host, self.port, clean(exc))) from exc

    def login(self, username, password):
        api = self._open(username, password)
        if api is None:
            return False
        api.close()
        return True

    def _rows(self, username, password, command):
        api = self._session(username, password)
        try:
            return self._call(api, command)
        finally:
            api.close()

    def login_accounts(self, username, password):
        return [
            clean(str(r.get("name")), 64)
            for r in self._rows(username, password, "/user/print")
            if r.get("name")
        ]

    def identify(self, username, password):
        rows = self._rows(username, password, "/system/resource/print")
        row = rows[0] if rows else {}
        out = {"os": "RouterOS"}
        for key, name in (("version", "firmware"), ("board-name", "model"), ("architecture-name", "arch")):
            if row.get(key):
                out[name] = clean(row[key], 64)
        return out

    def change_password(self, username, old_password, new_password):
        api = self._session(username, old_password)
        try:
            users = self._call(api, "/user/print")
            uid = next((r.get(".id") for r in users if str(r.get("name")) == username), None)
            if not uid:
                raise DriverError("RouterOS lists no user named %r" % clean(username, 64))
            self._sending()
            try:
                list(api("/user/set", **{".id": uid, "password": new_password}))
            except TrapError as exc:
                # the router's own words (a password rule it enforces)
                raise PasswordRejected("RouterOS /user/set: %s" % clean(str(exc), 160)) from exc
            except (ConnectionClosed, FatalError, OSError) as exc:
                raise Unreachable("%s:%s RouterOS API: %s" % (self.host, self.port, clean(exc))) from exc
        finally:
            api.close()

    def read_services(self, username, password):
        out = {}
        for row in self._rows(username, password, "/ip/service/print"):
            ours = next((k for k, v in SERVICE_NAMES.items() if v == str(row.get("name"))), None)
            if ours is not None:
                out[ours] = not _yes(row.get("disabled"))
        return out

    def _write_service(self, username, password, service, enabled):
        api = self._session(username, password)
        try:
            rows = self._call(api, "/ip/service/print")
            sid = next((r.get(".id") for r in rows if str(r.get("name")) == SERVICE_NAMES[service]), None)
            if not sid:
                raise DriverError("RouterOS lists no service %r" % SERVICE_NAMES[service])
            self._call(api, "/ip/service/set", **{".id": sid, "disabled": not enabled})
        finally:
            api.close()


def _yes(value):
    """RouterOS booleans: librouteros gives True/False, raw words ``yes``/``true``."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true")
