"""Writing files whole or not at all, inside their folder, readable by their owner only.

:func:`write_all` writes a set of files so that either every one of them has its new
content or none has changed: each file is staged in a temporary file beside its target
(written and synced), the files being replaced are kept aside, and only then are the
staged files renamed into place; a failure at any point removes the staged files and
puts back the files already replaced. :func:`write_atomic` is the same for one file.

Every target must be inside the folder the caller names (``root``), and every name on
the way to it a plain file name (:func:`escflow._names.check_file_name`): a name from a
sheet or a database (``../victim/app``, ``/etc/x``, ``C:x``, ``nul``) is refused before
anything is written. A path that is a symbolic link is written through: its target is
replaced (atomically) and the link stays a link, when the link is the user's own (one
another user made is refused: in a shared folder, it could lead to the user's files). A
path that exists but is not a regular file (a folder, a FIFO, a device, a socket) is
refused before anything is written.

Files hold customer data (tickets, their notes, the matrix's contacts): a new file is
made readable and writable by its owner only (0600), a new folder usable by its owner
only (0700), or less when the umask says so; a file replaced keeps its mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from escflow._names import check_file_name
from escflow.errors import EscflowError, OutputError

# What to do about the usual reasons a write fails.
_HINTS = {
    errno.EACCES: "check the permissions of the file and of its folder",
    errno.EPERM: "check the permissions of the file and of its folder; in a shared folder"
    " with the sticky bit only a file's owner may replace it",
    errno.ENOSPC: "free some space on that disk and try again",
    errno.EDQUOT: "your disk quota is used up; free some space and try again",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EFBIG: "the file is too large for that file system; write elsewhere",
}


PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
"""The modes of the files and folders escflow makes (the umask may take more away)."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A reader never sees half a file, and a failure leaves no partial file behind.
    """
    write_all({path: data}, path.parent)


def write_all(files: Mapping[Path, bytes], root: Path) -> None:
    """Write every one of ``files`` (path -> content), all inside ``root``, or none of them.

    Raises :class:`~escflow.errors.OutputError` naming the file that could not be written
    and why; the files are then as they were before the call.
    """
    several = len(files) > 1
    plan = _plan(files, root, several)
    created: list[Path] = []
    try:
        for target in plan:
            _make_folder(target, created)
        for target in plan:
            target.stage()
        if several:  # one rename is atomic by itself; several need a way back
            for target in plan:
                target.keep_original()
    except BaseException as exc:  # an interruption too: leave no temporary file behind
        _discard(plan, created)
        if isinstance(exc, _Failure):
            raise OutputError(exc.message(several)) from None
        raise
    _swap(plan, created, several)
    for target in plan:
        _remove(target.backup)
    for folder in {target.real.parent for target in plan}:
        _sync_folder(folder)


def _plan(files: Mapping[Path, bytes], root: Path, several: bool) -> list[_Target]:
    """The files to write, each checked to be inside ``root``, not through a link that
    leads out, and not the same file as another of them."""
    try:
        for path in files:
            _check_inside(path, root)
        plan = [_Target(path, _real_target(path), data) for path, data in files.items()]
        for target in plan:
            _check_links(target)
    except EscflowError as exc:
        raise OutputError(f"{exc}; nothing was written" if several else str(exc)) from None
    seen: dict[Path, Path] = {}
    for target in plan:
        earlier = seen.setdefault(target.real, target.path)
        if earlier != target.path:
            raise OutputError(f"cannot write {target.path}: it is the same file as {earlier}")
    return plan


def _swap(plan: list[_Target], created: list[Path], several: bool) -> None:
    """Put each staged file in place; on a failure, put back the ones already swapped."""
    for done, target in enumerate(plan):
        try:
            if target.staged is None:
                raise OSError(errno.ENOENT, "the staged file is gone")
            target.staged.replace(target.real)
        except BaseException as exc:
            problems = _roll_back(plan[:done])
            _discard(plan, created)
            if not isinstance(exc, OSError):
                raise
            message = _Failure(target, exc).message(several and not problems)
            raise OutputError(message + problems) from None
        target.staged = None


@dataclass
class _Target:
    """One file to write: the path given, the file really written, and its states."""

    path: Path
    real: Path
    data: bytes
    staged: Path | None = None  # the new content, beside ``real``, until renamed
    backup: Path | None = None  # the old content, kept until every rename is done
    existed: bool = False

    def stage(self) -> None:
        """Write the new content to a temporary file beside the target."""
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.real.name}.", dir=self.real.parent)
        except OSError as exc:
            raise _Failure(self, exc) from None
        self.staged = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(self.data)
                out.flush()
                os.fsync(out.fileno())
            # mkstemp makes the file 0600 less the umask, as a new file should be; one
            # that replaces a file takes that file's mode.
            try:
                old = self.real.stat()
            except FileNotFoundError:
                pass
            else:
                self.existed = True
                self.staged.chmod(old.st_mode & 0o777)
                if os.geteuid() == 0:  # root keeps a replaced file's owner
                    os.chown(self.staged, old.st_uid, old.st_gid)
        except OSError as exc:
            raise _Failure(self, exc) from None

    def keep_original(self) -> None:
        """Keep the file about to be replaced, to put it back if a later rename fails."""
        if not self.existed:
            return
        try:
            self.backup = _hard_link(self.real)
            if self.backup is None:  # no hard links here: a copy will do
                handle, name = tempfile.mkstemp(
                    prefix=f".{self.real.name}.", suffix=".old", dir=self.real.parent
                )
                self.backup = Path(name)
                with os.fdopen(handle, "wb") as out, self.real.open("rb") as source:
                    shutil.copyfileobj(source, out)
                    out.flush()
                    os.fsync(out.fileno())
                shutil.copymode(self.real, self.backup)
        except OSError as exc:
            raise _Failure(self, exc, "cannot keep a copy of the current file") from None


class _Failure(Exception):
    """Why one target could not be written (turned into the user's message)."""

    def __init__(self, target: _Target, error: OSError, doing: str = "") -> None:
        super().__init__(error)
        self.target = target
        self.error = error
        self.doing = doing

    def message(self, several: bool) -> str:
        """``cannot write <file>: <reason> (<what to do>)``, and that nothing changed."""
        reason = _reason(self.error)
        if self.doing:
            reason = f"{self.doing}: {reason}"
        text = f"cannot write {_shown(self.target)}: {reason}"
        return text + ("; nothing was written" if several else "")


def _check_inside(path: Path, root: Path) -> None:
    """Refuse a path that leaves ``root`` or whose names are not plain file names, by the
    names as given: a name from a sheet or a database cannot climb out of ``root``."""
    base = os.path.normpath(Path(root).absolute())
    full = os.path.normpath(path.absolute())
    if os.path.commonpath([base, full]) != base or full == base:
        raise OutputError(f"cannot write {path}: it is not inside {root}, the folder being written")
    for name in Path(os.path.relpath(full, base)).parts:
        try:
            check_file_name(name)
        except ValueError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None


def _check_links(target: _Target) -> None:
    """Refuse a target that is a link (or a chain of links) some other user made: in a
    folder others may write to, such a link could point at one of your files for escflow
    to overwrite. Your own links are written through."""
    link = target.path
    for _ in range(40):  # the most links the system itself follows
        try:
            status = _stat(link, follow=False)
            if status is None or not stat.S_ISLNK(status.st_mode):
                return
            following = link.parent / link.readlink()
        except OSError as exc:
            raise OutputError(f"cannot write {target.path}: {_reason(exc)}") from None
        if status.st_uid != os.geteuid():
            raise OutputError(
                f"cannot write {_shown(target)}: {link} is a link made by another user"
                f" (uid {status.st_uid}); escflow writes only through your own links: remove"
                " it, or write elsewhere"
            )
        link = following


def _shown(target: _Target) -> str:
    if target.real != target.path:
        return f"{target.path} (a link to {target.real})"
    return str(target.path)


def _real_target(path: Path) -> Path:
    """The file to replace for ``path``: itself, or the file its symbolic links lead to.

    Refuses a path that exists and is not a regular file, before anything is written.
    """
    real = path
    try:
        link = _stat(path, follow=False)
        if link is not None and stat.S_ISLNK(link.st_mode):
            real = Path(os.path.realpath(path))
        status = real.stat()
    except FileNotFoundError:
        return real
    except NotADirectoryError:
        blocker = next((p for p in real.parents if _is_file(p)), real.parent)
        raise OutputError(f"cannot write {path}: {blocker} is not a folder") from None
    except OSError as exc:  # a loop of links, a folder that cannot be searched
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    if stat.S_ISREG(status.st_mode):
        return real
    what = f"{path} (a link to {real})" if real != path else str(path)
    if stat.S_ISDIR(status.st_mode):
        raise OutputError(
            f"cannot write {what}: it is a folder; move it away or write to another file"
        )
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(status.st_mode)
        else "a device"
        if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode)
        else "a socket"
        if stat.S_ISSOCK(status.st_mode)
        else "not a regular file"
    )
    raise OutputError(
        f"cannot write {what}: it is {kind}, not a regular file; escflow writes regular"
        " files only: give another file name"
    )


