"""Putting results in place whole or not at all.

A run's files are written into a staging folder beside the target (the same filesystem, so the
final moves are renames) and moved in only when every file is finished. A run that fails or is
interrupted before that leaves the previous results as they were; files of an earlier run that
this run does not produce are removed, so a folder never mixes two runs. `manifest.json` lists
the files of the run now in the folder, with its provenance. SIGINT and SIGTERM that arrive
while the files are being moved are held back until the moves are done.

Checks that the target can be written happen when a `StagedFolder` or `StagedFile` is created,
before any simulation: a wrong `--out` fails in a second, not after an hour of work.
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sim.errors import Problem, ScenarioError
from sim.results.writers import json_text

__all__ = ["MANIFEST", "StagedFile", "StagedFolder"]

MANIFEST = "manifest.json"


def _problem(field: str, target: Path, rule: str) -> ScenarioError:
    return ScenarioError([Problem(field, rule, str(target), True)])


def _missing_ancestors(folder: Path, field: str, target: Path) -> list[Path]:
    """Folders to create for `folder` to exist, deepest first; a file on the way is an error."""
    missing: list[Path] = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    if not here.is_dir():
        raise _problem(field, target, f"{here} is a file, not a folder")
    return missing


def _fresh_name(parent: Path, stem: str, create: Callable[[Path], None]) -> Path:
    """Create a new hidden entry `.stem.<random>.partial` in `parent` with `create`."""
    for _ in range(100):
        path = parent / f".{stem}.{secrets.token_hex(4)}.partial"
        try:
            create(path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name in {parent}")


def _new_file(path: Path) -> None:
    # mode 0o666 before the umask, as for any file the user writes (mkstemp would give 0o600)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the duration; then act on the first one that came.

    Python runs signal handlers between bytecodes, so an interrupt could otherwise land between
    two renames and leave a mix of old and new files. Outside the main thread (where handlers
    cannot be changed) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Any] = {
        s: signal.signal(s, lambda signum, frame: caught.append(signum))
        for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)  # e.g. raises KeyboardInterrupt
            elif handler in (signal.SIG_DFL, None):
                signal.raise_signal(caught[0])


class _Staged(abc.ABC):
    """Shared life cycle: checked and created on entry, cleaned up unless published."""

    def __init__(self, target: Path, field: str) -> None:
        self.shown = target  # as the user wrote it, for messages
        self.field = field
        self.target = target.resolve()
        self.published = False
        self._created: list[Path] = []
        self.path: Path | None = None

    def _prepare(self, create: Callable[[Path], None], inside: Path | None = None) -> None:
        """Create missing parent folders and the staging entry; a failure is a clear error.

        The entry goes beside the target; if the parent refuses it and `inside` is given (an
        existing output folder, e.g. `--out .` below a read-only parent), it goes in there.
        """
        missing = _missing_ancestors(self.target.parent, self.field, self.shown)
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._created.append(folder)
            try:
                self.path = _fresh_name(self.target.parent, self.target.name, create)
            except PermissionError:
                if inside is None:
                    raise
                self.path = _fresh_name(inside, "fansim", create)
        except OSError as exc:
            self._remove_created()
            raise _problem(
                self.field, self.shown, f"cannot write in {self.target.parent}: {exc.strerror}"
            ) from None

    def _remove_created(self) -> None:
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self._created.clear()

    @abc.abstractmethod
    def _discard(self) -> None:
        """Remove what was staged."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.published:
            if exc is not None:
                exc.add_note(f"the new outputs in {self.shown} are complete")
            return
        self._discard()
        self._remove_created()
        if exc is not None:
            exc.add_note(f"previous outputs in {self.shown} left as they were")


class StagedFile(_Staged):
    """One output file (a profile, a table) written beside its target and renamed over it."""

    def __init__(self, target: Path, field: str = "out") -> None:
        super().__init__(target, field)
        if self.target.is_dir():
            raise _problem(field, target, "is a folder; give a file name")
        self._prepare(_new_file)

    def publish(self, text: str) -> Path:
        """Write `text` and replace the target with it in one rename."""
        assert self.path is not None
        self.path.write_text(text, encoding="utf-8")
        with _signals_deferred():
            os.replace(self.path, self.target)
            self.published = True
        return self.shown

    def _discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _previous_files(folder: Path) -> set[str]:
    """Plain file names listed by the folder's manifest (nothing if there is none or it is odd)."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    if not isinstance(listed, list):
        return set()
    return {n for n in listed if isinstance(n, str) and n and Path(n).name == n and n[0] != "."}


class StagedFolder(_Staged):
    """A run's output folder: files staged beside it and moved in together by `publish`.

    Use as a context manager around the whole run, so that the staging folder is removed
    whatever ends the run (an error, Ctrl-C, SIGTERM turned into an exception).
    """

    def __init__(self, target: Path, field: str = "out") -> None:
        super().__init__(target, field)
        if self.target.exists():
            if not self.target.is_dir():
                raise _problem(field, target, "is a file, not a folder")
            if not os.access(self.target, os.W_OK | os.X_OK):
                raise _problem(field, target, "the folder is not writable")
        self._prepare(lambda p: p.mkdir(0o777), self.target if self.target.is_dir() else None)

    def publish(
        self, files: Mapping[str, str], provenance: Mapping[str, Any], known: Iterable[str] = ()
    ) -> list[Path]:
        """Write `files` (name -> text) and a manifest, then move them into the target.

        Files of the previous run that this run does not produce are removed: those its manifest
        lists, and the names in `known` (outputs of versions that wrote no manifest). Other
        files in the folder are left alone.
        """
        assert self.path is not None
        names = sorted(files)
        for name in names:
            (self.path / name).write_text(files[name], encoding="utf-8")
        manifest = {**provenance, "files": names}
        (self.path / MANIFEST).write_text(json_text(manifest), encoding="utf-8")
        with _signals_deferred():
            if not self.target.exists():
                self.path.rename(self.target)  # one rename publishes the whole folder
            else:
                stale = (_previous_files(self.target) | set(known)) - set(names)
                for name in names:
                    os.replace(self.path / name, self.target / name)
                os.replace(self.path / MANIFEST, self.target / MANIFEST)
                for name in sorted(stale):
                    (self.target / name).unlink(missing_ok=True)
                self.path.rmdir()
            self.published = True
        return [self.shown / n for n in names]

    def _discard(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
