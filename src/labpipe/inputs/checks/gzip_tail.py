"""The end of a large gzip file checked without decompressing all of it.

How gzip integrity is checked without reading whole files
---------------------------------------------------------
The first ``records`` reads are always decompressed and parsed; damage met
there is reported. A file that ends within them, and any gzip file of at most
``full_check_bytes`` (:data:`FULL_CHECK_BYTES`, 1 MiB, ~15 ms), is decompressed
to its end, so every CRC and length is checked. A larger file gets its end
checked, which is where truncation (an interrupted copy, a full disk) shows:

* BGZF (bgzip, htslib): the 28-byte end-of-file block must close the file and
  the last data block before it must decompress with a valid CRC.
* A gzip member that starts in the last 256 KiB (``cat`` of gzip files): the
  last one is decompressed to the end of the file and its CRC checked; bytes
  that only look like a member header fail the ISIZE test.
* After the last sync-flush marker (pigz, Python's text-mode gzip) the stream
  is byte-aligned: it is decoded from there to its end.
* Otherwise (one gzip/zlib/libdeflate/ISA-L stream) the last dynamic-Huffman
  blocks are found in the last 256 KiB: a block may start at any bit, so each
  bit offset whose header holds a complete code-length code (about one in 1000)
  is handed to zlib, with a 32 KiB dictionary of zeros standing in for the
  data before it. The decoded text must hold 32 or more known bytes, all
  printable, and the stream must end within the byte before the 8-byte trailer.
* A stream whose end is not found so (fixed-Huffman or stored blocks only, as
  zlib-ng level 1 and ISA-L level 0 write, or a last block starting more than
  256 KiB before the end) is decompressed whole: about 1.5 s per 100 MB of
  gzip, never a wrong answer.

Guaranteed: a truncated file is reported, whatever its size (checked on 1,140
cuts of zlib streams of every strategy: none passed). Not guaranteed for a
large single-member file: damage between the first reads and the last blocks
(its CRC covers data that was not read); fastp's gzip reader stops with an
error on such damage, so it cannot pass silently. The last read must be
complete wherever its text is known (plain files, whole decompression, BGZF's
last block, a last member), which catches a FASTQ cut before it was compressed.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from labpipe.core.atomic import BGZF_EOF
from labpipe.core.i18n import N_, _
from labpipe.inputs.checks.files import (
    BGZF_HEADER,
    CRC_FAILED,
    GZIP_MAGIC,
    TEXT_BYTES,
    TRUNCATED_MESSAGE,
    GzipDamage,
    corrupt_message,
    trailing_message,
    with_fix_command,
)

_SEARCH_BYTES = 1 << 18  # how far before the end the last gzip member / deflate block is sought
# A gzip member header: magic, deflate, flags with the reserved bits clear.
_MEMBER_HEADER = re.compile(rb"\x1f\x8b\x08[\x00-\x1f]")
# An empty stored block (a zlib sync flush) then an empty final fixed block: how
# zlib ends a stream flushed just before it was closed (Python's text-mode gzip).
_SYNC_MARKER = b"\x00\x00\xff\xff"
_EMPTY_FINAL_BLOCK = b"\x03\x00"


def gzip_tail_text(handle: BinaryIO, size: int, bgzf: bool) -> bytes | None:
    """Check the end of a gzip file; return the decompressed text of its last part.

    Returns:
        The last decompressed bytes (NULs where unknown), or None when the end of
        the stream could not be located in the tail.

    Raises:
        GzipDamage: The end is missing or damaged.
    """
    position = handle.tell()  # the stream may still have to decompress from there
    handle.seek(max(0, size - _SEARCH_BYTES))
    tail = handle.read()
    handle.seek(position)
    if bgzf:
        return _bgzf_tail_text(tail)
    text = _last_member_text(tail)
    if text is None:
        text = _after_sync_flush_text(tail[:-8])
    if text is None:
        text = _final_blocks_text(tail[:-8])
    return text


BGZF_TRUNCATED = N_(
    "the file is truncated: the BGZF end-of-file marker is missing (an interrupted copy or a"
    " full disk?); copy the file again from the run"
)
BGZF_TRUNCATED_HERE = N_(
    "the file is truncated: the BGZF end-of-file marker is missing (an interrupted copy or a"
    " full disk?); copy the file again"
)


def _bgzf_tail_text(tail: bytes) -> bytes:
    """The last BGZF data block, checked; its text."""
    if not tail.endswith(BGZF_EOF):
        raise GzipDamage(BGZF_TRUNCATED)
    end = len(tail) - len(BGZF_EOF)
    if end == 0:
        return b""
    for match in BGZF_HEADER.finditer(tail, max(0, end - 65536)):
        start = match.start()
        block_size = int.from_bytes(tail[start + 16 : start + 18], "little") + 1
        if start + block_size != end:
            continue
        inflater = zlib.decompressobj(31)
        try:
            text = inflater.decompress(tail[start:end])
        except zlib.error as exc:
            raise GzipDamage(corrupt_message(exc, _(" in its last BGZF block"))) from None
        if inflater.eof and not inflater.unused_data:
            return text
    raise GzipDamage(
        _(
            "the gzip data is corrupt (the last BGZF block before the end-of-file marker is"
            " damaged); copy the file again and compare its checksum (md5sum) with the original"
        )
    )


def _last_member_text(tail: bytes) -> bytes | None:
    """Decompress the last gzip member that starts in ``tail``, if one does.

    Bytes that only look like a member header are told apart by the trailer: a
    real member's ISIZE is the length of its text. Only that proof is trusted;
    anything less (a member that breaks off) is left to the other checks.

    Returns:
        Its text when it ends exactly at the end of the file, CRC checked; None
        when no complete member starts in ``tail``.

    Raises:
        GzipDamage: The last member fails its CRC or is followed by junk.
    """
    for match in reversed(list(_MEMBER_HEADER.finditer(tail))):
        data_start = _member_data_start(tail, match.start())
        if data_start is None:
            continue
        inflater = zlib.decompressobj(-15)
        try:
            text = inflater.decompress(tail[data_start:])
        except zlib.error:
            continue
        trailer = inflater.unused_data
        if not inflater.eof or len(trailer) < 8:
            continue
        crc, isize = struct.unpack("<II", trailer[:8])
        if isize != len(text) & 0xFFFFFFFF:
            continue
        if crc != zlib.crc32(text):
            raise GzipDamage(corrupt_message(CRC_FAILED))
        after = trailer[8:]
        if after.startswith(GZIP_MAGIC):
            raise GzipDamage(_member_damage(after))  # a member that did not decode
        if after:
            raise GzipDamage(trailing_message(len(after)))
        return text
    return None


def _member_damage(member: bytes) -> str:
    """What is wrong with a gzip member known to start at ``member``'s first byte."""
    inflater = zlib.decompressobj(31)
    try:
        inflater.decompress(member)
    except zlib.error as exc:
        return corrupt_message(exc)
    return TRUNCATED_MESSAGE


