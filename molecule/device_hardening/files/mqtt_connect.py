# SPDX-License-Identifier: GPL-3.0-or-later
"""An MQTT 3.1.1 CONNECT without user name or password (OASIS MQTT 3.1.1, 3.1 and 3.2):
prints the broker's CONNACK return code (0 accepted, 5 not authorized) and exits 0 only
when the broker accepted the client."""

from __future__ import annotations

import socket
import sys

CLIENT_ID = b"iotguard-judge"
# variable header: protocol name "MQTT", level 4, flags 0x02 (clean session, no credentials),
# keep-alive 30 s; payload: the client identifier
BODY = b"\x00\x04MQTT\x04\x02\x00\x1e" + len(CLIENT_ID).to_bytes(2, "big") + CLIENT_ID


def main(address, port=1883):
    with socket.create_connection((address, int(port)), timeout=5) as sock:
        sock.sendall(b"\x10" + bytes([len(BODY)]) + BODY)
        answer = b""
        while len(answer) < 4:
            chunk = sock.recv(4 - len(answer))
            if not chunk:
                break
            answer += chunk
    if len(answer) < 4 or answer[0] != 0x20:
        print("no CONNACK: %r" % answer)
        return 2
    print("CONNACK return code %d" % answer[3])
    return 0 if answer[3] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
