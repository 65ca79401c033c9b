"""A log of lines that a full disk cannot tear: each line is written whole or not at all.

The worker's actions log is read as JSON lines; an action counts as delivered once its
line is written. A text stream writes through a buffer, which a full disk empties in
part: the file kept half a line, and the next run appended straight after it, so that
neither line could be read. Here a line is one ``write`` call on the file; when it fails
(a short write, then the error), the file is cut back to where the line began. A file
whose last line was torn before (by a crash, or an older escflow) gets its newline first,
so that the lines appended after it stand on their own.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from contextlib import suppress
from pathlib import Path
from typing import IO

from escflow.fileio import PRIVATE_FILE


class LineLog:
    """Lines appended to a file, or written to a stream, each whole or not at all.

    Made on a text stream (standard output, say), it writes through the stream's file
    when that is a regular file, and through the stream otherwise (a pipe or a terminal
    cannot be cut back; what it took, it keeps). ``failed`` is the first write error met,
    for the caller to report once the work is done (the action that met it was not
    counted delivered).
    """

    def __init__(self, stream: IO[str], *, owned: bool = False) -> None:
        self._stream = stream
        self._owned = owned
        self._fd = _regular_file(stream)
        self._mended = False  # the torn tail of the file, if any, is ended
        self.failed: OSError | None = None
        self.name = str(getattr(stream, "name", "the actions log"))
        # A worker's senders write from several threads: one line at a time.
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> LineLog:
        """Append to ``path`` (made when missing); raises ``OSError`` when it cannot be
        opened. Readable as well, to see how the file ends."""
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
        try:
            stream = os.fdopen(fd, "a", encoding="utf-8")
        except BaseException:
            os.close(fd)
            raise
        log = cls(stream, owned=True)
        log.name = str(path)
        return log

    def write(self, line: str) -> None:
        """Write ``line`` (which ends with its newline) whole, or raise ``OSError`` having
        written none of it."""
        with self._lock:
            self._write(line)

    def _write(self, line: str) -> None:
        try:
            if self._fd is None:
                self._stream.write(line)
                self._stream.flush()  # a line left in a buffer dies with the process
            else:
                self._stream.flush()  # whatever the stream holds goes first, in order
                self._append(self._fd, line.encode("utf-8"))
        except OSError as exc:
            if self.failed is None:
                self.failed = exc
            raise

    def _append(self, fd: int, data: bytes) -> None:
        appending = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
        start = os.fstat(fd).st_size if appending else os.lseek(fd, 0, os.SEEK_CUR)
        if not self._mended:
            data = self._torn(fd, start) + data
        try:
            written = os.write(fd, data)
            while written < len(data):  # a short write: the next one says what stopped it
                written += os.write(fd, data[written:])
        except OSError:
            with suppress(OSError):  # none of the line stays (cutting back frees, never fills)
                os.ftruncate(fd, start)
                if not appending:
                    os.lseek(fd, start, os.SEEK_SET)
            raise
        self._mended = True

    @staticmethod
    def _torn(fd: int, end: int) -> bytes:
        """A newline when the file's last line lacks one (it was torn), else nothing."""
        if end == 0:
            return b""
        try:
            last = os.pread(fd, 1, end - 1)
        except OSError:  # opened to write only (a redirection): its tail cannot be seen
            return b""
        return b"" if last == b"\n" else b"\n"

    def close(self) -> None:
        """Close the file if this log opened it; raises ``OSError`` when what the stream
        still held could not be written."""
        if self._owned:
            self._stream.close()


def _regular_file(stream: IO[str]) -> int | None:
    """The descriptor of the stream's file when it is a regular file, else None."""
    try:
        fd = stream.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, AttributeError):  # not a file: a StringIO, a test's capture
        return None