def _member_data_start(data: bytes, start: int) -> int | None:
    """Where the deflate data of a gzip member starts (RFC 1952 header), or None."""
    flags = data[start + 3]
    at = start + 10
    if flags & 0x04:  # FEXTRA
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    for flag in (0x08, 0x10):  # FNAME, FCOMMENT: NUL-terminated
        if flags & flag:
            end = data.find(b"\0", at)
            if end < 0:
                return None
            at = end + 1
    if flags & 0x02:  # FHCRC
        at += 2
    return at if at < len(data) else None


def _after_sync_flush_text(body: bytes) -> bytes | None:
    """Decode what follows the last sync-flush marker, which starts on a byte boundary.

    pigz flushes after each chunk and Python's text-mode gzip before closing,
    so their last blocks follow such a marker.
    """
    marker = body.rfind(_SYNC_MARKER)
    if marker < 0:
        return None
    after = body[marker + len(_SYNC_MARKER) :]
    if after == _EMPTY_FINAL_BLOCK:
        return b""
    return _inflate_to_end(after, 0, len(after) * 8)


_ZDICT = bytes(32768)
# 2 ** (7 - length) for each code length 0-7 of the code-length code: a complete
# prefix code (all zlib accepts there) sums to 128.
_KRAFT = (0, 64, 32, 16, 8, 4, 2, 1)
_FIRST_WINDOW = 4096