def check_folder(folder: Path) -> None:
    """Refuse, before any work, an output folder that cannot be created or written.

    ``folder`` may not exist yet: its nearest existing ancestor must then be a folder.
    """
    probe = folder
    try:
        while (status := _stat(probe)) is None and probe.parent != probe:
            probe = probe.parent
    except OSError as exc:
        raise OutputError(
            f"output folder {folder} is not writable: {probe}: {_reason(exc)}"
        ) from None
    if status is not None and not stat.S_ISDIR(status.st_mode):
        if probe == folder:
            raise OutputError(
                f"{folder} is not a folder; give a folder to write into (it is created if missing)"
            )
        raise OutputError(f"output folder {folder} is not writable: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable: permission denied on {probe}")


def _make_folder(target: _Target, created: list[Path]) -> None:
    """Create the target's folder (and its parents), remembering which were made."""
    missing: list[Path] = []
    probe = target.real.parent
    try:
        while (status := _stat(probe)) is None and probe.parent != probe:
            missing.append(probe)
            probe = probe.parent
    except OSError as exc:
        raise _Failure(target, exc, f"cannot look into {probe}") from None
    if status is not None and not stat.S_ISDIR(status.st_mode):
        raise _Failure(target, OSError(errno.ENOTDIR, f"{probe} is not a folder"))
    for path in reversed(missing):
        try:
            path.mkdir(PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made meanwhile by someone else: not ours to remove
        except OSError as exc:
            raise _Failure(target, exc, f"cannot create the folder {path}") from None
        created.append(path)


def _stat(path: Path, *, follow: bool = True) -> os.stat_result | None:
    """``path``'s status; None when nothing is there. Other failures are raised."""
    try:
        return path.stat(follow_symlinks=follow)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _is_file(path: Path) -> bool:
    """Whether something that is not a folder is at ``path`` (False when unknown)."""
    try:
        status = _stat(path)
    except OSError:
        return False
    return status is not None and not stat.S_ISDIR(status.st_mode)


def _reason(error: OSError) -> str:
    """The system's reason, with what to do about it when that is known."""
    reason = error.strerror or str(error)
    hint = _HINTS.get(error.errno or 0)
    return f"{reason} ({hint})" if hint else reason


def _hard_link(path: Path) -> Path | None:
    """A second name for ``path`` beside it, or None where hard links are not allowed."""
    for _ in range(100):
        link = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
        try:
            os.link(path, link)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.EACCES, errno.EMLINK, errno.ENOTSUP, errno.EXDEV):
                return None  # e.g. protected hard links: the caller copies instead
            raise
        return link
    return None


