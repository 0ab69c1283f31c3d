"""Progress of ``ingest`` and ``batch`` in pages, not documents: a 50-page scan is
50 steps of the bar, not one.

Pages are counted before anything is read (``count_pages``: a PDF's pages from
pdfium, a TIFF's frames, a page set's images, 1 for an image, a text dump, a web
page or a Word file), in a short-lived process of its own, so the process that
writes the database still reads no document. While a file is read, its worker
tells the parent after each OCR page (``pipeline.executors.counted``); a
born-digital PDF, read in well under a second a page, moves the bar when it is
done.

``PageProgress`` shows it: in a terminal a rich bar (pages read of pages to read,
the file being read and its page, elapsed and estimated time); elsewhere (cron,
systemd, a pipe) a plain line on stderr now and then, so that stdout stays one
line a file.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from typing import Callable, TextIO

COUNT_TIMEOUT = 30.0   # s for counting every file's pages; past it the rest count 1 each
PLAIN_EVERY = 10.0     # s between plain progress lines (REPORTDB_PROGRESS_EVERY)
_PAGED = (".pdf", ".tif", ".tiff")


def count_pages(path: str, parts: tuple[str, ...] = (), cap: int = 500) -> int:
    """The pages a document will be read as, cheaply and never more than ``cap``
    (the page limit: past it the file is refused before a page is read). 1 when
    the file cannot be counted: the reader says why."""
    if parts:
        return max(1, min(len(parts), cap))
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".pdf":
            import pypdfium2 as pdfium
            pdf = pdfium.PdfDocument(path)
            try:
                return max(1, min(len(pdf), cap))
            finally:
                pdf.close()
        if suffix in (".tif", ".tiff"):
            from ocr.images import count_frames
            return max(1, min(count_frames(path, stop=cap), cap))
    except Exception:  # noqa: BLE001 — broken, encrypted, not what its name says: the reader tells
        return 1
    return 1


def _count_all(items: list[tuple[str, tuple[str, ...], int]]) -> list[int]:
    return [count_pages(p, parts, cap) for p, parts, cap in items]


def pages_of(items: list[tuple[str, tuple[str, ...], int]], timeout: float = COUNT_TIMEOUT) -> list[int]:
    """``count_pages`` for each (path, parts, cap), the PDFs and TIFFs counted in a
    process of its own (a hostile file costs that process, and the caller counts
    those files 1 page each); the rest need no reading."""
    counts = [count_pages(p, parts, cap) if parts or Path(p).suffix.lower() not in _PAGED else None
              for p, parts, cap in items]
    todo = [i for i, c in enumerate(counts) if c is None]
    if todo:
        import multiprocessing as mp
        pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"))
        try:
            got = pool.submit(_count_all, [items[i] for i in todo]).result(timeout=timeout)
            for i, n in zip(todo, got):
                counts[i] = n
        except (FuturesTimeout, Exception):  # noqa: BLE001 — counted 1 each; the bar is adjusted as files finish
            pass
        finally:
            for proc in list(getattr(pool, "_processes", {}).values()):
                if proc.is_alive():
                    proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)
    return [1 if c is None else c for c in counts]


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class PageProgress:
    """Pages read of pages to read, the file being read, elapsed and estimated
    time. ``live``: a rich bar on ``console`` (a terminal); else plain lines on
    ``stream`` (None: none) at most every ``every`` seconds. Result lines go to
    ``console`` either way (above the bar). ``name``: how a path is shown
    (sanitised by the caller's rule)."""

    def __init__(self, console=None, live: bool = False, stream: TextIO | None = None,
                 every: float | None = None, name: Callable[[str], str] = str,
                 clock: Callable[[], float] = time.monotonic):
        self.console = console
        self.live = live
        self.stream = stream
        env = os.environ.get("REPORTDB_PROGRESS_EVERY")
        self.every = every if every is not None else float(env) if env else PLAIN_EVERY
        self.name = name
        self.clock = clock
        self.total = 0           # pages to read in all
        self.files = 0           # documents to read
        self.pages: dict[str, int] = {}   # path -> pages it counts for
        self.read: dict[str, int] = {}    # path -> pages read so far
        self.finished = 0        # documents done
        self.current: str | None = None
        self.current_page: tuple[int, int | None] = (0, None)
        self.started = clock()
        self._last_line = None
        self._bar = None
        self._task = None

    # ------------------------------------------------------------------ state

    @property
    def done(self) -> int:
        return sum(self.read.values())

    def eta(self) -> float | None:
        """Seconds left at the pace so far, once a page has been read."""
        done = self.done
        if not done or done >= self.total:
            return None
        return (self.clock() - self.started) / done * (self.total - done)

    def plan(self, pages: dict[str, int]) -> None:
        self.pages = dict(pages)
        self.read = {p: 0 for p in pages}
        self.total = sum(pages.values())
        self.files = len(pages)
        self.started = self.clock()
        if self.live and self.console is not None:
            from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} pages"), TimeElapsedColumn(),
                                 TextColumn("left"), TimeRemainingColumn(),
                                 console=self.console, transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self._description(), total=self.total)

    def page(self, path: str, read: int, of: int | None) -> None:
        """``path`` is being read: ``read`` of its ``of`` OCR pages so far (0 and
        None when it starts)."""
        if path not in self.pages:
            return
        self.current, self.current_page = path, (read, of)
        if of and of != self.pages[path]:  # the reader's own count is the true one
            self.total += of - self.pages[path]
            self.pages[path] = of
        self.read[path] = min(read, self.pages[path])
        self._show(started=read == 0)

    def finish(self, path: str) -> None:
        """``path`` is done (loaded or failed): all its pages count as read."""
        if path not in self.pages:
            return
        self.read[path] = self.pages[path]
        self.finished += 1
        if self.current == path:
            self.current = None
        self._show()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # --------------------------------------------------------------- display

    def _description(self) -> str:
        if self.current is None:
            return f"{self.finished}/{self.files} files"
        read, of = self.current_page
        if of:  # the worker tells its pages: the one being read now
            where = f" page {min(read + 1, of)} of {of}" if of > 1 else ""
        else:   # not yet (or not at all: a text layer is read whole)
            n = self.pages.get(self.current, 1)
            where = f" ({n} pages)" if n > 1 else ""
        return f"{self.finished}/{self.files} files · {self.name(self.current)}{where}"

    def line(self) -> str:
        """The plain progress line."""
        eta = self.eta()
        left = f", about {_clock(eta)} left" if eta is not None else ""
        return (f"progress: {self.done} of {self.total} pages, {self._description()}, "
                f"{_clock(self.clock() - self.started)} elapsed{left}")

    def _show(self, started: bool = False) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, total=self.total,
                             description=self._description())
            return
        if self.stream is None:
            return
        now = self.clock()
        if self._last_line is None:
            self._last_line = self.started
        if now - self._last_line >= self.every:
            self._last_line = now
            print(self.line(), file=self.stream, flush=True)

    def print(self, renderable) -> None:
        """A result line, above the bar while there is one."""
        (self._bar.console if self._bar is not None else self.console).print(renderable)
