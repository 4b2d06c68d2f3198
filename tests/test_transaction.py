"""transaction.py on its own: the paths a killed build (test_build.py) does not reach."""

import json
import threading
import time

import pytest

from patch_templates import transaction


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs in the process."""


def test_a_kill_while_undoing_a_failed_write_is_undone_by_recover(tmp_path, monkeypatch):
    files = {name: tmp_path / name for name in ("a.yml", "b.yml", "c.yml", "gone.yml")}
    for name, path in files.items():
        path.write_text(f"old {name}\n")
    files["c.yml"].unlink()
    files["c.yml"].mkdir()  # a directory where c.yml goes: its replacement fails after a and b
    journal = tmp_path / ".journal.json"

    def replace(source, target):
        if str(source).endswith(".old") and target == files["b.yml"]:  # undoing: gone and a are back
            raise Killed
        return real_replace(source, target)

    real_replace = transaction.os.replace
    monkeypatch.setattr(transaction.os, "replace", replace)
    changes = {files["gone.yml"]: None, files["a.yml"]: "new a\n", files["b.yml"]: "new b\n", files["c.yml"]: "new c\n"}
    with pytest.raises(Killed):
        transaction.replace_files(changes, journal)
    assert json.loads(journal.read_text())["state"] == transaction.UNDOING
    assert files["a.yml"].read_text() == "old a.yml\n" and files["b.yml"].read_text() == "new b\n"
    assert files["gone.yml"].read_text() == "old gone.yml\n"

    monkeypatch.setattr(transaction.os, "replace", real_replace)
    transaction.recover(journal)
    assert {path.name: path.read_text() for path in tmp_path.iterdir() if path.is_file()} == {
        "a.yml": "old a.yml\n",
        "b.yml": "old b.yml\n",
        "gone.yml": "old gone.yml\n",
    }
    assert files["c.yml"].is_dir() and sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


def test_two_builds_into_one_directory_take_turns(tmp_path):
    entered = []

    def second():
        with transaction.locked(tmp_path):
            entered.append(time.monotonic())

    with transaction.locked(tmp_path):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.2)
        assert entered == []
        released = time.monotonic()
    waiting.join(5)
    assert len(entered) == 1 and entered[0] >= released
