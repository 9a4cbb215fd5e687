"""Executors run the cells of a grid: in-process, in a process pool, or on Ray.

Every executor calls the worker it is given (the runner's ``run_cell_in(run_dir, cell)``,
which rebuilds the run from the run folder's saved config), so a worker needs only the folder
(on a cluster: a shared filesystem) and the installed package. Results come back as metrics
tables; all artifacts are written by the worker, atomically, as in a local run.

On Ray each cell is a task that asks for ``resources.cpus_per_cell`` CPUs and
``resources.gpus_per_cell`` GPUs (Ray places it and sets ``CUDA_VISIBLE_DEVICES``); asks the
cluster cannot meet, and a run folder that some node does not see (a remote ``--address``),
are one-line errors before any cell starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from biasinherit.cells import Cell
from biasinherit.errors import BiasInheritError
from biasinherit.registry import Registry

EXECUTORS: Registry[Callable] = Registry("executor")

Done = tuple[dict | None, pd.DataFrame, dict]  # (cell or None for untuned, metrics, timings)
# What a worker process runs: (run folder, cell as a dict or None, torch threads) -> Done.
Worker = Callable[[str, dict | None, int | None], Done]


@EXECUTORS.register("local")
def local(run, cells: list[dict | None], prog=None, **_) -> Iterator[Done]:
    """In this process, one cell after another, with live progress bars."""
    for cell in cells:
        yield cell, (run.run_cell(Cell(**cell), prog) if cell else run.untuned(prog)), {}


@EXECUTORS.register("process")
def process(
    run, cells: list[dict | None], worker: Worker, workers: int | None = None, **_
) -> Iterator[Done]:
    """A pool of worker processes sized to the cores; torch threads split between them."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or max(1, min(len(cells), os.cpu_count() or 1))
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = mp.get_context("spawn")  # torch and fork do not mix
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(worker, str(run.dir), c, threads) for c in cells]
        for f in as_completed(futures):
            yield f.result()


_RAY_STARTED = False  # this process started Ray (and shuts it down when the cells are done)


def _connect_ray(address: str | None):
    """Ray, initialised once in this process (a local instance, or the cluster at address)."""
    global _RAY_STARTED
    try:
        import ray
    except ImportError:
        raise BiasInheritError(
            "the ray executor needs Ray", "pip install 'biasinherit[ray]' (or ray)"
        ) from None
    if not ray.is_initialized():
        try:
            ray.init(  # "local": a new instance even where a `ray start` cluster runs
                address=address or "local",
                num_cpus=None if address else (os.cpu_count() or 1),
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1"}},
            )
        except (ConnectionError, RuntimeError) as e:
            raise BiasInheritError(
                f"cannot reach the Ray cluster at {address}: {e}",
                "start it with `ray start --head` or drop --address",
            ) from None
        _RAY_STARTED = True
    return ray


def ray_preflight(run, n_cells: int) -> None:
    """Before any work: the cluster can place a cell, and (remote) sees the run folder."""
    ray = _connect_ray(run.cfg.ray_address)
    try:
        _cell_resources(ray, run.cfg, n_cells, run.cfg.workers)
        if run.cfg.ray_address:
            check_shared_storage(ray, run.dir, run.cfg.model)
    except BaseException:
        _shutdown_ray(ray)
        raise


def _shutdown_ray(ray) -> None:
    global _RAY_STARTED
    if _RAY_STARTED:
        ray.shutdown()
        _RAY_STARTED = False


@EXECUTORS.register("ray")
def ray_executor(
    run,
    cells: list[dict | None],
    worker: Worker,
    address: str | None = None,
    workers: int | None = None,
    **_,
) -> Iterator[Done]:
    """Cells as Ray tasks on a local instance or the cluster at ``address``, each asking for
    its ``resources`` (CPUs, GPUs)."""
    ray = _connect_ray(address)
    try:
        cpus, gpus = _cell_resources(ray, run.cfg, len(cells), workers)
        remote = ray.remote(num_cpus=cpus, num_gpus=gpus)(worker)
        pending = [remote.remote(str(run.dir.resolve()), c, max(1, int(cpus))) for c in cells]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        _shutdown_ray(ray)


