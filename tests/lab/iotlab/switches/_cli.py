# SPDX-License-Identifier: GPL-3.0-or-later
"""Command grammar of the simulated switches: keyword trees with unique-prefix matching.

A dialect declares its commands as data, one row per command::

    ("show vlan brief", None, "show_vlan_brief")
    ("switchport access vlan <1-4094>", "config", "access_vlan")

Keywords match any unique prefix (``sh vl br``), as on the real CLIs. Parameters are
``<lo-hi>`` (an integer in range), ``<WORD>`` (one token), ``<LINE>`` (the rest of the
line, raw) and named kinds a dialect registers (``<IFACE>``, ``<PORTS>``). Matching
returns the handler name, the operation class (for fault injection) and the arguments,
or where and why the line failed, so each dialect can print its own error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_LINE = 1024

_TOKEN = re.compile(r"\S+")


def tokenize(line: str) -> list[tuple[str, int]]:
    """Split a command line into (token, offset) pairs."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(line)]


@dataclass
class _Param:
    kind: str
    convert: Callable[[str], Any]  # returns None when the token does not fit

    @property
    def rest_of_line(self) -> bool:
        return self.kind == "LINE"


@dataclass
class _Node:
    keywords: dict[str, _Node] = field(default_factory=dict)
    params: list[tuple[_Param, _Node]] = field(default_factory=list)
    action: tuple[str | None, str] | None = None  # (operation, handler name)


@dataclass
class Match:
    handler: str
    op: str | None
    args: list[Any]


@dataclass
class Failure:
    reason: str  # "invalid" | "ambiguous" | "incomplete"
    offset: int  # where in the line it failed
    token: str


def _int_range(lo: int, hi: int) -> Callable[[str], int | None]:
    def convert(tok: str) -> int | None:
        if not tok.isdigit() or len(tok) > 6:
            return None
        value = int(tok)
        return value if lo <= value <= hi else None

    return convert


class Grammar:
    """One mode's commands, compiled into a keyword tree."""

    def __init__(
        self,
        rows: list[tuple[str, str | None, str]],
        kinds: dict[str, Callable[[str], Any]] | None = None,
    ) -> None:
        self._kinds = {"WORD": lambda tok: tok, "LINE": lambda tok: tok}
        self._kinds.update(kinds or {})
        self._root = _Node()
        for pattern, op, handler in rows:
            self._add(pattern, op, handler)

    def _param(self, spec: str) -> _Param:
        name = spec[1:-1]
        m = re.fullmatch(r"(\d+)-(\d+)", name)
        if m:
            return _Param(name, _int_range(int(m.group(1)), int(m.group(2))))
        if name not in self._kinds:
            raise ValueError(f"grammar: unknown parameter kind {spec!r}")
        return _Param(name, self._kinds[name])

    def _add(self, pattern: str, op: str | None, handler: str) -> None:
        node = self._root
        for part in pattern.split():
            if part.startswith("<"):
                for param, child in node.params:
                    if param.kind == part[1:-1]:
                        node = child
                        break
                else:
                    child = _Node()
                    node.params.append((self._param(part), child))
                    node = child
            else:
                node = node.keywords.setdefault(part.lower(), _Node())
        if node.action is not None:
            raise ValueError(f"grammar: {pattern!r} declared twice")
        node.action = (op, handler)

    def match(self, line: str) -> Match | Failure:
        node = self._root
        args: list[Any] = []
        tokens = tokenize(line)
        for tok, off in tokens:
            low = tok.lower()
            nxt = node.keywords.get(low)
            if nxt is None:
                cands = [k for k in node.keywords if k.startswith(low)]
                if len(cands) > 1:
                    return Failure("ambiguous", off, tok)
                if len(cands) == 1:
                    nxt = node.keywords[cands[0]]
            if nxt is not None:
                node = nxt
                continue
            for param, child in node.params:
                if param.rest_of_line:
                    args.append(line[off:].rstrip())
                    node = child
                    return self._finish(node, args, line, len(line))
                value = param.convert(tok)
                if value is not None:
                    args.append(value)
                    node = child
                    break
            else:
                return Failure("invalid", off, tok)
        return self._finish(node, args, line, len(line.rstrip()))

    @staticmethod
    def _finish(node: _Node, args: list[Any], line: str, end: int) -> Match | Failure:
        if node.action is None:
            return Failure("incomplete", end, "")
        op, handler = node.action
        return Match(handler, op, args)
