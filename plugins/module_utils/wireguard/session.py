# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""An engineer's management session: a TOTP code posted through the tunnel to the hub's
authenticator (``roles/wireguard/files/iotguard-wg-auth.py``), which adds the peer's tunnel
address to the gateway's session set for ``wireguard_session_seconds``.

The controller is the engineer's machine: when it is itself a peer (its tunnel up), the
playbook steps after the VPN reach the management zones only once this has opened a
session, as the engineer's browser would.

* The code comes from the engineer (typed, or passed as an extra variable) or from a
  command on the controller that prints it (a secrets manager's TOTP engine in a pipeline,
  the lab's stand-in for the engineer's phone). The command is an argument list, never a
  shell line; its output is bounded and must be the code alone.
* Before anything is posted, the route to the hub's tunnel address is read from the kernel
  and must leave by a VPN interface: posted past the tunnel, the code would be refused as
  coming from no enrolled peer (403) and counted nowhere, so the run stops first and says
  which interface the route takes.
* One code, one attempt: a wrong code counts towards the peer's lockout on the hub, so the
  session is never retried with the same or another code in the same run.
* The code never appears in a message; the authenticator's answer is bounded and reduced to
  printable text before it is shown.
* A session is a login, not a change of the site: it is opened in check mode too, since the
  steps that only read the devices through the tunnel need it as much.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import urllib.error
import urllib.request

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import vantage
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError

CODE_RE = re.compile(r"^[0-9]{6,8}$")
MAX_ANSWER = 512
MAX_COMMAND_OUTPUT = 256
SECONDS_RE = re.compile(r"open for (\d+) s")

#: the authenticator's refusals, and what the engineer does about each
REFUSED = {
    401: "the authenticator refused the code (wrong, or already used: a code is accepted once); "
    "it counts towards the peer's lockout, so the run does not try again: wait for the next code "
    "and run once more",
    403: "the authenticator knows no enrolled peer at this tunnel address: run the VPN step "
    "(playbooks/vpn.yml) so that this peer is enrolled, or post from the peer whose code it is",
    413: "the authenticator refused the request as too large",
    429: "the peer is locked out after repeated wrong codes",
    500: "the authenticator failed; read its journal on the hub (journalctl -u iotguard-wg-auth)",
}


class SessionError(WireGuardError):
    """The session could not be opened; the message names the cause and the fix."""


def hub_address(pool):
    """The hub's tunnel address: the first host address of ``pool`` (the role's rule)."""
    try:
        net = ipaddress.ip_network(str(pool), strict=True)
    except ValueError as exc:
        raise SessionError(
            "pool: %r is not a network in CIDR form (for example 10.66.0.0/24); give "
            "wireguard_pool as the VPN role has it" % (str(pool)[:64],)
        ) from exc
    if net.num_addresses < 4:
        raise SessionError(
            "pool: %s holds no hub and peer addresses; give wireguard_pool as the VPN role has it" % net
        )
    return str(net.network_address + 1)


def authenticator_url(address, port):
    if not isinstance(port, int) or not 0 < port < 65536:
        raise SessionError("auth_port: %r is not a TCP port (1-65535)" % (port,))
    ip = ipaddress.ip_address(address)
    host = "[%s]" % ip if ip.version == 6 else str(ip)
    return "http://%s:%d/" % (host, port)


def check_code(code, field="code"):
    """The code, stripped; SessionError (never showing it) unless it is 6 to 8 digits."""
    value = str(code or "").strip()
    if not CODE_RE.match(value):
        raise SessionError(
            "%s: not a TOTP code (6 to 8 digits, %d character(s) given): give the code the "
            "engineer's authenticator app shows now" % (field, len(value))
        )
    return value


