"""The ``biasinherit`` command line: stage verbs, ``run``, and registry listings.

Heavy imports happen inside commands so that ``--help`` is instant. A user mistake prints
one line and exits 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from biasinherit.errors import BiasInheritError

app = typer.Typer(
    name="biasinherit",
    help="Bias inheritance in LLM-based data augmentation: generate biased augmentation, mix "
    "it in at bias ratios, fine-tune, evaluate per group, and report.\n\n"
    "Start with:  biasinherit run   (the 'quick' preset on the embedded models)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

ConfigArg = Annotated[
    Path | None,
    typer.Argument(
        help="Experiment YAML (see `biasinherit init`). Omit to use --preset.", show_default=False
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        "-p",
        help="Named preset (`biasinherit presets list`); default quick when no file is given.",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s", help="Override a config key, type-checked: --set train.lr=1e-3 (repeatable)."
    ),
]
RunDirOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Run folder (default runs/<name>).")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", help="auto (a CUDA GPU if there is one), cpu, cuda, cuda:N or mps."),
]
DtypeOpt = Annotated[
    str | None,
    typer.Option("--dtype", help="auto, float32, bfloat16 or float16 (docs/SCALE.md)."),
]


def _device_sets(device: str | None, dtype: str | None) -> list[str]:
    """--device/--dtype as config overrides (commands that read an experiment config)."""
    return [f"device={device}"] * bool(device) + [f"dtype={dtype}"] * bool(dtype)


def _use_precision(device: str | None, dtype: str | None, model: str):
    """Decide device and dtype for a command without a config; every model it loads uses it."""
    from biasinherit.device import resolve_precision, use_precision
    from biasinherit.models import model_identity

    p = resolve_precision(device or "auto", dtype or "auto", model_identity(model))
    return use_precision(p)


def _preflight(cfg) -> None:
    """The memory preflight of a whole run, with light imports only."""
    from biasinherit.device import resolve_precision
    from biasinherit.models import model_identity
    from biasinherit.preflight import check_run

    check_run(cfg, resolve_precision(cfg.device, cfg.dtype, model_identity(cfg.model)))


def _stage_check(model: str, stages: list[str], precision, **sections) -> None:
    """The preflight for a stage command that has no experiment config."""
    from biasinherit.config import ExperimentConfig
    from biasinherit.preflight import check_run

    cfg = ExperimentConfig(model=model, **sections)
    check_run(cfg, precision, stages)


def _cfg(config: Path | None, preset: str | None, sets: list[str] | None):
    from biasinherit.config import load_config
    from biasinherit.paths import use_data_dir

    cfg = load_config(config, preset=preset, overrides=sets)
    use_data_dir(cfg.data_dir)
    return cfg


def _run_dir(cfg, out: Path | None) -> Path:
    return _uses(out or Path("runs") / cfg.name)


_ACTIVE_RUN: list[Path] = []  # where an unexpected error's traceback is kept


def _uses(run_dir: Path) -> Path:
    """Remember the command's run folder: an unexpected error logs its traceback there."""
    _ACTIVE_RUN[:] = [run_dir]
    return run_dir


@app.callback()
def _root(debug: DebugOpt = False) -> None:
    from biasinherit.paths import offline_hub

    offline_hub()  # before any stage imports transformers: never reach a model or data hub
    if debug:
        os.environ["BIASINHERIT_DEBUG"] = "1"


@app.command()
def run(
    config: ConfigArg = None,
    preset: PresetOpt = None,
    sets: SetOpt = None,
    out: RunDirOpt = None,
    executor: Annotated[
        str | None, typer.Option(help="local (default), process (a pool) or ray.")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (with --executor ray).")
    ] = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the grid's cost (passes, tokens, hours); run nothing."
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="With --dry-run: table or json")] = "table",
) -> None:
    """Run the whole study: generate -> mix -> train -> evaluate -> report.

    Cached and resumable: rerun the same command after a kill and finished cells are reused.
    A preflight first checks that every stage fits the device's memory.

    Examples:
      biasinherit run                          # the quick preset
      biasinherit run --preset smoke -o runs/smoke
      biasinherit run runs/smoke               # resume a run folder with its stored config
      biasinherit run study.yaml --set seeds=[0,1]
      biasinherit run --preset paper --dry-run --set model=/models/Llama-3.1-8B-Instruct
      biasinherit run study.yaml --device cuda --dtype bfloat16
      biasinherit run study.yaml --executor ray --address ray://head:10001
    """
    if config is not None and config.is_dir() and (config / "config.yaml").is_file():
        config, out = config / "config.yaml", out or config
    extra = [f"executor={executor}"] if executor else []
    extra += [f"ray_address={address}"] if address else []
    cfg = _cfg(config, preset, [*(sets or []), *extra, *_device_sets(device, dtype)])
    if dry_run:
        return _run_dry_run(cfg, fmt)
    _preflight(cfg)  # refuses what cannot fit before the heavy imports below
    from biasinherit.runner import Run

    r = Run(cfg, _run_dir(cfg, out))
    report = r.run()
    typer.echo(f"report: {report}")
    typer.echo(f"figures: {report.parent / 'figures'}")


