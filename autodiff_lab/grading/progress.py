"""A plain-text progress bar on a stream (a line per submission when it is not a terminal)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.started = time.monotonic()
        self.live = bool(stream) and getattr(stream, "isatty", lambda: False)()

    def advance(self, label: str) -> None:
        self.done += 1
        if not self.stream:
            return
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        text = f"grading [{bar}] {self.done}/{self.total} {elapsed:5.1f}s {Path(label).name}"
        if self.live:
            self.stream.write("\r" + text[:120].ljust(120))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream and self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()
