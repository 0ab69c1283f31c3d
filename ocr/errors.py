"""Failures of the reading stage. Each carries a one-line reason for the user and
the failures table; the pipeline turns them into a recorded status, never a crash."""


class ReadError(Exception):
    """The file could not be read as a report source (empty, unreadable, wrong type…)."""

    stage = "read"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
