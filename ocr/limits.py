"""Every bound reportdb puts on one file and on a wait for the database, in one place.

A reader stops at these with a one-line reason instead of running for hours or
taking the machine's memory (issue 20: a 5,000-page blank PDF, HTML nested
10,000 deep, a 1,000-frame TIFF, a PDF page whose content stream inflates to
gigabytes, a 200-inch page). The same bounds hold for ``reportdb ingest`` and
``reportdb batch``: both read every file in a worker process of its own
(``pipeline.executors``), in a process group of its own, with a time limit and
an address-space limit, so a file past them costs that file alone.

Each default can be changed by an environment variable (read when the run
starts, in the process that starts the workers) or by a flag of ``ingest`` and
``batch``; the README lists them (Operations: limits).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, fields, replace

# ---------------------------------------------------------------- one file

TIMEOUT_PER_FILE = 3600.0      # s   REPORTDB_TIMEOUT_PER_FILE   --timeout-per-file
MEMORY_SHARE = 0.75            # of the machine's memory, shared among the workers
MIN_MEMORY = 2 << 30           # a worker's address space is at least this (when the machine allows)
MAX_PAGES = 500                # pages of one document        REPORTDB_MAX_PAGES        --max-pages
MAX_PAGE_MEGAPIXELS = 100      # a page image, decoded or rendered  REPORTDB_MAX_PAGE_MEGAPIXELS  --max-page-megapixels
MAX_PAGE_CONTENT_MB = 4        # a PDF page's content streams, inflated  REPORTDB_MAX_PAGE_CONTENT_MB
MAX_TEXT_MB = 32               # a text dump or a web page     REPORTDB_MAX_TEXT_MB
MAX_HTML_DEPTH = 256           # elements nested in a web page REPORTDB_MAX_HTML_DEPTH
MIN_IMAGE_SIDE = 32            # px: a page image narrower or lower than this is refused

# ------------------------------------------------------------ the database

WRITE_WAIT = 300.0             # s a writer (batch, ingest, correct) waits for the database  --wait
READ_WAIT = 60.0               # s a reader (query, show, review, export, audit) waits        --wait

_ENV = {"max_pages": "REPORTDB_MAX_PAGES", "max_page_megapixels": "REPORTDB_MAX_PAGE_MEGAPIXELS",
        "max_page_content_mb": "REPORTDB_MAX_PAGE_CONTENT_MB", "max_text_mb": "REPORTDB_MAX_TEXT_MB",
        "max_html_depth": "REPORTDB_MAX_HTML_DEPTH"}


class LimitError(ValueError):
    """A limit given in the environment or on the command line is not a number > 0."""


@dataclass(frozen=True)
class Limits:
    """The bounds a reader applies to one document (picklable: it travels with the job)."""

    max_pages: int = MAX_PAGES
    max_page_megapixels: float = MAX_PAGE_MEGAPIXELS
    max_page_content_mb: float = MAX_PAGE_CONTENT_MB
    max_text_mb: float = MAX_TEXT_MB
    max_html_depth: int = MAX_HTML_DEPTH

    @property
    def max_page_pixels(self) -> int:
        return int(self.max_page_megapixels * 1_000_000)

    @property
    def max_page_content(self) -> int:
        return int(self.max_page_content_mb * (1 << 20))

    @property
    def max_text_bytes(self) -> int:
        return int(self.max_text_mb * (1 << 20))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **given) -> "Limits":
        """The defaults, then the environment, then what is ``given`` (flags; None = not given)."""
        env = os.environ if env is None else env
        integer = {f.name: f.type in ("int", int) for f in fields(cls)}
        values: dict[str, float | int] = {}
        for name in integer:
            raw = env.get(_ENV[name])
            if raw not in (None, ""):
                values[name] = _positive(raw, _ENV[name], integer[name])
        for name, v in given.items():
            if v is not None:
                values[name] = _positive(v, "--" + name.replace("_", "-"), integer[name])
        return replace(cls(), **values)


def _positive(raw, what: str, integer: bool):
    try:
        v = int(raw) if integer else float(raw)
    except (TypeError, ValueError):
        raise LimitError(f"{what}: {raw!r} is not a number") from None
    if v <= 0:
        raise LimitError(f"{what}: must be more than 0 (got {raw})")
    return v


def env_seconds(name: str, default: float) -> float:
    """A number of seconds from the environment (``REPORTDB_TIMEOUT_PER_FILE``), else ``default``."""
    raw = os.environ.get(name)
    return default if raw in (None, "") else float(_positive(raw, name, False))


def timeout_per_file() -> float:
    return env_seconds("REPORTDB_TIMEOUT_PER_FILE", TIMEOUT_PER_FILE)


def default_memory_limit(workers: int) -> int:
    """Bytes of address space per worker: ``MEMORY_SHARE`` of the machine's memory
    shared among the workers, at least ``MIN_MEMORY``, and never more than the
    limit this process was started under (``prlimit --as``, ``ulimit -v``): a
    worker must not be given more than its parent may use."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 8 << 30
    want = max(MIN_MEMORY, int(total * MEMORY_SHARE) // max(1, workers))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        want = min(want, soft)
    return want
