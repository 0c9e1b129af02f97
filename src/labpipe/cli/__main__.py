"""``python -m labpipe.cli``: how the workflow's rules call ``labpipe step`` with this Python."""

from labpipe.cli.main import main

main()
