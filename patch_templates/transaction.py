"""Replace a set of files all or nothing: a reader sees each file whole, old or new, and a failure or a
kill at any point leaves the set all old or, once recover() has run, all new.

Each new text is first written to a hidden copy beside its file (same directory, so os.replace is
atomic: "the renaming will be an atomic operation", os.replace in Python's documentation), and each
file to be replaced or removed keeps a hard link as its old copy until the end. A journal, itself
replaced whole, says how far the set got:

- prepared: copies are being made, no file is touched yet; recover() undoes (removes the copies);
- committed: every copy is made and files are being replaced; recover() finishes the replacing;
- undoing: a replacement failed and the old copies are being put back; recover() goes on undoing.

A failure (an OSError, Ctrl-C) undoes in the same process and raises an OSError that names the
file; only a kill (or a failure while undoing) leaves the journal for recover(). Durable against a
killed process, not a power cut: nothing is fsync'ed.
"""

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PREPARED, COMMITTED, UNDOING = "prepared", "committed", "undoing"


class Entry(NamedTuple):
    target: Path
    new: Path | None  # the new text's copy; None: the file is removed
    old: Path | None  # a hard link to the file as it was; None: there was no file


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the directory, so that two builds into it take turns; the system
    releases it when the process ends, however it ends."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def replace_files(changes: dict[Path, str | None], journal: Path) -> None:
    """Give each path its text (None: remove the file), all or nothing."""
    if not changes:
        return
    token = secrets.token_hex(4)
    entries = [
        Entry(
            path,
            None if text is None else path.with_name(f".{path.name}.{token}.new"),
            path.with_name(f".{path.name}.{token}.old") if path.is_file() else None,
        )
        for path, text in changes.items()
    ]
    write_journal(journal, PREPARED, entries)
    try:
        for entry, text in zip(entries, changes.values(), strict=True):
            with naming(entry.target):
                if entry.new:
                    entry.new.parent.mkdir(parents=True, exist_ok=True)
                    with open(entry.new, "x", encoding="utf-8") as copy:
                        copy.write(text)
                if entry.old:
                    os.link(entry.target, entry.old)
    except BaseException:
        undo(entries)
        journal.unlink()
        raise
    commit(journal, entries)


def recover(journal: Path) -> None:
    """Finish or undo the replacement a killed process left in this journal (nothing when there is none)."""
    with contextlib.suppress(FileNotFoundError):
        journal.with_name(journal.name + ".partial").unlink()
    try:
        recorded = json.loads(journal.read_text())
    except FileNotFoundError:
        return
    entries = [
        Entry(*(None if path is None else journal.parent / path for path in entry)) for entry in recorded["files"]
    ]
    if recorded["state"] == COMMITTED:
        commit(journal, entries)
    else:
        undo(entries)
        journal.unlink()


def commit(journal: Path, entries: list[Entry]) -> None:
    """Replace every file by its copy; on a failure put every old file back."""
    write_journal(journal, COMMITTED, entries)
    try:
        for entry in entries:
            with naming(entry.target):
                if entry.new is None:
                    entry.target.unlink(missing_ok=True)
                elif entry.new.exists():  # else it replaced its file before a kill
                    os.replace(entry.new, entry.target)
    except BaseException:
        write_journal(journal, UNDOING, entries)
        undo(entries)
        journal.unlink()
        raise
    remove_copies(entries)
    journal.unlink()


def undo(entries: list[Entry]) -> None:
    """Put every old file back and remove the files that are new. Repeatable: after a kill it does
    what is left."""
    for entry in entries:
        with naming(entry.target):
            if entry.old and entry.old.exists():
                os.replace(entry.old, entry.target)  # a no-op while both names are one file
            elif entry.old is None and entry.target.is_file():
                entry.target.unlink()
    remove_copies(entries)


def remove_copies(entries: list[Entry]) -> None:
    for entry in entries:
        for copy in (entry.new, entry.old):
            if copy:
                with naming(entry.target):
                    copy.unlink(missing_ok=True)


def write_journal(journal: Path, state: str, entries: list[Entry]) -> None:
    """The journal, written whole (paths relative to it, so a moved checkout still recovers)."""
    files = [[None if path is None else os.path.relpath(path, journal.parent) for path in entry] for entry in entries]
    partial = journal.with_name(journal.name + ".partial")
    with naming(journal):
        journal.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({"state": state, "files": files}, indent=1), encoding="utf-8")
        os.replace(partial, journal)


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Raise an OSError with the file it is about, not the hidden copy it happened on."""
    try:
        yield
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from error
