"""Ctrl-C and SIGTERM: a one-line message and the shell's exit codes, never a traceback.

SIGINT already arrives as `KeyboardInterrupt`; `sigterm_raises` turns SIGTERM into `Terminated`
for the duration of a command, so both unwind through the same `with` blocks (which remove
staged outputs) before `main` reports them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "exit_code", "interrupted_message", "outputs_in_place", "sigterm_raises"]


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so that `except Exception` never swallows it."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises `Terminated`; the previous handler comes back after.

    Only the main thread may set handlers; elsewhere (e.g. `main` called from a test thread)
    the block runs with the handler it already has.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextlib.contextmanager
def outputs_in_place(note: str) -> Iterator[None]:
    """A signal within the block ends the command with `note` (what is on disk) in its line.

    For the work after a command's outputs are published (printing, drawing the report): the
    outputs are complete, and the one line says so rather than leave the user guessing.
    """
    try:
        yield
    except (KeyboardInterrupt, Terminated) as exc:
        exc.add_note(note)
        raise


def exit_code(exc: KeyboardInterrupt | Terminated) -> int:
    """128 + the signal number, as a shell reports a process ended by that signal."""
    return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


def interrupted_message(exc: KeyboardInterrupt | Terminated) -> str:
    """One line: what ended the command and, when known, what became of its outputs."""
    what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
    notes = getattr(exc, "__notes__", [])
    return "; ".join([f"fansim: {what}", *notes])
