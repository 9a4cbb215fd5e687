"""Cells on a Ray cluster, for real: resources per cell and the shared-storage check.

A cluster of our own is started with ``ray start`` (its own temp dir, so no other Ray user
on the machine connects to it); a second node started in a private mount namespace does
not see the test's folder, as a node without the shared filesystem would not.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from biasinherit.config import load_config
from biasinherit.errors import BiasInheritError
from tests.conftest import ROOT, run_cli

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
RAY = [str(Path(sys.executable).with_name("ray"))]
# Ray >= 2.5x turns token authentication on for `ray start`; a private loopback cluster of
# the test's own opts out (nodes, the in-process driver and the CLI's driver alike).
os.environ["RAY_AUTH_MODE"] = "disabled"
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "HF_HUB_OFFLINE": "1",
       "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    d = tempfile.mkdtemp()
    ok = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "none", d]).returncode == 0
    os.rmdir(d)
    return ok


def _start(args: list[str], *, hide: Path | None = None) -> subprocess.Popen:
    """``ray start ... --block`` as our own child: stopping it (by its pid) stops the node
    and what it started, and no other Ray on the machine."""
    cmd = [*RAY, "start", *args, "--block", "--node-ip-address=127.0.0.1"]
    if hide is not None:  # a node whose view of `hide` is an empty tmpfs (no shared storage)
        cmd = ["unshare", "-m", "sh", "-c", f"mount -t tmpfs none {hide} && exec {shlex.join(cmd)}"]
    return subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_nodes(address: str, n: int, procs: list, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert all(p.poll() is None for p in procs), "a Ray node exited"
        assert time.monotonic() < deadline, f"fewer than {n} Ray nodes after {timeout} s"
        try:
            ray.init(address=address, log_to_driver=False)
            alive = len([x for x in ray.nodes() if x["Alive"]])
            ray.shutdown()
            if alive >= n:
                return
        except (ConnectionError, RuntimeError):
            pass
        time.sleep(2)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster on loopback (2 CPUs, no GPU), with a temp dir of its own."""
    temp = tempfile.mkdtemp(prefix="bi-ray-")
    address = f"127.0.0.1:{_port()}"
    head = _start(["--head", f"--port={address.split(':')[1]}", "--num-cpus=2",
                   "--include-dashboard=false", f"--temp-dir={temp}"])  # fmt: skip
    try:
        _wait_nodes(address, 1, [head])
        yield {"address": address, "temp": temp}
    finally:
        _stop(head)
        shutil.rmtree(temp, ignore_errors=True)


def test_cells_ask_for_what_the_cluster_has(cluster, tmp_path):
    from biasinherit.executors import _cell_resources

    ray.init(address=cluster["address"], log_to_driver=False)
    try:
        cfg = load_config(preset="smoke", overrides=["resources.cpus_per_cell=1"])
        assert _cell_resources(ray, cfg, 3, None) == (1.0, 0.0)
        cfg = load_config(preset="smoke")
        assert _cell_resources(ray, cfg, 2, None) == (1.0, 0.0)  # 2 CPUs over 2 cells
        for sets, match in (
            (["resources.gpus_per_cell=1"], "has 0"),
            (["resources.cpus_per_cell=8"], "has 2"),
            (["device=cuda"], "gpus_per_cell >= 1"),
        ):
            with pytest.raises(BiasInheritError, match=match):
                _cell_resources(ray, load_config(preset="smoke", overrides=sets), 2, None)
    finally:
        ray.shutdown()


def test_a_gpu_cell_on_a_cpu_cluster_is_refused_before_any_work(cluster, tmp_path):
    out = tmp_path / "run"
    res = run_cli("run", "--preset", "smoke", "--executor", "ray", "--address",
                  cluster["address"], "--set", "resources.gpus_per_cell=1", "-o", str(out),
                  env={"PYTHONPATH": ENV["PYTHONPATH"]})  # fmt: skip
    lines = [ln for ln in res.stderr.splitlines() if ln.strip().startswith("error:")]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-2000:]
    assert "asks for 1 GPU(s)" in lines[0] and "has 0" in lines[0]
    assert not (out / "augmented.jsonl").exists()  # nothing generated


def test_shared_storage_check_sees_a_node_without_the_folder(cluster, tmp_path):
    from biasinherit.executors import check_shared_storage

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    ray.init(address=cluster["address"], log_to_driver=False)
    try:
        check_shared_storage(ray, run_dir, "smollm2-135m-instruct")  # one node: sees it
        assert not (run_dir / ".shared-storage-check").exists()
    finally:
        ray.shutdown()
    if not _can_unshare():
        pytest.skip("needs unshare -m (mount namespaces) for a node without the folder")
    blind = _start([f"--address={cluster['address']}", "--num-cpus=1"], hide=tmp_path)
    try:
        _wait_nodes(cluster["address"], 2, [blind])
        ray.init(address=cluster["address"], log_to_driver=False)
        try:
            with pytest.raises(BiasInheritError, match=r"does not see .*\(1 of 2 nodes\)") as e:
                check_shared_storage(ray, run_dir, "smollm2-135m-instruct")
            assert "storage every node mounts" in e.value.hint
        finally:
            ray.shutdown()
    finally:
        _stop(blind)
