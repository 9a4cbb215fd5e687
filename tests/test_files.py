import pytest

from biasinherit.errors import BiasInheritError
from biasinherit.files import append_jsonl, atomic_write_text, read_jsonl, write_jsonl


def test_roundtrip(tmp_path):
    rows = [{"a": 1, "t": "ünïcode"}, {"a": 2}]
    write_jsonl(tmp_path / "x.jsonl", rows)
    assert read_jsonl(tmp_path / "x.jsonl") == rows


def test_malformed_line_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"a": 1}\n{"a": \n{"a": 3}\n')
    with pytest.raises(BiasInheritError, match=r"bad.jsonl line 2"):
        read_jsonl(p)
    p.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(BiasInheritError, match="expected an object"):
        read_jsonl(p)


def test_torn_tail_from_a_killed_append_is_skipped_only_when_asked(tmp_path):
    p = tmp_path / "raw.jsonl"
    append_jsonl(p, [{"a": 1}])
    with p.open("a") as f:
        f.write('{"a": 2, "b"')  # a kill in the middle of a write
    assert read_jsonl(p, tolerate_torn_tail=True) == [{"a": 1}]
    with pytest.raises(BiasInheritError):
        read_jsonl(p)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_text(tmp_path / "f.txt", "x")
    assert [q.name for q in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("fail", ["fsync", "replace", "write"])
def test_a_failed_atomic_write_leaves_the_previous_file_intact(tmp_path, monkeypatch, fail):
    """Disk full in the middle of a write: the old file stays whole, no temp file is left,
    and the error is one line naming the file (a write in place would truncate it)."""
    import errno
    import os

    from biasinherit.files import atomic_write_json

    path = tmp_path / "status.json"
    atomic_write_json(path, {"cell": "done"})
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if fail == "write":  # the data itself does not fit: fail inside the file object's write
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:3])  # a partial write reaches the disk, then ENOSPC
                self.f.flush()
                full()

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(os, fail, full)
    with pytest.raises(BiasInheritError) as e:
        atomic_write_json(path, {"cell": "running", "more": "x" * 10_000})
    monkeypatch.undo()
    assert e.value.message == f"cannot write {path}: No space left on device"
    assert "free disk space" in e.value.hint
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]


def test_an_append_that_fails_keeps_the_rows_before_it(tmp_path, monkeypatch):
    import errno
    import os

    path = tmp_path / "cache.jsonl"
    append_jsonl(path, [{"a": 1}])
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "x")))
    with pytest.raises(BiasInheritError, match="cannot write"):
        append_jsonl(path, [{"a": 2}])
    monkeypatch.undo()
    assert read_jsonl(path, tolerate_torn_tail=True)[0] == {"a": 1}


def test_a_write_into_a_read_only_folder_is_one_line(tmp_path):
    import os

    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: a folder the kernel refuses
        target = __import__("pathlib").Path("/sys/fs")
    else:
        target.chmod(0o555)
    with pytest.raises(BiasInheritError, match=r"cannot write .*: Permission denied"):
        atomic_write_text(target / "report.md", "x")
    assert not (target / "report.md").exists()


def test_iter_jsonl_splits_lines_only_on_newlines(tmp_path):
    rows = [{"t": "a\u2028b\x1cc\x0bd"}, {"t": "e"}]  # separators str.splitlines would cut at
    write_jsonl(tmp_path / "x.jsonl", rows)
    assert read_jsonl(tmp_path / "x.jsonl") == rows


def test_a_cli_write_that_hits_a_full_disk_is_one_line_exit_2(tmp_path):
    """The real CLI (`init`) with every fsync failing: one line, exit 2, nothing left."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import errno, os, sys\n"
        "def full(fd):\n    raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "os.fsync = full\n"
        "from biasinherit.cli import main\nsys.argv = ['biasinherit', *sys.argv[1:]]\nmain()\n"
    )
    target = tmp_path / "exp.yaml"
    res = subprocess.run([sys.executable, "-c", code, "init", str(target)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.strip() == (
        f"error: cannot write {target}: No space left on device (hint: free disk space, then "
        "rerun the same command (finished work is kept))"
    )
    assert list(tmp_path.iterdir()) == []
