"""Reading an input file whatever its compression, for the checks of :mod:`labpipe.inputs.checks`.

The compression read from the first bytes, the decompressed stream (every gzip
member, CRCs checked), the messages for damaged gzip data, and the new file
names the suggested commands write to (never over their input).
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from labpipe.core.i18n import N_, _

_CHUNK = 1 << 16
TAIL_BYTES = 1 << 16  # decompressed bytes kept to check the last read
_MAX_LISTED = 20  # a broken file can have a problem on every line; the first ones tell the story

GZIP_MAGIC = b"\x1f\x8b"
BGZF_HEADER = re.compile(rb"\x1f\x8b\x08\x04.{6}\x06\x00BC\x02\x00", re.DOTALL)
TEXT_BYTES = bytes(range(32, 127)) + b"\t\n\r"
_OTHER_COMPRESSION = (
    (b"BZh", "bzip2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
    (b"PK\x03\x04", "zip", "unzip -p"),
)


class GzipDamage(Exception):
    """The compressed data of a file is damaged; the message is the user's."""


def quote(path: Path) -> str:
    return shlex.quote(str(path))


def text_command(path: Path) -> str:
    """A command printing a FASTQ's text, plain or gzip."""
    return f"zcat -f {quote(path)}"


def compression_of_bytes(magic: bytes) -> str:
    """gzip, bgzf, plain, or the name of another compression, from a file's first bytes."""
    if magic.startswith(GZIP_MAGIC):
        return "bgzf" if BGZF_HEADER.match(magic) else "gzip"
    for prefix, kind, _tool in _OTHER_COMPRESSION:
        if magic.startswith(prefix):
            return kind
    return "plain"