def _cell_resources(ray, cfg, n_cells: int, workers: int | None) -> tuple[float, float]:
    """(CPUs, GPUs) each cell's task asks for; refused at once where the cluster has too few
    (Ray would otherwise wait for them forever)."""
    total = ray.cluster_resources()
    have_cpu, have_gpu = total.get("CPU", 0.0), total.get("GPU", 0.0)
    res = cfg.resources
    gpus = float(res.gpus_per_cell)
    if cfg.device.startswith("cuda") and gpus == 0:
        raise BiasInheritError(
            f"device {cfg.device} with the ray executor needs resources.gpus_per_cell >= 1",
            "Ray hides GPUs from tasks that do not ask for one: --set resources.gpus_per_cell=1",
        )
    if gpus > have_gpu:
        raise BiasInheritError(
            f"each cell asks for {gpus:g} GPU(s) (resources.gpus_per_cell) but the Ray cluster "
            f"has {have_gpu:g}",
            "start Ray on GPU nodes (ray start --num-gpus N) or lower resources.gpus_per_cell",
        )
    if res.cpus_per_cell is not None:
        cpus = float(res.cpus_per_cell)
        if cpus > have_cpu:
            raise BiasInheritError(
                f"each cell asks for {cpus:g} CPUs (resources.cpus_per_cell) but the Ray "
                f"cluster has {have_cpu:g}",
                "lower resources.cpus_per_cell or add nodes",
            )
        return cpus, gpus
    avail = int(ray.available_resources().get("CPU", 1))
    return float(max(1, avail // max(1, min(workers or avail, n_cells)))), gpus


def _probe_paths(paths: list[str], token: str) -> tuple[str, list[str]]:
    """Runs on a Ray node: its name, and which of ``paths`` it cannot see (the first, a
    marker file, must hold ``token``)."""
    import socket

    import ray

    node = f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:8]}"
    missing = []
    marker, rest = Path(paths[0]), paths[1:]
    if not marker.exists() or marker.read_text() != token:
        missing.append(str(marker.parent))
    missing += [p for p in rest if not Path(p).exists()]
    return node, missing


def check_shared_storage(ray, run_dir: Path, model: str) -> None:
    """Every live Ray node sees the run folder (a marker written here, read there) and a
    local model folder, or one line saying which node does not."""
    import secrets

    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from biasinherit.files import atomic_write_text

    token = secrets.token_hex(8)
    marker = Path(run_dir).resolve() / ".shared-storage-check"
    atomic_write_text(marker, token)
    paths = [str(marker)] + ([str(Path(model).resolve())] if Path(model).exists() else [])
    probe = ray.remote(num_cpus=0)(_probe_paths)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    refs = [
        probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
        ).remote(paths, token)
        for n in nodes
    ]
    try:
        answers = ray.get(refs, timeout=120)
    except Exception as e:  # noqa: BLE001 - a node that cannot run our code at all
        raise BiasInheritError(
            f"a Ray node could not run biasinherit's storage check ({type(e).__name__})",
            "install the same biasinherit on every node (pip install biasinherit[ray])",
        ) from None
    finally:
        marker.unlink(missing_ok=True)
    blind = [(host, miss) for host, miss in answers if miss]
    if blind:
        host, miss = blind[0]
        raise BiasInheritError(
            f"Ray node {host} does not see {miss[0]} ({len(blind)} of {len(nodes)} nodes); "
            "the cells read and write the run folder there",
            "put the run folder (and a local model folder) on storage every node mounts at "
            "the same path (NFS or a cluster filesystem), and pass that path with -o",
        )
