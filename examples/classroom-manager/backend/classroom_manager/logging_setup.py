"""Logging setup shared by the server, the migrate command and the probe."""

import logging
import sys
import time


def configure_logging() -> None:
    """Send log records to stderr, one line each, with a UTC timestamp."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def one_line(exc: BaseException) -> str:
    """Return an exception's message on one line, because libpq messages can span several."""
    return " ".join(str(exc).split()) or type(exc).__name__
