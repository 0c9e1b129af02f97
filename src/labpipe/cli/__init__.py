"""The ``labpipe`` command line (one module per part of a lab's path; main.py holds the group).

Not empty, unlike the other subpackages: ``labpipe.cli:main`` is the installed entry point.
"""

from labpipe.cli.main import cli, main

__all__ = ["cli", "main"]
