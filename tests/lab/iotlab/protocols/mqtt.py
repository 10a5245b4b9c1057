# SPDX-License-Identifier: GPL-3.0-or-later
"""An MQTT 3.1.1 broker for one device: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH (QoS 0/1),
PINGREQ, UNSUBSCRIBE, DISCONNECT, retained messages and ``+``/``#`` wildcards.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable

from ..errors import DropConnection
from ..net import Conn

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK = 1, 2, 3, 4, 8, 9
UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 10, 11, 12, 13, 14
MAX_PACKET = 65536
NOT_AUTHORIZED, BAD_CREDENTIALS, BAD_PROTOCOL = 5, 4, 1


def topic_matches(pattern: str, topic: str) -> bool:
    p, t = pattern.split("/"), topic.split("/")
    for i, part in enumerate(p):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(p) == len(t)


def _str(data: bytes, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("!H", data, pos)
    return data[pos + 2 : pos + 2 + n].decode("utf-8", "replace"), pos + 2 + n


def _enc_str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(kind: int, flags: int, body: bytes) -> bytes:
    n, out = len(body), bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    return bytes([(kind << 4) | flags]) + bytes(out) + body


async def read_packet(conn: Conn) -> tuple[int, int, bytes] | None:
    first = await conn.reader.read(1)
    if not first:
        return None
    mult, length = 1, 0
    for _unused in range(4):
        b = (await conn.reader.readexactly(1))[0]
        length += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    else:
        raise DropConnection
    if length > MAX_PACKET:
        raise DropConnection
    body = await conn.reader.readexactly(length) if length else b""
    return first[0] >> 4, first[0] & 0x0F, body


class Broker:
    """Retained topics and live subscribers of one device's broker."""

    def __init__(self, authenticate: Callable[[str | None, str | None], str]) -> None:
        self.authenticate = authenticate  # -> "ok" | "bad" | "noauth_refused"
        self.retained: dict[str, bytes] = {}
        self.sessions: set[Session] = set()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        if retain:
            self.retained[topic] = payload
        for s in list(self.sessions):
            if any(topic_matches(p, topic) for p in s.subscriptions):
                s.send(packet(PUBLISH, 0, _enc_str(topic) + payload))

    async def serve(self, conn: Conn) -> None:
        session = Session(self, conn)
        try:
            await session.run()
        finally:
            self.sessions.discard(session)


class Session:
    def __init__(self, broker: Broker, conn: Conn) -> None:
        self.broker = broker
        self.conn = conn
        self.subscriptions: set[str] = set()

    def send(self, data: bytes) -> None:
        self.conn.writer.write(data)

    async def run(self) -> None:
        first = await asyncio.wait_for(read_packet(self.conn), 30)
        if first is None or first[0] != CONNECT:
            raise DropConnection
        body = first[2]
        proto, pos = _str(body, 0)
        level, flags = body[pos], body[pos + 1]
        pos += 4  # level, flags, keep-alive
        if proto not in ("MQTT", "MQIsdp") or level not in (3, 4):
            await self.conn.send(packet(CONNACK, 0, bytes([0, BAD_PROTOCOL])))
            return
        _client_id, pos = _str(body, pos)
        if flags & 0x04:  # will
            _unused, pos = _str(body, pos)
            _unused, pos = _str(body, pos)
        user = password = None
        if flags & 0x80:
            user, pos = _str(body, pos)
        if flags & 0x40:
            password, pos = _str(body, pos)
        result = self.broker.authenticate(user, password)
        if result != "ok":
            code = BAD_CREDENTIALS if user is not None else NOT_AUTHORIZED
            await self.conn.send(packet(CONNACK, 0, bytes([0, code])))
            return
        await self.conn.send(packet(CONNACK, 0, bytes([0, 0])))
        self.broker.sessions.add(self)
        while True:
            pkt = await read_packet(self.conn)
            if pkt is None:
                return
            kind, pflags, body = pkt
            if kind == SUBSCRIBE:
                (pid,) = struct.unpack_from("!H", body, 0)
                pos, granted, new = 2, [], []
                while pos < len(body):
                    topic, pos = _str(body, pos)
                    granted.append(min(body[pos], 1))
                    pos += 1
                    self.subscriptions.add(topic)
                    new.append(topic)
                await self.conn.send(packet(SUBACK, 0, struct.pack("!H", pid) + bytes(granted)))
                for topic, payload in self.broker.retained.items():
                    if any(topic_matches(p, topic) for p in new):
                        self.send(packet(PUBLISH, 1, _enc_str(topic) + payload))
            elif kind == UNSUBSCRIBE:
                (pid,) = struct.unpack_from("!H", body, 0)
                pos = 2
                while pos < len(body):
                    topic, pos = _str(body, pos)
                    self.subscriptions.discard(topic)
                await self.conn.send(packet(UNSUBACK, 0, struct.pack("!H", pid)))
            elif kind == PUBLISH:
                topic, pos = _str(body, 0)
                qos = (pflags >> 1) & 3
                if qos:
                    (pid,) = struct.unpack_from("!H", body, pos)
                    pos += 2
                    await self.conn.send(packet(PUBACK, 0, struct.pack("!H", pid)))
                self.broker.publish(topic, body[pos:], retain=bool(pflags & 1))
            elif kind == PINGREQ:
                await self.conn.send(packet(PINGRESP, 0, b""))
            elif kind == DISCONNECT:
                return
            await self.conn.writer.drain()
