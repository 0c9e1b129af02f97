"""Small JSON records one workflow step writes and another reads (pair counts, sex checks).

Each is a dataclass written as one JSON object, atomically, and read back into the same
dataclass, with an error naming the file when it is missing or not such a record.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError

T = TypeVar("T")


def write_record(record: Any, out: Path) -> None:
    """Write a dataclass instance as JSON, atomically."""
    write_text_atomic(out, json.dumps(asdict(record), indent=2) + "\n")


def read_record(kind: type[T], path: Path, what: str) -> T:
    """Read a file written by :func:`write_record` back into ``kind``.

    Raises:
        InputFormatError: Naming the file when it is missing or not ``what``.
    """
    try:
        data: Any = json.loads(Path(path).read_text())
        return kind(**data)
    except FileNotFoundError:
        raise InputFormatError(f"{path}: file not found") from None
    except (OSError, ValueError, TypeError) as exc:
        raise InputFormatError(f"{path}: not {what} ({exc})") from None