@app.command()
def generate(
    config: ConfigArg = None,
    preset: PresetOpt = None,
    sets: SetOpt = None,
    out: RunDirOpt = None,
    n: Annotated[int | None, typer.Option(help="Rows to keep per bias type.")] = None,
    bias_type: Annotated[
        list[str] | None,
        typer.Option("--bias-type", "-b", help="Bias type (repeatable); see `bias-types list`."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print requests, tokens and cost; generate nothing.")
    ] = False,
    prompts: Annotated[
        Path | None,
        typer.Option(
            "--prompts",
            help="Write the planned prompts and seeds as JSONL and generate nothing: answer "
            "them elsewhere, then read the answers back with generate.backend=replay.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
) -> None:
    """Generate augmented rows with provenance into RUN/augmented.jsonl.

    Resumable: finished requests live in a content-addressed cache and are never re-sent.

    Example: biasinherit generate --preset quick -b neutral -b contrastive_single_explicit --n 30

    Answers from elsewhere: biasinherit generate --dry-run --prompts prompts.jsonl, then
    --set generate.backend=replay --set generate.options.path=answers.jsonl
    """
    # --bias-type is one more override, validated with the rest (names checked, no mutation)
    types = [f"generate.bias_types=[{','.join(bias_type)}]"] if bias_type else []
    cfg = _cfg(config, preset, [*(sets or []), *types, *_device_sets(device, dtype)])
    from biasinherit.runner import Run  # pandas: after the config, so its errors are instant

    if prompts is not None:  # generate-extra
        return _write_prompts(cfg, n, prompts)
    if dry_run:  # generate-extra
        return _generate_dry_run(cfg, n)
    r = Run(cfg, _run_dir(cfg, out), n_augmented=n)
    r.lock()
    r.check_memory(["generate"])
    r.write_config()
    summary = r.generate(check=False)
    if fmt == "json":
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_generation(r.dir)
    r.check_generation(summary)  # after the tables, so the counts behind a stop are shown
    typer.echo(f"wrote {r.dir / 'augmented.jsonl'}")


def _run_dry_run(cfg, fmt: str) -> None:
    """``run --dry-run``: memory per stage against this machine, and the grid's cost."""
    import tempfile

    from biasinherit.costs import cost_lines, grid_cost
    from biasinherit.device import Precision, memory_available
    from biasinherit.preflight import fmt_gb, run_needs
    from biasinherit.runner import Run

    if fmt not in ("table", "json"):
        raise BiasInheritError(f"unknown --format {fmt!r}", "use table or json")
    try:
        precision, here = Run(cfg, tempfile.gettempdir()).precision, True
    except BiasInheritError as e:  # plan here for a device this machine lacks (a GPU)
        dtype = "bfloat16" if cfg.dtype == "auto" else cfg.dtype
        precision, here = Precision(cfg.device.replace("auto", "cuda"), dtype, e.message), False
    needs = run_needs(cfg, precision)
    cpu = None if here else Precision("cpu", "float32", "this machine's CPU")
    cost = grid_cost(cfg, precision, here=cpu)
    free, _, what = memory_available(precision) if here else (None, None, "")
    cost["memory"] = {n.stage: n.total for n in needs} | {"available": free}
    if fmt == "json":
        typer.echo(json.dumps(cost, indent=1, default=str))
        return
    typer.echo("\n".join(cost_lines(cost)))
    mem = ", ".join(f"{n.stage} {fmt_gb(n.total)}" for n in needs)
    if not here:
        typer.echo(f"memory on {precision.device} {precision.dtype}: {mem}")
        return
    verdict = "fits" if free is None or all(n.total <= free for n in needs) else "does NOT fit"
    typer.echo(f"memory here: {mem}; {what} {fmt_gb(free or 0)}: {verdict}")


def _print_generation(run_dir: Path) -> None:
    """Counts and filter reasons per bias type, the group found in the text, two samples."""
    from biasinherit.generate import group_make_up, load_generation, samples, summary_table

    summary, rows = load_generation(run_dir)
    table = summary_table(summary)
    table["filter rate"] = [f"{100 * v:.0f}%" for v in table["filter rate"]]
    for title, frame in (
        ("generated rows per bias type", table),
        ("group found in the text of kept rows", group_make_up(rows)),
    ):
        typer.echo(f"{title}:\n{frame.to_string()}\n")
    for r in samples(rows):  # generated text is untrusted: no control characters
        body = "".join(ch if ch.isprintable() else " " for ch in r["text"][:300])
        typer.echo(f"{r['bias_type']} · {r['label']} · {r['group']}: {body}")


@app.command()
def mix(
    original: Annotated[Path, typer.Option(help="Original rows D_o (JSONL).")],
    augmented: Annotated[Path, typer.Option(help="Augmented rows D_a (JSONL).")],
    ratios: Annotated[
        str, typer.Option(help="Comma-separated bias ratios in [0, 1).")
    ] = "0,0.05,0.1,0.2,0.5",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for <ratio>.jsonl.")] = Path(
        "mixes"
    ),
    bias_type: Annotated[
        str | None,
        typer.Option("--bias-type", "-b", help="Use only augmented rows of this bias type."),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="fixed_original (paper) or fixed_total.")
    ] = "fixed_original",
    seed: int = 0,
) -> None:
    """Mix D_o with nested subsets of D_a at each bias ratio γ = |D_a| / |D|.

    Example: biasinherit mix --original runs/quick/original.jsonl
    --augmented runs/quick/augmented.jsonl -b contrastive_single_explicit --ratios 0,0.2,0.5
    """
    from biasinherit.files import read_jsonl
    from biasinherit.mix import check_ratio, write_mixes

    try:
        rs = [check_ratio(float(x)) for x in ratios.split(",") if x.strip()]
    except ValueError:
        raise BiasInheritError(
            f"--ratios {ratios!r} is not a list of numbers", "e.g. --ratios 0,0.1,0.5"
        ) from None
    if not rs:
        raise BiasInheritError("--ratios names no bias ratio", "e.g. --ratios 0,0.1,0.5")
    if mode not in ("fixed_original", "fixed_total"):
        raise BiasInheritError(f"unknown mix mode {mode!r}", "use fixed_original or fixed_total")
    aug = read_jsonl(augmented)
    if bias_type:
        aug = [r for r in aug if r.get("bias_type") == bias_type]
        if not aug:
            raise BiasInheritError(
                f"no augmented rows of bias type {bias_type!r}",
                "check --bias-type against the file",
            )
    paths = write_mixes(read_jsonl(original), aug, rs, out, seed=seed, mode=mode)  # type: ignore[arg-type]
    for r, p in paths.items():
        typer.echo(f"γ={r:g}: {p}")


@app.command()
def train(
    mix_file: Annotated[Path, typer.Argument(help="A mix JSONL (from `mix`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Adapter folder.")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    preset: PresetOpt = None,
    sets: SetOpt = None,
    mitigation: Annotated[
        str, typer.Option(help="none, token, mask, loss, reweight, counterfactual, or a+b")
    ] = "none",
    seed: int = 0,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
) -> None:
    """Fine-tune a LoRA adapter (safetensors) on a mix, in the prompt format of the task the
    config's attribute trains on (gender: occupation; culture: sentiment, stress, hate).

    Example: biasinherit train mixes/0.20.jsonl -o adapters/r0.20 --set train.epochs=2
    """
    from biasinherit.files import read_jsonl
    from biasinherit.runner import Run
    from biasinherit.train import get_mitigation

    cfg = _cfg(config, preset, [*(sets or []), *_device_sets(device, dtype)])
    r = Run(cfg, out)
    r.check_memory(["train"])
    rows = read_jsonl(mix_file)
    mit = get_mitigation(mitigation, cfg.mitigation_params)
    _, _, log = r.train_adapter(rows, mit, out, seed=seed)  # as a cell of `biasinherit run`
    typer.echo(
        f"adapter: {out}  {log['device']} {log['dtype']}  steps {log['steps']}  "
        f"{log['seconds']} s  {log['useful_tokens_per_s']} useful tokens/s  "
        f"final loss {log['loss'][-1]}"
    )


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Option(help="Embedded model name, HF folder or .gguf file.")
    ] = "smollm2-135m-instruct",
    adapter: Annotated[Path | None, typer.Option(help="LoRA adapter folder.")] = None,
    tasks: Annotated[
        str, typer.Option(help="Comma-separated task names (`tasks list`).")
    ] = "occupation,salary",
    limit: Annotated[int, typer.Option("--limit", "-n", help="Items per group and label.")] = 5,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for per-item parquet and metrics.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
) -> None:
    """Evaluate a model (or model + adapter) on tasks; print the metrics table.

    Example: biasinherit evaluate --adapter runs/quick/adapters/... --tasks occupation -n 3
    """
    from biasinherit.evaluate import evaluate_model, get_task
    from biasinherit.models import load_model

    names = [t.strip() for t in tasks.split(",") if t.strip()]
    if not names:
        raise BiasInheritError("--tasks names no task", "e.g. --tasks occupation,salary")
    for t in names:
        get_task(t)
    precision = _use_precision(device, dtype, model)
    _stage_check(model, ["evaluate"], precision)
    m, tok = load_model(model, adapter=adapter, precision=precision)
    frame = evaluate_model(m, tok, names, n_per_group=limit, items_dir=out)
    if out:
        from biasinherit.files import atomic_write_bytes

        atomic_write_bytes(out / "metrics.parquet", frame.to_parquet(index=False))
    cols = ["task", "metric", "attribute", "group", "comparison", "reference"]
    cols += ["value", "ci_low", "ci_high", "n"]
    if fmt == "json":
        typer.echo(frame[cols].to_json(orient="records", indent=1))
    else:
        typer.echo(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Write RUN/report.md and RUN/figures/*.png from the run's metrics table."""
    from biasinherit.report import write_report

    _uses(run_dir)
    typer.echo(f"report: {write_report(run_dir)}")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example.")] = Path(
        "experiment.yaml"
    ),
) -> None:
    """Write a commented example experiment file (every key, with its default)."""
    from biasinherit.config import ExperimentConfig, dump_config
    from biasinherit.files import atomic_write_text

    if path.exists():
        raise BiasInheritError(f"{path} exists", "choose another path or delete it")
    header = (
        "# biasinherit experiment. Run: biasinherit run " + str(path) + "\n"
        "# Start from a preset with `preset: quick` and state only what differs.\n"
    )
    lines = []
    stack: list[tuple[int, str]] = []  # (indent, key) of the sections above the line
    for line in dump_config(ExperimentConfig()).splitlines():
        key, indent = line.split(":")[0].strip(), len(line) - len(line.lstrip())
        if key.startswith("- "):  # a list item
            lines.append(line)
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        desc = _field_doc([k for _, k in stack] + [key])  # by path: values.group != columns.group
        if line.rstrip().endswith(":"):
            stack.append((indent, key))
        lines.append(f"{line}  # {desc}" if desc and not line.rstrip().endswith(":") else line)
    atomic_write_text(path, header + "\n".join(lines) + "\n")
    typer.echo(f"wrote {path}")


def _field_doc(path: list[str]) -> str | None:
    """The description of a config key given by its path (``original.values.group``)."""
    from pydantic import BaseModel

    from biasinherit.config import ExperimentConfig

    model: object = ExperimentConfig
    field = None
    for part in path:
        fields = (
            model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        )
        if part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field.description if field else None


def _listing(title: str, rows: list[tuple[str, str]], fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(dict(rows), indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("name")
    table.add_column("description")
    for n, d in rows:
        table.add_row(n, d)
    Console().print(table)


# --- commands: generate-extra ---


def _write_prompts(cfg, n: int | None, path: Path) -> None:
    """``generate --prompts FILE``: the first round's requests, for the replay backend."""
    from biasinherit.files import write_jsonl
    from biasinherit.generate import generate_spec, planned_prompts
    from biasinherit.runner import Run

    n = n if n is not None else Run(cfg, _run_dir(cfg, None)).n_augmented_needed()
    rows = planned_prompts(generate_spec(cfg, n))
    write_jsonl(path, rows)
    typer.echo(
        f"wrote {len(rows)} prompts to {path}: add a completion to each line, then "
        "--set generate.backend=replay --set generate.options.path=ANSWERS"
    )


def _generate_dry_run(cfg, n: int | None) -> None:
    from biasinherit.generate import dry_run, generate_spec
    from biasinherit.runner import Run

    n = n if n is not None else Run(cfg, _run_dir(cfg, None)).n_augmented_needed()
    a = cfg.augment
    plan = dry_run(
        generate_spec(cfg, n),
        price_per_1k_input=a.price_per_1k_input,
        price_per_1k_output=a.price_per_1k_output,
    )
    typer.echo(json.dumps(plan, indent=2))
    t = plan["total"]
    typer.echo(
        f"dry run: {t['to_send']} requests to send ({t['cached']} cached), "
        f"{t['prompt_tokens']} prompt tokens, <= {t['max_completion_tokens']} completion "
        f"tokens, cost <= ${t['cost_usd']:.4f}"
    )


@app.command()
def serve(
    model: Annotated[
        str, typer.Option(help="Embedded model name, HF folder or .gguf file.")
    ] = "smollm2-135m-instruct",
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8000,
    batch_size: Annotated[int, typer.Option(help="Requests decoded together.")] = 32,
    api_key_env: Annotated[
        str | None, typer.Option(help="Require the key held in this environment variable.")
    ] = None,
    fault: Annotated[
        str | None,
        typer.Option(help="Testing: answer this HTTP status (429, 500, 503, 401) for N requests."),
    ] = None,
    log: Annotated[
        Path | None, typer.Option(help="JSONL log of request hashes and statuses.")
    ] = None,
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
) -> None:
    """Serve a local model as an OpenAI-compatible endpoint (/v1/chat/completions).

    Example: biasinherit serve --port 8000   then   --set generate.backend=openai
    """
    from biasinherit.serve import make_server

    precision = _use_precision(device, dtype, model)
    _stage_check(model, ["generate"], precision, generate={"batch_size": batch_size})

    server = make_server(
        model=model,
        host=host,
        port=port,
        batch_size=batch_size,
        api_key_env=api_key_env,
        fault=fault,
        log=log,
    )
    h, p = server.server_address[:2]
    typer.echo(f"serving {model} on http://{h}:{p}/v1", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# --- commands: audit ---
@app.command()
def audit(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder with augmented.jsonl (and original.jsonl).")
    ],
    values: Annotated[
        bool,
        typer.Option(
            "--values/--no-values", help="Ask the generator the World Values Survey questions."
        ),
    ] = True,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="Ask only the first N WVS questions."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Generator for the values part (default: the run's generator)."),
    ] = None,
    permutations: Annotated[
        int, typer.Option("--permutations", min=50, help="MMD permutations.")
    ] = 1000,
    max_per_side: Annotated[
        int, typer.Option(min=10, help="Cap per corpus for the kernel test (subsampled).")
    ] = 1000,
    values_from: Annotated[
        str,
        typer.Option(
            help="WVS answers from 'probabilities' (local model) or 'samples' (any backend, "
            "e.g. an endpoint); 'auto' picks by the run's generator backend."
        ),
    ] = "auto",
    samples: Annotated[
        int,
        typer.Option(
            "--samples", min=1, help="Sampled answers per question, persona and option order."
        ),
    ] = 20,
    option_orders: Annotated[
        int,
        typer.Option(
            "--option-orders",
            min=1,
            help="Ask each WVS question in this many option orders and average (1: as "
            "listed; 2: also reversed).",
        ),
    ] = 2,
    seed: int = 0,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
) -> None:
    """Explain why bias will transfer, before training: RUN/audit.json + RUN/figures/audit_*.png.

    Three misalignment factors: values (the generator answers World Values Survey questions
    as a person from the US, China, Egypt and Japan, options as listed and reversed; 1 −
    Jensen–Shannon distance to the real answers over the questions common to every country;
    the option-position bias), group data (gender make-up of neutral-prompt generations per
    occupation vs the original data and vs parity, chi-square), data distribution
    (all-MiniLM-L6-v2 embeddings; MMD with a permutation p-value and a classifier two-sample
    test per bias type and group); plus identity-term and stereotype-word rates.

    Examples:
      biasinherit generate --preset smoke -o runs/a --n 8 -b neutral -b contrastive_single_explicit
      biasinherit audit runs/a --limit 10          # quick look: 10 WVS questions
      biasinherit audit runs/quick --no-values --format json
    """
    from biasinherit.analyze import audit_run
    from biasinherit.runner import audit_inputs

    _uses(run_dir)
    if fmt not in ("table", "json"):
        raise BiasInheritError(f"unknown --format {fmt!r}", "use table or json")
    _use_precision(device, dtype, model or "smollm2-135m-instruct")  # the embedder and the values
    inputs = audit_inputs(run_dir) if run_dir.is_dir() else {}
    res = audit_run(
        run_dir,
        **(inputs | ({"model": model} if model else {})),
        values=values,
        limit=limit,
        n_perm=permutations,
        max_per_side=max_per_side,
        seed=seed,
        values_from=values_from,
        n_samples=samples,
        option_orders=option_orders,
        log=lambda m: typer.echo(m, err=True),
    )
    if fmt == "json":
        typer.echo(json.dumps(res, indent=1))
        return
    from biasinherit.report import audit_summary_lines

    typer.echo("\n".join(audit_summary_lines(res)))
    typer.echo(f"wrote {run_dir / 'audit.json'} and {len(res['figures'])} figures")


# --- commands: evaluate-extra ---


def _analysis(run_dir: Path, fresh: bool = True) -> dict:
    from biasinherit.analysis import analyze_run, load_analysis

    _uses(run_dir)
    if fresh:
        analyze_run(run_dir)
    return load_analysis(run_dir)


def _show(frame, cols: list[str], fmt: str) -> None:
    if fmt == "json":
        typer.echo(frame[[c for c in cols if c in frame]].to_json(orient="records", indent=1))
    else:
        typer.echo(
            frame[[c for c in cols if c in frame]].to_string(
                index=False, float_format=lambda x: f"{x:.4g}"
            )
        )


def _check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json")) -> None:
    if fmt not in allowed:
        raise BiasInheritError(f"unknown --format {fmt!r}", f"use {' or '.join(allowed)}")


@app.command()
def trend(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Does the model inherit the bias? The dose-response test per bias measure and bias type:
    the change of the measure from the lowest to the highest γ (slope over γ), its 95 %
    interval over seeds × stimuli, Holm p (the headline over its bias types, the other
    measures together), the minimum detectable effect and the verdict.

    Example: biasinherit trend runs/quick --format json
    """
    from biasinherit.report import headline_sentences, load_calibration

    _check_format(fmt)
    tables = _analysis(run_dir)
    t = tables.get("trend")
    if t is None or t.empty:
        raise BiasInheritError(
            f"no trend in {run_dir}: it needs γ = 0 and at least one γ > 0",
            "run with ratios such as [0.0, 0.2, 0.5]",
        )
    cols = [
        "measure",
        "bias_type",
        "ratios",
        "change",
        "change_ci_low",
        "change_ci_high",
        "p_value",
        "p_holm",
        "family",
        "change_mde",
        "n_seeds",
        "n_stimuli",
        "resamples",
        "verdict",
        "primary",
        "value",
        "ci_low",
        "ci_high",
        "se",
        "se_seeds",
        "se_stimuli",
    ]
    if fmt == "json":
        return _show(t, cols, fmt)
    typer.echo(
        "\n".join(s.replace("**", "") for s in headline_sentences(t, load_calibration(run_dir)))
    )
    typer.echo("")
    _show(t, cols[:14], fmt)


@app.command()
def calibrate(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (two seeds or more).")],
    n_trend: Annotated[
        int | None,
        typer.Option(
            help="A/A resamples for the trend test (default: the run's analysis.n_trend)."
        ),
    ] = None,
    n_rule: Annotated[
        int | None,
        typer.Option(
            help="A/A resamples for the mitigation rule (default: the run's analysis.n_rule)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Measure this run's tests on its own data: the false-positive rate of the trend test
    and of the mitigation rule on A/A resamples (every effect removed, whole runs' residuals
    redrawn), with Monte-Carlo intervals, and the minimum detectable effect from planted
    slopes. Writes RUN/analysis/calibration.json.

    Example: biasinherit calibrate runs/ablation --n-trend 1000
    """
    from biasinherit.analysis import calibrate_run
    from biasinherit.report import row_measure

    _check_format(fmt)
    _analysis(run_dir)  # fresh tables; alpha and max_cost are the run's config's
    res = calibrate_run(
        run_dir,
        n_trend=n_trend,
        n_rule=n_rule,
        seed=seed,
        log=lambda m: typer.echo(m, err=True),
    )
    if fmt == "json":
        typer.echo(json.dumps(res, indent=1, default=str))
        return
    if not res["trend"]:
        typer.echo("trend test: not calibrated (needs γ = 0, a ratio above it and two seeds)")
    trend = _analysis(run_dir).get("trend")
    for r in res["trend"]:
        # the change over the run's γ range, in the measure's unit, as the report prints it
        row = trend[(trend["measure"] == r["measure"]) & (trend["bias_type"] == r["bias_type"])]
        m, span = row_measure(row.iloc[0]), float(row["span"].iloc[0])
        unit = "points" if m.percent else m.unit_label
        typer.echo(
            f"trend {r['measure']} ({r['bias_type']}): false-positive rate "
            f"{100 * r['false_positive_rate']:.1f} % [{100 * r['fpr_ci_low']:.1f}, "
            f"{100 * r['fpr_ci_high']:.1f}] over {r['n_resamples']} A/A resamples at α = "
            f"{r['alpha']:g}; minimum detectable change over γ {row['ratios'].iloc[0]} (80 % "
            f"power): analytic {m.fmt(r['analytic_mde'] * span, signed=False)}, planted "
            f"{m.fmt(r['empirical_mde'] * span, signed=False)} {unit} "
            f"({r['n_seeds']} seeds × {r['n_stimuli']} stimuli)"
        )
    rule = res["rule"]
    if rule:
        typer.echo(
            f"recommendation rule: false-positive rate {100 * rule['false_positive_rate']:.1f} % "
            f"[{100 * rule['fpr_ci_low']:.1f}, {100 * rule['fpr_ci_high']:.1f}] over "
            f"{rule['n_resamples']} A/A resamples (any mitigation recommended)"
        )
    else:
        typer.echo("recommendation rule: not calibrated (the run compares no mitigations)")
    typer.echo(f"wrote {run_dir / 'analysis' / 'calibration.json'}")


@app.command()
def significance(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    alpha: Annotated[float, typer.Option(help="Show tests with BH-adjusted p below this.")] = 0.05,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Every cell against the γ = 0 cell of the same seed, on every declared measure: paired
    by stimulus, tested over seeds × stimuli, Holm and Benjamini–Hochberg corrected.

    Reads (and refreshes) RUN/analysis/contrasts.parquet; prints the tests below --alpha.

    Example: biasinherit significance runs/quick --alpha 0.1
    """
    _check_format(fmt)
    c = _analysis(run_dir).get("contrasts")
    if c is None or c.empty:
        raise BiasInheritError(f"no cell with γ > 0 in {run_dir}", "run ratios above 0")
    hits = c[c["p_bh"] < alpha].sort_values("p_bh")
    cols = [
        "measure",
        "bias_type",
        "ratio",
        "mitigation",
        "value",
        "ci_low",
        "ci_high",
        "p_value",
        "p_bh",
        "p_holm",
        "n_seeds",
        "n_stimuli",
        "resamples",
    ]
    if fmt == "json":
        return _show(hits, cols, fmt)
    typer.echo(f"{len(c)} tests, {len(hits)} with BH-adjusted p < {alpha}")
    if len(hits):
        _show(hits, cols, fmt)
    typer.echo(f"wrote {run_dir / 'analysis' / 'contrasts.parquet'}")


# --- commands: mitigate ---


@app.command()
def ablation(
    run_dir: Annotated[Path | None, typer.Argument(help="A run folder of an ablation.")] = None,
    measure: Annotated[
        str | None, typer.Option(help="Show one measure (--list-measures); default all.")
    ] = None,
    recommend: Annotated[
        bool, typer.Option("--recommend", help="The rule's verdict per mitigation and the pick.")
    ] = False,
    list_measures: Annotated[
        bool, typer.Option("--list-measures", help="List the declared measures and exit.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
) -> None:
    """Compare every mitigation with `none` per bias type and γ on every declared measure
    (paired by seed and stimulus, intervals over seeds × stimuli); --recommend applies the
    rule that picks a mitigation (see docs/STATISTICS.md).

    Example: biasinherit ablation runs/ablation --recommend
    """
    from biasinherit.evaluate import TASKS, get_task
    from biasinherit.evaluate import tasks as _tasks  # noqa: F401  (registers the tasks)

    if list_measures:
        rows = [
            (m.name, f"[{m.role}] {m.title} ({t})") for t in TASKS for m in get_task(t).measures
        ]
        return _listing("measures", rows, "json" if fmt == "json" else "table")
    if run_dir is None:
        raise BiasInheritError("no run folder given", "biasinherit ablation RUN")
    _check_format(fmt, ("table", "markdown", "json"))
    tables = _analysis(run_dir)
    effects = tables.get("mitigations")
    if effects is None or effects.empty:
        raise BiasInheritError(
            f"no mitigation besides 'none' in {run_dir}", "run an ablation, e.g. --preset ablation"
        )
    if recommend:
        from biasinherit.report import recommendation_lines

        rec = tables.get("recommendation")
        if rec is None or rec.empty:
            raise BiasInheritError(f"no recommendation in {run_dir}", "run an ablation")
        cols = [
            "bias_type",
            "ratio",
            "mitigation",
            "delta",
            "delta_ci_low",
            "delta_ci_high",
            "p_holm",
            "share_removed",
            "perf_delta",
            "perf_ci_low",
            "non_inferior",
            "worsens",
            "verdict",
            "recommended",
            "n_seeds",
            "n_stimuli",
        ]
        if fmt == "json":
            return _show(rec, cols, fmt)
        if fmt == "table":
            _show(rec, cols[:14], fmt)
        typer.echo("\n".join(recommendation_lines(rec, effects)))
        return
    if measure:
        if measure not in set(effects["measure"]):
            raise BiasInheritError(
                f"{measure}: no rows in this run",
                f"measured here: {', '.join(sorted(set(effects['measure'])))}",
            )
        effects = effects[effects["measure"] == measure]
    if fmt == "markdown":
        from biasinherit.report import mitigation_section

        typer.echo("\n".join(mitigation_section(run_dir, {**tables, "mitigations": effects})))
        return
    cols = [
        "measure",
        "bias_type",
        "ratio",
        "mitigation",
        "base",
        "value",
        "ci_low",
        "ci_high",
        "p_value",
        "p_holm",
        "verdict",
        "n_seeds",
        "n_stimuli",
    ]
    _show(effects, cols, fmt)


# --- commands: scale ---
@app.command()
def status(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show which cells of a run are done, running, interrupted, failed or pending.

    Example: biasinherit status runs/quick
    """
    from biasinherit.status import run_status

    frame = run_status(_uses(run_dir))
    if fmt == "json":
        typer.echo(frame.to_json(orient="records", indent=1))
        return
    counts = frame["state"].value_counts().to_dict()
    typer.echo(frame.to_string(index=False))
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


@app.command("device")
def device_cmd(
    device: DeviceOpt = None,
    dtype: DtypeOpt = None,
    model: Annotated[
        str, typer.Option(help="Model whose bfloat16 calibration counts (HF folder, .gguf, name).")
    ] = "smollm2-135m-instruct",
    probe: Annotated[bool, typer.Option("--probe", help="Measure the matmul probe again.")] = False,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate",
            help="Measure bfloat16 against float32 on MODEL here (agreement, speed) and record "
            "it for dtype auto; run it on a quiet machine.",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Show what device and dtype `auto` picks here, and why (probe, memory, calibration).

    Examples:
      biasinherit device
      biasinherit device --model /models/my-llama --calibrate
    """
    from biasinherit import device as dev
    from biasinherit.models import model_identity

    if calibrate:
        from biasinherit.calibration import calibrate as run_calibration

        res = run_calibration(model, log=lambda m: typer.echo(m, err=True))
        dev.resolve_precision.cache_clear()
        typer.echo(json.dumps(res["calibration"]))
    if probe:
        dev.cpu_probe(refresh=True)
        dev.resolve_precision.cache_clear()
    p = dev.resolve_precision(device or "auto", dtype or "auto", model_identity(model))
    free, total, what = dev.memory_available(p)
    info = {
        **dev.precision_record(p),
        "memory_free": free,
        "memory_total": total,
        "memory_what": what,
        "calibration": dev.calibration(model_identity(model)),
    }
    if fmt == "json":
        typer.echo(json.dumps(info, indent=1, default=str))
        return
    from biasinherit.preflight import fmt_gb

    typer.echo(f"decision: {p.describe()}")
    if "probe" in info:
        pr = info["probe"]
        typer.echo(
            f"cpu: {pr['cpu']} [{' '.join(pr['flags'])}], {pr['threads']} threads: matmul "
            f"float32 {pr['float32_gflops']} GFLOP/s, bfloat16 {pr['bfloat16_gflops']} GFLOP/s"
        )
    typer.echo(f"memory: {what} {fmt_gb(free or 0)} of {fmt_gb(total or 0)}")
    typer.echo(f"calibration of {model}: {info['calibration'] or 'none'}")


FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]
presets_app = typer.Typer(help="Named presets.", no_args_is_help=True)
bias_app = typer.Typer(help="Bias types (three prompt dimensions + neutral).", no_args_is_help=True)
tasks_app = typer.Typer(help="Evaluation tasks.", no_args_is_help=True)
mit_app = typer.Typer(help="Training-time mitigations.", no_args_is_help=True)
backends_app = typer.Typer(help="Generator backends and their options.", no_args_is_help=True)
app.add_typer(presets_app, name="presets")
app.add_typer(bias_app, name="bias-types")
app.add_typer(tasks_app, name="tasks")
app.add_typer(mit_app, name="mitigations")
app.add_typer(backends_app, name="backends")


@presets_app.command("list")
def presets_list(fmt: FormatOpt = "table") -> None:
    """List presets."""
    from importlib import resources

    from biasinherit.config import available_presets

    rows = []
    for p in available_presets():
        text = (resources.files("biasinherit") / "presets" / f"{p}.yaml").read_text()
        head = []  # the leading comment block, up to its first full stop
        for ln in text.splitlines():
            if not ln.startswith("#"):
                break
            head.append(ln.lstrip("# "))
        first = " ".join(head).split(". ")[0].rstrip(".")
        rows.append((p, first))
    _listing("presets", rows, fmt)


@presets_app.command("show")
def presets_show(name: str) -> None:
    """Print a preset resolved against the defaults."""
    from biasinherit.config import dump_config, load_config

    typer.echo(dump_config(load_config(preset=name)))


@bias_app.command("list")
def bias_list(fmt: FormatOpt = "table") -> None:
    """List bias types: framing x scope x cue, and which six are the 'paper' ones."""
    from biasinherit.bias import BIAS_TYPES

    rows = [
        (n, (f"#{bt.paper_index} " if bt.paper_index else "") + bt.description)
        for n, bt in BIAS_TYPES.items()
    ]
    _listing("bias types", rows, fmt)


@tasks_app.command("list")
def tasks_list(fmt: FormatOpt = "table") -> None:
    """List evaluation tasks."""
    from biasinherit.evaluate import TASKS, get_task

    get_task("occupation")
    _listing("tasks", [(n, f"[{t.kind}] {t.description}") for n, t in TASKS.items()], fmt)


@mit_app.command("list")
def mitigations_list(fmt: FormatOpt = "table") -> None:
    """List mitigations."""
    from biasinherit.train import MITIGATIONS

    _listing(
        "mitigations",
        [(n, (m.__doc__ or "").strip().splitlines()[0]) for n, m in MITIGATIONS.items()],
        fmt,
    )


@backends_app.command("list")
def backends_list(fmt: FormatOpt = "table") -> None:
    """List generator backends and the options each takes (generate.options)."""
    from biasinherit.generate import BACKENDS, option_names

    _listing(
        "generator backends",
        [
            (n, f"{(b.__doc__ or '').strip().splitlines()[0]} Options: "
             f"{', '.join(option_names(n)) or 'none'}.")
            for n, b in BACKENDS.items()
        ],
        fmt,
    )  # fmt: skip


@backends_app.command("show")
def backends_show(name: str, fmt: FormatOpt = "table") -> None:
    """A backend's options: type, default, what it does, and where the config sets it.

    Example: biasinherit backends show openai
    """
    from biasinherit.generate import AUGMENT_OPTIONS, BACKENDS, describe_options

    _check_format(fmt)
    doc = (BACKENDS.get(name).__doc__ or "").strip().split("\n\n")[0]
    flat = {opt: key for key, opt in AUGMENT_OPTIONS.items()}
    rows = describe_options(name)
    for r in rows:
        r["config"] = f"generate.options.{r['option']}" + (
            f" or augment.{flat[r['option']]}" if r["option"] in flat else ""
        )
    if fmt == "json":
        typer.echo(json.dumps({"name": name, "description": doc, "options": rows}, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name}: {' '.join(doc.split())}")
    for col in ("option", "type", "default", "description", "config"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) for c in ("option", "type", "default", "description", "config")))
    Console().print(table if rows else table.title + " (takes no options)")


def main() -> None:
    """Entry point: run the app; a user mistake is one line on stderr and exit code 2.

    An unexpected error (a bug) is one line too, exit code 1: its traceback goes to
    ``RUN/logs/error-<time>.log`` (``--debug`` prints it instead).
    """
    debug = "--debug" in sys.argv or os.environ.get("BIASINHERIT_DEBUG") == "1"
    try:
        app(standalone_mode=False)
    except BiasInheritError as e:
        if debug:
            raise
        hint = f" (hint: {e.hint})" if e.hint else ""
        typer.echo(f"error: {e.message}{hint}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted: finished work is kept; rerun the same command to resume", err=True)
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # usage errors (typer's click) arrive here in non-standalone mode
        if isinstance(e, typer.Abort):
            sys.exit(1)
        if callable(getattr(e, "format_message", None)) and hasattr(e, "exit_code"):
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "biasinherit"
            typer.echo(f"error: {e.format_message()} (hint: see `{where} --help`)", err=True)
            sys.exit(e.exit_code)
        if debug:
            raise
        _unexpected(e)


def _unexpected(e: Exception) -> None:
    """A bug, not a user mistake: keep the traceback in a log file, print one line."""
    import errno

    from biasinherit.files import write_error
    from biasinherit.rundir import log_traceback

    full_or_locked = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
    if isinstance(e, OSError) and e.errno in full_or_locked and e.filename:
        # Disk full or no permission outside the atomic writers: the user can act on it.
        err = write_error(e.filename, e)
        typer.echo(f"error: {err.message} (hint: {err.hint})", err=True)
        sys.exit(2)
    log = log_traceback(e, _ACTIVE_RUN[0] if _ACTIVE_RUN else None)
    what = str(e).splitlines()[0][:200] if str(e) else ""
    typer.echo(
        f"error: unexpected {type(e).__name__}{': ' + what if what else ''} (hint: this is a "
        f"bug; the traceback is in {log}; finished work is kept; --debug shows it here)",
        err=True,
    )
    sys.exit(1)


if __name__ == "__main__":
    main()
