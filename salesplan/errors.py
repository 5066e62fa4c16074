"""The base of errors a user can act on: the CLI prints them without a traceback."""

from __future__ import annotations


class SalesplanError(Exception):
    """A failure whose message says what is wrong and what to do about it."""
