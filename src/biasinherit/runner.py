"""The run: generate -> mix -> train -> evaluate -> report over a grid of cells, cached.

A cell is (bias_type, ratio, mitigation, seed). Its key is a content hash of everything it
depends on, stored beside its artifacts; a finished cell with the same key is never
recomputed, so a killed run resumes where it stopped. The gamma = 0 cell is shared by every
bias type and mitigation. All writes are atomic.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from biasinherit.config import ExperimentConfig, dump_config
from biasinherit.errors import BiasInheritError
from biasinherit.files import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    content_hash,
    file_hash,
    read_json,
    read_jsonl,
    write_jsonl,
)
from biasinherit.layout import Cell, grid, round_cells  # noqa: F401  (Cell, grid: re-exported)

EVAL_SEED = 0  # test items are the same in every cell, so cells compare paired


def _headline(run_dir: Path, cell: Cell | None, tasks: list[str]) -> str:
    """One line of results for the progress log: the lead task's first performance and bias
    measures in this run (accuracy and the stereotype gap for occupation)."""
    from biasinherit.evaluate import get_task
    from biasinherit.layout import RunLayout

    for task in tasks:
        path = RunLayout(run_dir).items(cell, task)
        ms = get_task(task).measures
        if not ms or not path.exists():
            continue
        per_item = pd.read_parquet(path)
        parts = []
        for role in ("performance", "bias"):
            m = next((x for x in ms if x.role == role), None)
            if m is not None:
                unit = (" %" if role == "performance" else " pts") if m.percent else ""
                parts.append(f"{m.name} {m.fmt(m.value(per_item), signed=role == 'bias')}{unit}")
        return ", ".join(parts)
    return "done"


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("biasinherit", "torch", "transformers", "peft", "numpy", "pandas"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


class Run:
    """A run folder and the stages that fill it."""

    def __init__(
        self,
        cfg: ExperimentConfig,
        run_dir: str | Path,
        *,
        console=None,
        n_augmented: int | None = None,
    ) -> None:
        """``n_augmented`` fixes the kept rows per bias type (``generate --n``); by default
        the most that any γ of the grid needs."""
        from rich.console import Console

        self.cfg = cfg
        self.n_augmented = n_augmented
        self.dir = Path(run_dir)
        self.console = console or Console(stderr=True)
        self.timer = Timer()
        self._precision = None

    @property
    def precision(self):
        """Device and dtype of every stage of this run, decided once (``biasinherit.device``)
        and made the process default, so that every model this run loads uses it."""
        if self._precision is None:
            from biasinherit.device import resolve_precision
            from biasinherit.models import model_identity

            c = self.cfg
            self._precision = resolve_precision(c.device, c.dtype, model_identity(c.model))
        from biasinherit.device import use_precision

        return use_precision(self._precision)

    def check_memory(self, stages=None) -> list:
        """The preflight: refuse at once, in one line, a run whose stages cannot fit."""
        from biasinherit.preflight import STAGES, check_run

        return check_run(self.cfg, self.precision, stages or STAGES)

    # ----------------------------------------------------------------- bookkeeping
    def write_config(self) -> None:
        from biasinherit.rundir import prepare_run_dir

        prepare_run_dir(self.dir)
        atomic_write_text(self.dir / "config.yaml", dump_config(self.cfg))
        atomic_write_json(self.dir / "versions.json", _versions())
        from biasinherit.device import precision_record

        atomic_write_json(self.dir / "precision.json", precision_record(self.precision))

    def lock(self) -> None:
        """Take the run folder for this process: create it (or refuse a file, a folder that
        cannot be written) and lock it, so a second process fails with one line."""
        from biasinherit.rundir import RunLock, prepare_run_dir

        prepare_run_dir(self.dir)
        if getattr(self, "_lock", None) is None:
            self._lock = RunLock(self.dir).acquire()

    def _progress(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=self.console,
        )

    def preflight(self) -> None:
        """Build every task's items once (cheap) so missing data fails before any work."""
        from biasinherit.evaluate import get_task

        self.train_task()
        for name in self.cfg.evaluate.tasks:
            get_task(name).items(n_per_group=1, seed=EVAL_SEED)

    def data_task(self):
        """What the original and augmented data are labelled for (the attribute's task)."""
        from biasinherit.bias import get_attribute

        return get_attribute(self.cfg.attribute).task(self.cfg.augment.task)

    def train_task(self):
        """The evaluation task whose prompt format fine-tuning uses (occupation, sentiment...)."""
        from biasinherit.evaluate import get_task

        spec = self.data_task()
        task = get_task(spec.eval_task) if spec.eval_task else None
        if task is None or not hasattr(task, "sft_example"):
            raise BiasInheritError(
                f"no evaluation task trains on {self.cfg.attribute}/{spec.name} data yet",
                "use augment.task occupation (gender), rt_polarity or dreaddit (culture)",
            )
        return task

    def _status(self, cell: str, state: str, error: str | None = None) -> None:
        """Record a cell's state in status.json (read by `biasinherit status`)."""
        from biasinherit.rundir import read_status

        path = self.dir / "status.json"
        status = read_status(self.dir)
        status[cell] = {"state": state, "pid": os.getpid(), "time": time.time(), "error": error}
        atomic_write_json(path, status)

    # ----------------------------------------------------------------- stages
    def _original_key(self) -> str:
        """What original.jsonl depends on: the ``original`` settings and the user files."""
        o = self.cfg.original
        files = [file_hash(p) for p in (o.source, o.test_source) if p and Path(p).is_file()]
        return content_hash(o.model_dump(), self.cfg.attribute, self.cfg.augment.task, files)

    def original(self) -> list[dict]:
        if getattr(self, "_original_rows", None) is not None:
            return self._original_rows
        path, key_path = self.dir / "original.jsonl", self.dir / "original.key"
        key = self._original_key()
        if path.exists() and (not key_path.exists() or key_path.read_text() == key):
            # A folder from before original.key keeps its data (templates are deterministic).
            self._original_rows = read_jsonl(path)
            if not key_path.exists():
                atomic_write_text(key_path, key)
            return self._original_rows
        rows = self._build_original()
        if path.exists() and read_jsonl(path) != rows:
            shutil.rmtree(self.dir / "mixes", ignore_errors=True)  # derived from the old data
        write_jsonl(path, rows)
        atomic_write_text(key_path, key)
        self._original_rows = rows
        return rows

    def test_items(self) -> list[dict] | None:
        """Held-out user test items (counterfactual pairs for gender), or None for the
        built-in template items; written to RUN/test_items.jsonl by :meth:`original`."""
        path = self.dir / "test_items.jsonl"
        if self.cfg.original.source == "templates" or not path.exists():
            return None
        return read_jsonl(path)

    def _build_original(self) -> list[dict]:
        from biasinherit.data import template_bios

        src = self.cfg.original.source
        spec = self.data_task()
        if src == "templates" and spec.kind == "classification":  # culture: real labelled data
            from biasinherit.data.classification import load_classification

            rows = load_classification(
                spec.dataset, split="train", n_per_label=self.cfg.original.per_group, seed=0
            )
            for r in rows:
                r.update(attribute=self.cfg.attribute, group=None, bias_type="none")
        elif src == "templates":
            rows = template_bios(
                per_group=self.cfg.original.per_group,
                split="train",
                seed=0,
                attribute=self.cfg.attribute,
            )
        else:
            rows = self._user_original()
        return rows

    def _user_original(self) -> list[dict]:
        """Train rows of the user's file; the test split becomes RUN/test_items.jsonl."""
        from biasinherit.data import load_user_data, user_test_items

        data = load_user_data(
            self.cfg.original, attribute=self.cfg.attribute, task=self.cfg.augment.task
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        write_jsonl(self.dir / "user_test.jsonl", data.test)
        write_jsonl(self.dir / "test_items.jsonl", user_test_items(data.test, self.cfg.attribute))
        atomic_write_json(self.dir / "data_report.json", {**data.report, "notes": data.notes})
        for note in data.notes:
            self.console.print(f"[yellow]note:[/yellow] {note}", highlight=False, markup=False)
        self.console.print(
            f"user data: {data.report['n_train']} train rows, {data.report['n_test']} test "
            f"rows ({data.report['split']})",
            highlight=False,
        )
        return data.train

    def generate(
        self,
        out_dir: Path | None = None,
        *,
        bias_types: list[str] | None = None,
        adapter: Path | None = None,
        check: bool = True,
    ) -> dict:
        """Generate augmentation into ``out_dir`` (default the run folder); with ``adapter``,
        the tuned model of a previous round writes it (self-augmentation). ``check`` stops
        on unusable generations (:meth:`check_generation`)."""
        from dataclasses import replace

        from biasinherit.generate import generate_augmentation, generate_spec

        precision = self.precision  # the generator loads in the run's device and dtype
        out_dir = out_dir or self.dir
        n_needed = self.n_augmented_needed()
        spec = generate_spec(self.cfg, n_needed)
        if bias_types:
            spec = replace(spec, bias_types=list(bias_types))
        if adapter is not None:  # self-augmentation: the previous round's tuned model writes
            spec.backend_options = {**spec.backend_options, "adapter": str(adapter)}
        summary_path = out_dir / "generate" / "summary.json"
        p = precision.key if spec.backend == "transformers" else None
        key = content_hash(spec.__dict__, *[p] * bool(p))  # fp32 keeps the key it had
        if (
            summary_path.exists()
            and (out_dir / "generate" / "key.txt").exists()
            and (out_dir / "generate" / "key.txt").read_text() == key
        ):
            summary = read_json(summary_path, what="generation summary")
            if check:
                self.check_generation(summary, out_dir)
            return summary
        with self._progress() as prog, self.timer("generate"):
            task = prog.add_task("generate", total=None, info=f"{n_needed} rows per bias type")

            def tick(done: int, total: int) -> None:
                prog.update(task, completed=done, total=total)

            summary = generate_augmentation(spec, out_dir, progress=tick)
        atomic_write_text(out_dir / "generate" / "key.txt", key)
        if check:
            self.check_generation(summary, out_dir)
        return summary

    def check_generation(self, summary: dict, out_dir: Path | None = None) -> None:
        """Stop before training when a bias type's rows are mostly rejected by the quality
        gates or its kept rows look like echoes (one line naming the generator)."""
        from biasinherit.generate import backend_options, quality_stop

        g = self.cfg.generate
        url = backend_options(self.cfg).get("base_url")  # an endpoint's (openai)
        where = f" at {url}" if url else ""
        quality_stop(
            summary,
            f"{self.cfg.generator_model} ({g.backend} backend{where})",
            str((out_dir or self.dir) / "generate"),
        )

    def audit(self) -> dict | None:
        """Audit the augmentation against the original data before any training
        (``audit:`` in the config); recomputed only when the data or settings change."""
        a = self.cfg.audit
        if not a.enabled or not (self.dir / "augmented.jsonl").exists():
            return None
        from biasinherit.analyze import audit_run

        parts = [a.model_dump(), self.cfg.generator_model]
        if self.precision.key:  # float32 keeps the key it had before dtypes
            parts.append(self.precision.key)
        key = content_hash(
            *parts,
            file_hash(self.dir / "original.jsonl"),
            file_hash(self.dir / "augmented.jsonl"),
        )
        key_path, out = self.dir / "audit" / "key.txt", self.dir / "audit.json"
        if out.exists() and key_path.exists() and key_path.read_text() == key:
            return read_json(out, what="audit result")
        with self._progress() as prog, self.timer("audit"):
            task = prog.add_task("audit", total=None, info="values, group data, distribution")
            res = audit_run(
                self.dir,
                **audit_inputs(self.dir),
                values=a.values,
                limit=a.limit,
                n_perm=a.n_perm,
                n_boot=a.n_boot,
                max_per_side=a.max_per_side,
                values_from=a.values_from,
                n_samples=a.n_samples,
                option_orders=a.option_orders,
                log=lambda m: prog.update(task, info=m),
            )
        atomic_write_text(key_path, key)
        return res

    def round_dir(self, cell: Cell) -> Path:
        return self.dir / "rounds" / f"{cell.bias_type}__s{cell.seed}" / f"k{cell.round}"

    def prepare_round(self, cell: Cell) -> None:
        """Round k's augmentation, written by round k-1's tuned model (same prompts)."""
        prev = self.dir / "adapters" / cell.previous().name
        if not (prev / "adapter_model.safetensors").exists():
            raise BiasInheritError(
                f"round {cell.round} needs the adapter of {prev.name}",
                "run the earlier rounds first",
            )
        self.generate(self.round_dir(cell), bias_types=[cell.bias_type], adapter=prev)

    def n_augmented_needed(self) -> int:
        from biasinherit.mix import n_augmented

        if self.n_augmented is not None:
            return self.n_augmented
        n_o = len(self.original())
        return max([n_augmented(r, n_o, self.cfg.mix_mode) for r in self.cfg.ratios] + [1])

    def mix(self, cell: Cell) -> Path:
        from biasinherit.mix import mix, ratio_name

        folder = self.dir / "mixes" / f"s{cell.seed}" / cell.bias_type
        source = self.dir / "augmented.jsonl"
        if cell.round > 1:
            folder, source = folder / f"k{cell.round}", self.round_dir(cell) / "augmented.jsonl"
        path = folder / f"{ratio_name(cell.ratio)}.jsonl"
        if not path.exists():
            aug = [r for r in read_jsonl(source) if r["bias_type"] == cell.bias_type]
            write_jsonl(
                path, mix(self.original(), aug, cell.ratio, seed=cell.seed, mode=self.cfg.mix_mode)
            )
        return path

    def train_key(self, cell: Cell, mix_path: Path) -> str:
        """Everything a cell's adapter depends on (evaluation settings excluded)."""
        from biasinherit.models import resolve_model
        from biasinherit.train.mitigations import params_for_key

        train = self.cfg.train.model_dump()
        train.pop("gradient_checkpointing")  # same numbers, less memory
        # Settings at their defaults leave the key what it was before the config had them.
        defaults = type(self.cfg.train).model_fields
        for name in ("quantize", "warmup_frac", "weight_decay", "grad_clip"):
            if train[name] == defaults[name].default:
                del train[name]
        parts = [cell.as_dict(), file_hash(mix_path), resolve_model(self.cfg.model).identity, train]
        if self.precision.key:
            parts.append(self.precision.key)
        mit_params = params_for_key(cell.mitigation, self.cfg.mitigation_params)
        if mit_params:  # 'none' keeps the key it had before mitigations had settings
            parts.append(mit_params)
        return content_hash(*parts)

    def _eval_key(self, model_key: str, task: str) -> str:
        from biasinherit.evaluate import get_task

        ev = self.cfg.evaluate
        parts = [model_key, task, get_task(task).version, ev.n_per_group, ev.n_boot, EVAL_SEED]
        if self._user_items(task) is not None:  # the user's held-out test pairs
            parts.append(file_hash(self.dir / "test_items.jsonl"))
        return content_hash(*parts)

    def _user_items(self, task: str) -> list[dict] | None:
        """The user's held-out test items stand in for the template items of the task that
        the original data is labelled for (occupation for biographies)."""
        spec = self.data_task()
        return self.test_items() if task == spec.eval_task else None

    def _cached_tasks(self, eval_dir: Path, model_key: str, cell: dict) -> dict[str, pd.DataFrame]:
        """Metrics of the tasks already evaluated for this model (same key), by task. A
        table written before comparisons were columns is rebuilt from the per-item outputs
        (no model runs); without them the task is evaluated again."""
        from biasinherit.evaluate import task_metrics

        out = {}
        for task in self.cfg.evaluate.tasks:
            m, k = eval_dir / f"{task}.metrics.parquet", eval_dir / f"{task}.key"
            if not (m.exists() and k.exists() and k.read_text() == self._eval_key(model_key, task)):
                continue
            frame = pd.read_parquet(m)
            if "comparison" not in frame:
                items = eval_dir / f"{task}.parquet"
                if not items.exists():
                    continue
                n_boot = self.cfg.evaluate.n_boot
                frame = task_metrics(task, pd.read_parquet(items), n_boot=n_boot, cell=cell)
                atomic_write_bytes(m, frame.to_parquet(index=False))
            out[task] = frame
        return out

    def train_adapter(
        self, rows: list[dict], mitigation, out: Path, *, seed: int, progress=None
    ) -> tuple:
        """LoRA-train on mix rows, in the prompt format of the attribute's training task,
        with the mitigation and the run's train settings: one cell's training, shared by
        ``run_cell`` and the ``train`` verb. Returns (model, tokenizer, log)."""
        from biasinherit.train import train_lora, train_spec

        rows = mitigation.prepare_rows(rows)
        task = self.train_task()
        return train_lora(
            self.cfg.model,
            [task.sft_example(r) for r in rows],
            [r.get("source", "original") for r in rows],
            train_spec(self.cfg),
            out,
            seed=seed,
            mitigation=mitigation,
            progress=progress,
            precision=self.precision,
        )

    def run_cell(self, cell: Cell, prog=None) -> pd.DataFrame:
        """Train (unless an adapter with this key exists) and evaluate the missing tasks."""
        from biasinherit.models import load_model
        from biasinherit.train import get_mitigation

        mix_path = self.mix(cell)
        key = self.train_key(cell, mix_path)
        eval_dir = self.dir / "eval" / cell.name
        cached = self._cached_tasks(eval_dir, key, cell.as_dict())
        if len(cached) == len(self.cfg.evaluate.tasks):
            return pd.concat(cached.values(), ignore_index=True)
        adapter = self.dir / "adapters" / cell.name
        mitigation = get_mitigation(cell.mitigation, self.cfg.mitigation_params)
        quantize = self.cfg.train.quantize
        if (adapter / "key.txt").exists() and (adapter / "key.txt").read_text() == key:
            model, tok = load_model(self.cfg.model, adapter=adapter, quantize=quantize)
        else:
            task_id = prog.add_task(f"train {cell.name}", total=None, info="") if prog else None

            def tick(step: int, total: int, loss: float) -> None:
                if prog:
                    prog.update(task_id, completed=step, total=total, info=f"loss {loss:.3f}")

            tmp = adapter.with_name(f".{adapter.name}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            with self.timer("train"):
                model, tok, _ = self.train_adapter(
                    read_jsonl(mix_path), mitigation, tmp, seed=cell.seed, progress=tick
                )
            atomic_write_text(tmp / "key.txt", key)
            shutil.rmtree(adapter, ignore_errors=True)
            tmp.rename(adapter)
            if prog:
                prog.remove_task(task_id)
        return self._evaluate(
            model, tok, key, cell.as_dict(), eval_dir, cached, prog, mitigation.inference_text
        )

    def _evaluate(
        self,
        model,
        tok,
        model_key: str,
        cell: dict,
        eval_dir: Path,
        cached: dict[str, pd.DataFrame],
        prog,
        text_transform=None,
    ) -> pd.DataFrame:
        """Evaluate the tasks not in ``cached``; each task's metrics are cached on its own."""
        from biasinherit.evaluate import evaluate_model

        ev = self.cfg.evaluate
        frames = dict(cached)
        for task in ev.tasks:
            if task in frames:
                continue
            pid = prog.add_task(f"evaluate {task}", total=None, info="") if prog else None

            def tick(_: str, done: int, total: int, pid=pid) -> None:
                if prog is not None:
                    prog.update(pid, completed=done, total=total)

            with self.timer("evaluate"):
                frame = evaluate_model(
                    model,
                    tok,
                    [task],
                    n_per_group=ev.n_per_group,
                    seed=EVAL_SEED,
                    n_boot=ev.n_boot,
                    cell=cell,
                    items_dir=eval_dir,
                    progress=tick,
                    text_transform=text_transform,
                    test_items=self._user_items(task),
                )
            atomic_write_bytes(eval_dir / f"{task}.metrics.parquet", frame.to_parquet(index=False))
            atomic_write_text(eval_dir / f"{task}.key", self._eval_key(model_key, task))
            frames[task] = frame
            if prog:
                prog.remove_task(pid)
        return pd.concat([frames[t] for t in ev.tasks], ignore_index=True)

    def untuned(self, prog=None) -> pd.DataFrame:
        from biasinherit.models import load_model, resolve_model

        eval_dir = self.dir / "eval" / "untuned"
        p, quantize = self.precision, self.cfg.train.quantize
        extra = [x for x in (p.key, None if quantize == "none" else quantize) if x]
        key = content_hash("untuned", resolve_model(self.cfg.model).identity, *extra)
        cell = {"bias_type": "untuned", "ratio": math.nan, "mitigation": "none", "seed": -1}
        cached = self._cached_tasks(eval_dir, key, cell)
        if len(cached) == len(self.cfg.evaluate.tasks):
            return pd.concat(cached.values(), ignore_index=True)
        model, tok = load_model(self.cfg.model, quantize=quantize)
        return self._evaluate(model, tok, key, cell, eval_dir, cached, prog)

    def _run_cells(self, todo: list[Cell | None]) -> list[pd.DataFrame]:
        """Run the cells on the configured executor; progress and status as each finishes."""
        from biasinherit.executors import EXECUTORS

        executor = EXECUTORS.get(self.cfg.executor)
        frames = []
        names = [c.name if c else "untuned" for c in todo]
        with self._progress() as prog:
            overall = prog.add_task(f"cells ({self.cfg.executor})", total=len(todo), info="")
            local = self.cfg.executor == "local"
            for name in names if not local else []:
                self._status(name, "running")
            t = time.perf_counter()
            it = executor(
                self,
                [c.as_dict() if c else None for c in todo],
                prog=prog if local else None,
                worker=run_cell_in,
                workers=self.cfg.workers,
                address=self.cfg.ray_address,
            )
            for i in range(len(todo)):
                name = names[i] if local else None
                if local:
                    self._status(name, "running")
                    prog.update(overall, info=name)
                try:
                    cell, frame, timings = next(it)
                except BaseException as e:
                    for n in [name] if local else names:
                        if n and self._state(n) == "running":
                            self._status(n, "failed", error=f"{type(e).__name__}: {e}")
                    raise
                name = Cell(**cell).name if cell else "untuned"
                for k, v in timings.items():
                    self.timer.seconds[k] = self.timer.seconds.get(k, 0.0) + v
                self._status(name, "done")
                frames.append(frame)
                prog.advance(overall)
                head = _headline(self.dir, Cell(**cell) if cell else None, self.cfg.evaluate.tasks)
                prog.console.print(
                    f"[{i + 1}/{len(todo)}] {name}: {head} ({time.perf_counter() - t:.0f} s)"
                )
                t = time.perf_counter()
        return frames

    def analyze(self) -> None:
        """The analysis step (every measure across seeds and stimuli, the trend, the
        mitigation rule), then its calibration on the run's own data."""
        from biasinherit.analysis import analyze_run, calibrate_run

        a = self.cfg.analysis
        with self._progress() as prog, self.timer("analysis"):
            task = prog.add_task("analysis", total=None, info="levels, contrasts, trend")
            analyze_run(self.dir, alpha=a.alpha, max_cost=a.max_cost)
            if a.calibrate:
                calibrate_run(
                    self.dir,
                    n_trend=a.n_trend,
                    n_rule=a.n_rule,
                    alpha=a.alpha,
                    max_cost=a.max_cost,
                    log=lambda msg: prog.update(task, info=msg),
                )

    def _state(self, cell: str) -> str | None:
        from biasinherit.rundir import read_status

        return read_status(self.dir).get(cell, {}).get("state")

    # ----------------------------------------------------------------- the whole run
    def run(self) -> Path:
        t0 = time.perf_counter()
        self.check_memory()  # before anything is imported, built, loaded or converted
        self.preflight()
        self.lock()
        from biasinherit.rundir import read_status
        from biasinherit.sizes import check_design

        read_status(self.dir)  # a corrupt status.json fails now, not after generation
        self.write_config()
        n_o = len(self.original())
        check_design(self.cfg, self.original(), self.test_items())
        import torch  # after the checks: a refused run fails in a second, not after torch loads

        torch.set_num_threads(max(1, torch.get_num_threads()))
        if self.cfg.executor == "ray":  # placeable cells and shared storage, before any work
            from biasinherit.executors import ray_preflight

            ray_preflight(self, len(grid(self.cfg)) + int(self.cfg.evaluate.untuned))
        self.console.print(f"[bold]run[/bold] {self.dir}  original rows: {n_o}")
        self.console.print(f"[dim]device: {self.precision.describe()}[/dim]")
        if any(r > 0 for r in self.cfg.ratios):
            summary = self.generate()
            need = self.n_augmented_needed()
            short = {bt: s["kept"] for bt, s in summary.items() if s["kept"] < need}
            if short:
                raise BiasInheritError(
                    f"generation kept too few rows for {', '.join(short)} "
                    f"({', '.join(map(str, short.values()))} < {need})",
                    "raise generate.oversample or generate.max_new_tokens, then rerun "
                    "(finished generations are reused)",
                )
            self.audit()
        from biasinherit.models import resolve_model

        resolve_model(self.cfg.model)  # convert once here, not in parallel workers
        cells = grid(self.cfg)
        for cell in cells:  # mixes are written here, once, before any worker starts
            self.mix(cell)
        todo: list[Cell | None] = ([None] if self.cfg.evaluate.untuned else []) + cells
        frames = self._run_cells(todo)
        for k in range(2, self.cfg.rounds + 1):  # each round waits for the previous one
            cells_k = round_cells(self.cfg, k)
            for cell in cells_k:
                self.prepare_round(cell)
                self.mix(cell)
            frames += self._run_cells(cells_k)
        metrics = pd.concat(frames, ignore_index=True)
        atomic_write_bytes(self.dir / "metrics.parquet", metrics.to_parquet(index=False))
        atomic_write_text(self.dir / "metrics.csv", metrics.to_csv(index=False))
        self.analyze()

        def write_timings() -> None:
            self.timer.seconds["total"] = time.perf_counter() - t0
            seconds = {k: round(v, 1) for k, v in self.timer.seconds.items()}
            atomic_write_json(self.dir / "timings.json", seconds)

        write_timings()  # the report shows this run's timings, not the previous run's
        with self.timer("report"):
            from biasinherit.report import write_report

            report = write_report(self.dir)
        write_timings()
        from biasinherit.device import peak_memory, precision_record

        atomic_write_json(
            self.dir / "precision.json",
            {**precision_record(self.precision), "peak_bytes": peak_memory(self.precision)},
        )
        return report


def run_cell_in(
    run_dir: str, cell: dict | None, threads: int | None = None
) -> tuple[dict | None, pd.DataFrame, dict]:
    """Run one cell (``None`` = the untuned model) of the run saved in ``run_dir``."""
    import torch

    from biasinherit.layout import load_run_config
    from biasinherit.paths import use_data_dir

    if threads:
        torch.set_num_threads(threads)
    cfg = load_run_config(run_dir)
    use_data_dir(cfg.data_dir)  # a worker process is an entry point of its own
    run = Run(cfg, run_dir)
    frame = run.run_cell(Cell(**cell)) if cell else run.untuned()
    return cell, frame, run.timer.seconds


def audit_inputs(run_dir: str | Path) -> dict:
    """What ``audit_run`` needs from a run folder's config: its generator, backend, options
    and generation cache; writes ``original.jsonl`` first where only the config is there (a
    folder made by ``biasinherit generate``). Empty for a folder without a config."""
    from biasinherit.generate import augment_options
    from biasinherit.layout import load_run_config

    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").exists():
        return {}
    cfg = load_run_config(run_dir)
    if not (run_dir / "original.jsonl").exists():
        from biasinherit.paths import use_data_dir

        use_data_dir(cfg.data_dir)  # the audit verb's entry: the run's own data directory
        Run(cfg, run_dir).original()
    opts = augment_options(cfg)
    return {
        "model": cfg.generator_model,
        "backend": cfg.generate.backend,
        "backend_options": opts["backend_options"],
        "cache_dir": opts["cache_dir"],
    }
