"""Files the grader writes and removes: atomically, and without recursion.

`write_atomically` replaces a file so that a reader sees the old text or the
new, never half of it. `remove_tree` deletes a folder with a loop and a stack:
``shutil.rmtree`` recurses once per level, so a tree thousands of folders deep
raises RecursionError, and a folder a kernel made unreadable stops it too.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (mkstemp's are 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_tree(path: str | os.PathLike) -> None:
    """Delete ``path`` and everything under it, however deep; never raises.

    Links are removed, never followed; a folder without permissions gets them back first.
    """
    top = os.fspath(path)
    stack = [(top, False)]
    while stack:
        folder, emptied = stack.pop()
        if emptied:
            _quietly(os.rmdir, folder)
            continue
        try:
            info = os.lstat(folder)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            _quietly(os.unlink, folder)
            continue
        if stat.S_IMODE(info.st_mode) & 0o700 != 0o700:
            _quietly(os.chmod, folder, 0o700)
        stack.append((folder, True))
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, False))
                    else:
                        _quietly(os.unlink, entry.path)
        except OSError:
            pass


def _quietly(function, *args) -> None:
    try:
        function(*args)
    except OSError:
        pass
