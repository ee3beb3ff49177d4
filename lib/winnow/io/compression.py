"""Gzip and zstd streams, told by their magic bytes rather than by a file's name.

Members (gzip) and frames (zstd) are decoded one after another; one left unfinished
at the end raises ``Truncated``, data its codec cannot decode ``Corrupt``.
"""

from __future__ import annotations

import io
import itertools
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import zstandard

#: Name endings of compressed files (cut before a format's suffix is matched).
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
READ_BYTES = 1 << 20
ZSTD_READ_BYTES = 1 << 17  # zstd's recommended input size: bounds a read's output
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Truncated(Exception):
    """A compressed stream ended inside a gzip member or a zstd frame."""


class Corrupt(Exception):
    """Compressed data that its codec cannot decode (bad data, checksum, trailing garbage)."""


def is_zstd(head: bytes) -> bool:
    """Zstd frame magic, or a skippable frame (``5? 2a 4d 18``, e.g. pzstd's first frame)."""
    return head.startswith(ZSTD_MAGIC) or (
        len(head) >= 4 and (head[0] & 0xF0) == 0x50 and head[1:4] == b"\x2a\x4d\x18"
    )


def decoded(raw: io.BufferedIOBase, path: str) -> Iterator[bytes]:
    """The file's bytes, decompressed if its magic bytes say gzip or zstd (not its name)."""
    head = raw.read(len(ZSTD_MAGIC))
    if head.startswith(GZIP_MAGIC):
        yield from _inflate(head, raw, READ_BYTES, lambda: zlib.decompressobj(31), gzip=True)
    elif is_zstd(head):
        yield from _inflate(
            head, raw, ZSTD_READ_BYTES, zstandard.ZstdDecompressor().decompressobj, gzip=False
        )
    elif (
        0 < len(head) < len(ZSTD_MAGIC)
        and path.lower().endswith(tuple(COMPRESSIONS))
        and (GZIP_MAGIC.startswith(head) or ZSTD_MAGIC.startswith(head))
    ):
        raise Truncated(f"{len(head)} byte(s) of a compression magic number")
    else:
        yield head
        yield from iter(lambda: raw.read(READ_BYTES), b"")


def _inflate(
    head: bytes, raw: io.BufferedIOBase, read_bytes: int, new: Callable[[], Any], gzip: bool
) -> Iterator[bytes]:
    """Decompress gzip members or zstd frames one after another, at most about
    ``READ_BYTES`` out per step; one unfinished at the end raises ``Truncated`` (a
    decoder alone takes a cut stream for a finished one)."""
    decoder = None
    for data in itertools.chain([head], iter(lambda: raw.read(read_bytes), b"")):
        while data:
            if decoder is None:
                data = data.lstrip(b"\0") if gzip else data  # gzip allows zero padding
                if not data:
                    break
                decoder = new()
            try:
                # zlib stops at max_length; zstd takes all of (smaller) reads at once.
                out = decoder.decompress(data, READ_BYTES) if gzip else decoder.decompress(data)
            except (zlib.error, zstandard.ZstdError) as exc:
                raise Corrupt(f"{type(exc).__name__}: {exc}") from None
            if out:
                yield out
            if decoder.eof:
                data, decoder = decoder.unused_data, None
            else:
                data = decoder.unconsumed_tail
    if decoder is not None:
        raise Truncated("gzip member unfinished" if gzip else "zstd frame unfinished")