def _roll_back(replaced: list[_Target]) -> str:
    """Put back the files already replaced; what could not be put back, if anything."""
    problems: list[str] = []
    for target in reversed(replaced):
        try:
            if target.backup is not None:
                target.backup.replace(target.real)
                target.backup = None
            elif not target.existed:
                target.real.unlink()
        except OSError as exc:
            kept = f" (its previous content is in {target.backup})" if target.backup else ""
            problems.append(f"could not put back {target.path}{kept}: {exc.strerror or exc}")
            target.backup = None  # keep it: it is the only copy left
    return "; " + "; ".join(problems) if problems else ""


def _discard(plan: list[_Target], created: list[Path]) -> None:
    """Remove the staged files, the copies kept aside and the folders made."""
    for target in plan:
        _remove(target.staged)
        _remove(target.backup)
        target.staged = target.backup = None
    for folder in reversed(created):
        with contextlib.suppress(OSError):  # not empty (someone wrote there meanwhile)
            folder.rmdir()


def _remove(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):  # one that cannot be removed is only clutter
            path.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (best effort: not every system can sync a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def open_append(path: Path) -> TextIO:
    """``path`` opened to append lines of text (made private, as :func:`write_all` makes
    files, when it is new; an existing file keeps its mode). Line-buffered: each line
    written reaches the file at once. Raises OSError as ``open`` does."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    return os.fdopen(descriptor, "a", encoding="utf-8", buffering=1)


def make_private_file(path: Path) -> None:
    """Create ``path`` empty and private, unless something is there already, so that the
    program about to fill it (SQLite) keeps the mode. A failure is left to that program
    to report, in its own terms."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE))


__all__ = [
    "check_folder",
    "make_private_file",
    "open_append",
    "write_all",
    "write_atomic",
]
