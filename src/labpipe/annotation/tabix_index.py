"""Where each contig's records start in a bgzipped VCF, read from its ``.tbi`` or ``.csi``.

The checks of a source too large to read through look at the first records of every
contig. One bcftools per contig costs about 45 ms of CPU (mostly starting htslib);
reading the index here and inflating from each contig's first offset costs about a
millisecond a contig. Layouts: the SAMtools "Tabix index format" and "CSI index format"
specifications (hts-specs).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

_TABIX_HEADER = struct.Struct("<6ii")  # format, col_seq, col_beg, col_end, meta, skip; l_nm


def first_offsets(vcf: Path) -> dict[str, int] | None:
    """Contig -> virtual file offset of its first record, from the file's index.

    Returns:
        None when there is no index this can read (a BCF's ``.csi`` names no
        contigs; a damaged index): the caller asks bcftools instead.
    """
    for suffix, reader in ((".tbi", _tbi), (".csi", _csi)):
        index = Path(f"{vcf}{suffix}")
        if index.is_file():
            try:
                return reader(gzip.decompress(index.read_bytes()))
            except (OSError, EOFError, zlib.error, struct.error, ValueError, IndexError):
                return None
    return None


def _names(data: bytes, at: int) -> tuple[list[str], int]:
    """The tabix header's contig names (after the six settings), and where it ends."""
    length = _TABIX_HEADER.unpack_from(data, at)[6]
    start = at + _TABIX_HEADER.size
    names = data[start : start + length].decode(errors="replace").split("\0")[:-1]
    return names, start + length


def _tbi(data: bytes) -> dict[str, int] | None:
    if data[:4] != b"TBI\x01":
        raise ValueError("not a tabix index")
    (n_ref,) = struct.unpack_from("<i", data, 4)
    names, at = _names(data, 8)
    return _first_chunks(data, at, names[:n_ref], pseudo_bin=37450, loffset=False)


def _csi(data: bytes) -> dict[str, int] | None:
    if data[:4] != b"CSI\x01":
        raise ValueError("not a CSI index")
    _min_shift, depth, aux_length = struct.unpack_from("<3i", data, 4)
    if aux_length < _TABIX_HEADER.size:
        return None  # a BCF's index: contigs are numbered by its header, not named here
    names, _ = _names(data, 16)
    at = 16 + aux_length
    (n_ref,) = struct.unpack_from("<i", data, at)
    pseudo_bin = ((1 << (3 * depth + 3)) - 1) // 7 + 1
    return _first_chunks(data, at + 4, names[:n_ref], pseudo_bin=pseudo_bin, loffset=True)


def _first_chunks(
    data: bytes, at: int, names: list[str], pseudo_bin: int, loffset: bool
) -> dict[str, int] | None:
    """Each contig's first offset: the first chunk of its pseudo-bin, which htslib writes
    as (start, end) of the contig's records (then its counts). None if one lacks it."""
    first: dict[str, int] = {}
    bin_header = struct.Struct("<IQi" if loffset else "<Ii")
    for name in names:
        (n_bin,) = struct.unpack_from("<i", data, at)
        at += 4
        for _ in range(n_bin):
            bin_number, *_, n_chunk = bin_header.unpack_from(data, at)
            at += bin_header.size
            if bin_number == pseudo_bin:
                (first[name],) = struct.unpack_from("<Q", data, at)
            at += 16 * n_chunk
        if not loffset:  # the tabix linear index follows each contig's bins
            (n_intv,) = struct.unpack_from("<i", data, at)
            at += 4 + 8 * n_intv
        if name not in first and n_bin:
            return None  # an index without a pseudo-bin (very old tabix): bcftools reads it
    return first