def _final_blocks_text(body: bytes) -> bytes | None:
    """Find a deflate block start near the end of ``body`` and decode from it to the end.

    ``body`` is the tail of the file without the 8-byte gzip trailer. Windows
    grow from the end so that the usual case (the last block starts a few KiB
    before the end) costs a few milliseconds.
    """
    size = len(body)
    tried_from = size
    window = _FIRST_WINDOW
    while True:
        window = min(window, size)
        base = size - window
        region = body[base:]
        value = int.from_bytes(region, "little")
        shifted: dict[int, bytes] = {}
        for bit in _dynamic_block_starts(region, (tried_from - base) * 8):
            # zlib reads whole bytes: shift the bits so that the candidate starts one.
            offset = bit % 8
            if offset not in shifted:
                shifted[offset] = (value >> offset).to_bytes(window, "little")
            text = _inflate_to_end(shifted[offset], bit // 8, window * 8 - bit)
            if text is not None:
                return text
        if window == size:
            return None
        tried_from = base
        window *= 4


def _dynamic_block_starts(region: bytes, limit_bits: int) -> list[int]:
    """Bit offsets (below ``limit_bits``, last first) where a dynamic deflate block may start.

    The header must read BTYPE 2, at most 29 extra length and distance codes
    and a complete code-length code; that leaves about one offset in 1000 of
    compressed data for zlib to try.
    """
    import numpy as np  # here, not at the top: most runs never get this far, and it is slow to load

    bits = np.unpackbits(np.frombuffer(region, dtype=np.uint8), bitorder="little")
    padded = np.concatenate([bits, np.zeros(80, dtype=np.uint8)])
    # Value of the 3 bits starting at each offset, least significant first as deflate stores them.
    triple = padded[:-2] + 2 * padded[1:-1] + 4 * padded[2:]
    starts = np.flatnonzero((triple[: min(len(bits), limit_bits)] >> 1) == 2)

    def number(at: int, width: int) -> np.ndarray:
        value = np.zeros(len(starts), dtype=np.int16)
        for b in range(width):
            value |= padded[starts + at + b].astype(np.int16) << b
        return value

    hlit, hdist, hclen = number(3, 5), number(8, 5), number(13, 4)
    weight = np.array(_KRAFT, dtype=np.int16)[triple]
    kraft = np.zeros(len(starts), dtype=np.int16)
    for j in range(19):
        kraft += np.where(j < hclen + 4, weight[starts + 17 + 3 * j], 0).astype(np.int16)
    keep = (hlit <= 29) & (hdist <= 29) & (kraft == 128)
    found: list[int] = starts[keep][::-1].tolist()
    return found


def _inflate_to_end(data: bytes, first: int, bits: int) -> bytes | None:
    """Inflate ``bits`` bits from byte ``first``; the text if the stream ends in their last byte."""
    used_bytes = (bits + 7) // 8
    inflater = zlib.decompressobj(-15, zdict=_ZDICT)
    try:
        text = inflater.decompress(memoryview(data)[first : first + used_bytes])
    except zlib.error:
        return None
    if not inflater.eof:
        return None
    used = used_bytes - len(inflater.unused_data)
    # The stream's last bit lies in its last used byte; the real stream ends
    # (then pads with zeros) within the last 8 bits before the trailer.
    if not (8 * (used - 1) < bits and 8 * used > bits - 8):
        return None
    return text if _is_text(text) else None


def _is_text(data: bytes) -> bool:
    """True for decoded FASTQ text: at least 32 known bytes, all printable.

    NULs stand for bytes copied from before the decoded part (in a real final
    block most of the read structure is such a copy; the bases are literals).
    Bits decoded with a wrong Huffman table give random bytes, so 32 printable
    ones by chance have odds of about 1e-13.
    """
    known = data.replace(b"\0", b"")
    return len(known) >= 32 and not known.translate(None, TEXT_BYTES)


def bgzf_end_problem(path: Path) -> str | None:
    """Why a BGZF file is cut short or its last block is damaged; None when it ends properly.

    Raises:
        OSError: The file cannot be read.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - _SEARCH_BYTES))
        tail = handle.read()
    try:
        _bgzf_tail_text(tail)
    except GzipDamage as exc:
        # A reference or annotation file was not copied from a sequencing run.
        message = BGZF_TRUNCATED_HERE if str(exc) == BGZF_TRUNCATED else str(exc)
        return with_fix_command(_(message), path, N_("set the config to it"))
    return None


__all__ = [
    "bgzf_end_problem",
]
