"""JSON from outside (station frames, REST API bodies, messages between nodes, signed meter data): decoded only
when its nesting stays within ``MAX_DEPTH``.

msgspec and the stdlib ``json`` both recurse once per level and raise RecursionError (not a decode error) at
about 1,000 levels, and whatever walks the decoded value later (schema checks, encoders, the database driver)
recurses again. Refusing deep documents before decoding turns that into an ordinary ``ValueError`` that every
caller already answers as bad input. No payload csms understands comes near the limit (an OCPP 1.6 frame nests
6 levels, a REST API body about 5).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

MAX_DEPTH = 32

_decode = msgspec.json.Decoder().decode

# Per type of input: a JSON string literal (escapes included; brackets inside strings do not nest), a run of
# anything but brackets, an innermost empty pair.
_PATTERNS: dict[type, tuple[re.Pattern[Any], re.Pattern[Any], re.Pattern[Any]]] = {
    kind: (
        re.compile(kind(r'"[^"\\]*(?:\\.[^"\\]*)*"', *enc), re.DOTALL),
        re.compile(kind(r"[^\[\]{}]+", *enc)),
        re.compile(kind(r"\[\]|\{\}", *enc)),
    )
    for kind, enc in ((str, ()), (bytes, ("ascii",)))
}


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels")


def too_deep(data: str | bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of ``data`` nest deeper than ``max_depth`` (unbalanced brackets count as
    too deep: such a document is not JSON anyway). Linear in the size, in C loops: a frame with fewer brackets
    than the limit is answered by two counts; otherwise strings are cut out and the innermost pairs removed
    once per level."""
    if not isinstance(data, str | bytes):
        data = bytes(data)
    square, curly = ("[", "{") if isinstance(data, str) else (b"[", b"{")
    if data.count(square) + data.count(curly) <= max_depth:  # type: ignore[arg-type]
        return False
    string, not_bracket, innermost = _PATTERNS[type(data)]
    brackets = not_bracket.sub(data[:0], string.sub(data[:0], data))
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = innermost.sub(data[:0], brackets)
    return bool(brackets)


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON; raises ValueError (TooDeep, or msgspec's DecodeError) for anything that is not JSON within
    the depth limit."""
    if too_deep(data, max_depth):
        raise TooDeep(max_depth)
    return _decode(data)