class TextStream:
    """The decompressed (or plain) bytes of a file, chunk by chunk.

    One generator serves both the parsing of the first reads and, for a small
    file, the read to its end; the last bytes are kept to check the last read.
    """

    def __init__(self, handle: BinaryIO, gzipped: bool) -> None:
        self.tail = b""
        self.total = 0
        self.finished = False
        source = gunzip_chunks(handle) if gzipped else iter(lambda: handle.read(_CHUNK), b"")
        self.chunks = self._track(source)

    def _track(self, source: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in source:
            self.total += len(chunk)
            self.tail = (self.tail + chunk)[-TAIL_BYTES:]
            yield chunk
        self.finished = True

    def drain(self) -> None:
        """Read to the end of the file (every CRC of a gzip file gets checked)."""
        for _chunk in self.chunks:
            pass


def gunzip_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """Decompressed bytes of every member of a gzip file.

    Raises:
        GzipDamage: The data ends early, fails its CRC, or is followed by non-gzip bytes.
    """
    inflater = zlib.decompressobj(31)
    pending = handle.read(_CHUNK)
    member_fed = False
    while pending:
        if not member_fed and not pending.startswith(GZIP_MAGIC):
            if len(pending) < 2:
                more = handle.read(_CHUNK)
                if more:
                    pending += more
                    continue
            after = len(pending) + os.fstat(handle.fileno()).st_size - handle.tell()
            raise GzipDamage(trailing_message(after))
        try:
            out = inflater.decompress(pending)
        except zlib.error as exc:
            raise GzipDamage(corrupt_message(exc)) from None
        member_fed = True
        if out:
            yield out
        if inflater.eof:
            # The next member, if any, starts in what this one did not use.
            pending = inflater.unused_data
            inflater = zlib.decompressobj(31)
            member_fed = False
            if not pending:
                pending = handle.read(_CHUNK)
        else:
            pending = handle.read(_CHUNK)
    if member_fed:
        raise GzipDamage(TRUNCATED_MESSAGE)


TRUNCATED_MESSAGE = N_(
    "the gzip data is truncated: the file ends before its compressed data does"
    " (an interrupted copy or a full disk?); copy the file again from the run"
)


CRC_FAILED = N_("CRC check failed")


def corrupt_message(reason: zlib.error | str, where: str = "") -> str:
    """Why gzip data is corrupt, in the current language (``where``: already translated)."""
    text = str(reason)
    if "incorrect data check" in text:
        text = CRC_FAILED
    elif "incorrect length check" in text:
        text = N_("length check failed")
    elif isinstance(reason, zlib.error):
        text = N_("invalid deflate data")
    corrupt = _(
        "the gzip data is corrupt (%(reason)s%(where)s); copy the file again and compare its"
        " checksum (md5sum) with the original"
    )
    return corrupt % {"reason": _(text), "where": where}


_FIX = "\x00fix\x00"  # stands for the recompressing command, which needs the file's path


def trailing_message(count: int) -> str:
    trailing = _(
        "%(count)s bytes after the end of the gzip data are not gzip (fastp stops at them): %(fix)s"
    )
    return trailing % {"count": count, "fix": _FIX}


def with_fix_command(message: str, path: Path, then: str) -> str:
    """A damage message with its command: a recompressed copy under a new name, then ``then``
    (marked with ``N_``: translated here)."""
    if _FIX not in message:
        return message
    name = path.name.removesuffix(".gz")
    suffix = Path(name).suffix or ".txt"
    copy = new_file_name(path, "recompressed", f"{suffix}.gz")
    fix = _("recompress it into a new file with %(command)s, then %(then)s") % {
        "command": f"`zcat {quote(path)} | bgzip -c > {quote(copy)}`",
        "then": _(then),
    }
    return message.replace(_FIX, fix)


def text_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines without their ``\\n`` (a ``\\r`` is kept, to be reported)."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def excerpt(line: bytes, width: int = 40) -> str:
    text = line.decode("ascii", errors="replace").replace("\t", "\\t")
    return text if len(text) <= width else text[: width - 3] + "..."


def first_text_bytes(handle: BinaryIO, gzipped: bool, count: int = 256) -> bytes:
    """The first bytes of a file's text, decompressed if it is gzip."""
    if not gzipped:
        return handle.read(count)
    try:
        return next(gunzip_chunks(handle), b"")[:count]
    except GzipDamage:
        return b""


def line_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Large blocks of whole lines, each ending with a newline."""
    rest = b""
    for chunk in itertools.chain(chunks, [b"\n"]):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        rest = data[cut:]


class ListedProblems:
    """Problems of a file, the first few shown."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.hidden = 0

    def add(self, message: str) -> None:
        if len(self.items) < _MAX_LISTED:
            self.items.append(message)
        else:
            self.hidden += 1

    def shown(self) -> list[str]:
        more = _("... and %(count)s more") % {"count": self.hidden}
        return self.items + ([more] if self.hidden else [])


_DATA_SUFFIXES: tuple[str, ...] = (".vcf", ".fastq", ".fq", ".fasta", ".fa", ".fna", ".gff3")
_DATA_SUFFIXES += (".gff", ".bed", ".sam", ".bam", ".cram")


def new_file_name(path: Path, tag: str, suffix: str) -> Path:
    """A file name beside ``path`` for a command's output that never is ``path`` itself.

    Every command labpipe suggests writes to a new file, so that running it
    cannot destroy its input (``zcat X.fa.gz | bgzip > X.fa.gz`` empties the
    reference); the message then says which config line or sheet cell to change.
    ``clinvar.vcf`` with tag ``bgzip`` and suffix ``.vcf.gz`` gives
    ``clinvar.bgzip.vcf.gz``; a name already taken gets a number.
    """
    name = path.name
    for known in (".gz", ".bgz", ".bz2", ".xz", ".zst", ".zip"):
        name = name.removesuffix(known)
    for known in _DATA_SUFFIXES:
        name = name.removesuffix(known)
    candidate = path.with_name(f"{name}.{tag}{suffix}")
    number = 2
    while candidate == path or candidate.exists():
        candidate = path.with_name(f"{name}.{tag}{number}{suffix}")
        number += 1
    return candidate


def compression_of(path: Path) -> str:
    """``bgzf``, ``gzip``, ``plain`` or another compression's name, from a file's first bytes.

    Raises:
        OSError: The file cannot be read.
    """
    with open(path, "rb") as handle:
        return compression_of_bytes(handle.read(64))


def decompress_command(path: Path, kind: str) -> str:
    """A shell command printing the text of a ``kind``-compressed (or plain) file."""
    quoted = shlex.quote(str(path))
    if kind in ("gzip", "bgzf"):
        return f"zcat {quoted}"
    tool = next((t for _m, k, t in _OTHER_COMPRESSION if k == kind), "cat")
    return f"{tool} {quoted}"


__all__ = [
    "compression_of",
    "decompress_command",
    "new_file_name",
]
