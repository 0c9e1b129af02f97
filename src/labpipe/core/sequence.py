"""DNA and protein sequence basics: the genetic code, reverse complement, translation.

One copy for the whole package: HGVS annotation (:mod:`labpipe.annotation.hgvs`) and the
synthetic genome of the simulator (:mod:`labpipe.simulation.genome_model`) both read it.
"""

from __future__ import annotations

_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")

# The standard genetic code, codons in TCAG order as textbooks print it.
_AA_BY_CODON = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
#: Codon (upper-case DNA) to one-letter amino acid, ``*`` for a stop.
CODON_TABLE: dict[str, str] = {
    a + b + c: _AA_BY_CODON[16 * i + 4 * j + k]
    for i, a in enumerate("TCAG")
    for j, b in enumerate("TCAG")
    for k, c in enumerate("TCAG")
}
STOP_CODONS: tuple[str, ...] = tuple(sorted(c for c, aa in CODON_TABLE.items() if aa == "*"))

#: One-letter to HGVS three-letter amino-acid codes (``*`` is ``Ter``).
THREE_LETTER: dict[str, str] = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
    "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
    "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "*": "Ter",
    "U": "Sec", "O": "Pyl", "X": "Xaa", "B": "Asx", "Z": "Glx", "J": "Xle",
}  # fmt: skip


def reverse_complement(sequence: str) -> str:
    """Reverse complement of a DNA string (case kept, N stays N)."""
    return sequence.translate(_COMPLEMENT)[::-1]


def translate(sequence: str) -> str:
    """Translate codon by codon: stops as ``*``, codons with N as ``X``, a partial codon dropped."""
    upper = sequence.upper()
    return "".join(
        CODON_TABLE.get(upper[i : i + 3], "X") for i in range(0, len(upper) - len(upper) % 3, 3)
    )


def three_letter(amino_acids: str) -> str:
    """One-letter amino acids to concatenated HGVS three-letter codes (``*`` is ``Ter``).

    Raises:
        ValueError: A letter is not an amino acid code.
    """
    try:
        return "".join(THREE_LETTER[aa] for aa in amino_acids)
    except KeyError as exc:
        raise ValueError(f"'{exc.args[0]}' is not an amino acid code") from None
