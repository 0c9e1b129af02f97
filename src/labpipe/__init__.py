"""labpipe: germline variant analysis for hospital labs."""

__version__ = "0.1.0"