def code_from_command(argv, timeout=30.0, run=None):
    """The code a command prints (its first line; nothing else may follow)."""
    if not argv or not all(isinstance(a, str) and a for a in argv):
        raise SessionError("code_command: give the command as a list of its program and arguments (no shell)")
    run = run or _run_command
    rc, out = run(list(argv), timeout)
    if rc != 0:
        raise SessionError(
            "code_command: %s ended with exit status %s and printed no code; run it by hand to see why"
            % (argv[0][:128], rc)
        )
    lines = [line.strip() for line in (out or "")[:MAX_COMMAND_OUTPUT].splitlines() if line.strip()]
    if len(lines) != 1:
        raise SessionError(
            "code_command: %s must print the code alone on one line (it printed %d line(s))"
            % (argv[0][:128], len(lines))
        )
    return check_code(lines[0], field="code_command's output")


def _run_command(argv, timeout):
    try:
        # an argument list from the playbook (never device data), no shell
        done = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as exc:
        raise SessionError("code_command: %s is not a program on the controller" % argv[0][:128]) from exc
    except subprocess.TimeoutExpired as exc:
        raise SessionError(
            "code_command: %s printed no code within %.0f s" % (argv[0][:128], timeout)
        ) from exc
    except OSError as exc:
        raise SessionError("code_command: %s could not run: %s" % (argv[0][:128], exc.strerror)) from exc
    return done.returncode, done.stdout[: MAX_COMMAND_OUTPUT * 4]


def _printable(raw):
    text = raw[:MAX_ANSWER].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def _post(url, code, timeout):
    # an http:// URL built from an IP address and a port (authenticator_url), never a file: one
    request = urllib.request.Request(url, data=("code=%s" % code).encode("ascii"), method="POST")  # noqa: S310
    # no proxy: the authenticator is on the hub's tunnel address, reached only through the tunnel
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SessionError(
            "the authenticator at %s did not answer (%s): check that the tunnel is up (wg show: a "
            "recent handshake) and that the VPN step ran on the hub" % (url, str(reason)[:120])
        ) from exc


def routed(address, vpn_interfaces=(), run=None):
    """``(interface, through the tunnel)`` for the route to the hub's tunnel address;
    ``(None, False)`` when the kernel has no route to it at all (a controller on an isolated
    network, or a client whose VPN this controller has never joined)."""
    try:
        return vantage.through_vpn(address, vpn_interfaces, run)
    except vantage.NoRoute:
        return None, False
    except vantage.VantageError as exc:
        raise SessionError(
            "the route to the hub's tunnel address %s could not be read: %s" % (address, exc)
        ) from exc


def route_check(address, vpn_interfaces=(), run=None):
    """The VPN interface the route to the hub's tunnel address takes (SessionError if none)."""
    dev, is_vpn = routed(address, vpn_interfaces, run)
    if not is_vpn:
        raise SessionError(
            "the route to the hub's tunnel address %s leaves by %s, not through the tunnel: bring "
            "this peer's tunnel up first (playbooks/vpn.yml, or wg-quick up with the exported "
            "configuration), or name its interface in vpn_interfaces"
            % (address, dev or "no interface (the kernel has no route to it)")
        )
    return dev


def open_session(address, port, code, timeout=10.0, vpn_interfaces=(), post=None, run=None):
    """Post ``code`` to the authenticator at ``address``:``port`` through the tunnel.

    Returns ``{"url", "interface", "opened", "seconds", "message"}``; SessionError when the
    route is not the tunnel, the authenticator does not answer, or it refuses the code."""
    code = check_code(code)
    url = authenticator_url(address, port)
    dev = route_check(address, vpn_interfaces, run)
    result = {"url": url, "interface": dev, "opened": False, "seconds": None, "message": ""}
    status, raw = (post or _post)(url, code, timeout)
    answer = _printable(raw or b"")
    if answer and code in answer:  # never echo the code back, whatever the answer says
        answer = answer.replace(code, "******")
    if status != 200:
        why = REFUSED.get(status, "the authenticator answered HTTP %s" % status)
        raise SessionError("%s: %s (the hub said: %s)" % (url, why, answer[:200] or "nothing"))
    found = SECONDS_RE.search(answer)
    result.update(opened=True, seconds=int(found.group(1)) if found else None, message=answer[:200])
    return result
