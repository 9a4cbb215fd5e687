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


def _cfg(config: Path | None, preset: str | None, sets: list[str] | None):
    from biasinherit.config import load_config

    return load_config(config, preset=preset, overrides=sets)


def _run_dir(cfg, out: Path | None) -> Path:
    return out or Path("runs") / cfg.name


@app.callback()
def _root(debug: DebugOpt = False) -> None:
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
) -> None:
    """Run the whole study: generate -> mix -> train -> evaluate -> report.

    Cached and resumable: rerun the same command after a kill and finished cells are reused.

    Examples:
      biasinherit run                          # the quick preset
      biasinherit run --preset smoke -o runs/smoke
      biasinherit run study.yaml --set seeds=[0,1]
      biasinherit run study.yaml --executor ray --address ray://head:10001
    """
    from biasinherit.runner import Run

    extra = [f"executor={executor}"] if executor else []
    extra += [f"ray_address={address}"] if address else []
    cfg = _cfg(config, preset, [*(sets or []), *extra])
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
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Generate augmented rows with provenance into RUN/augmented.jsonl.

    Resumable: finished requests live in a content-addressed cache and are never re-sent.

    Example: biasinherit generate --preset quick -b neutral -b contrastive_single_explicit --n 30
    """
    from biasinherit.runner import Run

    cfg = _cfg(config, preset, sets)
    if bias_type:
        cfg.generate.bias_types = list(bias_type)
        from biasinherit.config import _check_names

        _check_names(cfg)
    if dry_run:  # generate-extra
        return _generate_dry_run(cfg, n)
    r = Run(cfg, _run_dir(cfg, out))
    r.write_config()
    if n is not None:
        r._n_augmented_needed = lambda: n  # type: ignore[method-assign]
    summary = r.generate()
    if fmt == "json":
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_generation(r.dir)
    typer.echo(f"wrote {r.dir / 'augmented.jsonl'}")


def _print_generation(run_dir: Path) -> None:
    """Counts and filter reasons per bias type, the group found in the text, two samples."""
    from biasinherit.generate._summary import group_make_up, load_generation, samples, summary_table

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
) -> None:
    """Fine-tune a LoRA adapter (safetensors) on a mix for occupation classification.

    Example: biasinherit train mixes/0.20.jsonl -o adapters/r0.20 --set train.epochs=2
    """
    from biasinherit.evaluate import get_task
    from biasinherit.files import read_jsonl
    from biasinherit.train import TrainSpec, get_mitigation, train_lora

    cfg = _cfg(config, preset, sets)
    rows = read_jsonl(mix_file)
    mit = get_mitigation(mitigation, cfg.mitigation_params)
    rows = mit.prepare_rows(rows)
    task = get_task("occupation")
    _, _, log = train_lora(
        cfg.model,
        [task.sft_example(r) for r in rows],
        [r.get("source", "original") for r in rows],
        TrainSpec(**cfg.train.model_dump()),
        out,
        seed=seed,
        mitigation=mit,
    )
    typer.echo(
        f"adapter: {out}  steps {log['steps']}  {log['seconds']} s  "
        f"{log['useful_tokens_per_s']} useful tokens/s  final loss {log['loss'][-1]}"
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
) -> None:
    """Evaluate a model (or model + adapter) on tasks; print the metrics table.

    Example: biasinherit evaluate --adapter runs/quick/adapters/... --tasks occupation -n 3
    """
    from biasinherit.evaluate import evaluate_model, get_task
    from biasinherit.models import load_model

    names = [t.strip() for t in tasks.split(",") if t.strip()]
    for t in names:
        get_task(t)
    m, tok = load_model(model, adapter=adapter)
    frame = evaluate_model(m, tok, names, n_per_group=limit, items_dir=out)
    if out:
        from biasinherit.files import atomic_write_bytes

        atomic_write_bytes(out / "metrics.parquet", frame.to_parquet(index=False))
    cols = ["task", "metric", "attribute", "group", "value", "ci_low", "ci_high", "n"]
    if fmt == "json":
        typer.echo(frame[cols].to_json(orient="records", indent=1))
    else:
        typer.echo(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Write RUN/report.md and RUN/figures/*.png from the run's metrics table."""
    from biasinherit.report import write_report

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
    schema = ExperimentConfig.model_json_schema()
    for line in dump_config(ExperimentConfig()).splitlines():
        key = line.split(":")[0].strip()
        desc = schema.get("properties", {}).get(key, {}).get("description")
        for section in schema.get("$defs", {}).values():
            desc = desc or section.get("properties", {}).get(key, {}).get("description")
        lines.append(f"{line}  # {desc}" if desc and not line.rstrip().endswith(":") else line)
    atomic_write_text(path, header + "\n".join(lines) + "\n")
    typer.echo(f"wrote {path}")


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


def _generate_dry_run(cfg, n: int | None) -> None:
    from biasinherit.generate import dry_run, spec_from_config
    from biasinherit.runner import Run

    n = n if n is not None else Run(cfg, _run_dir(cfg, None))._n_augmented_needed()
    a = cfg.augment
    plan = dry_run(
        spec_from_config(cfg, n),
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
) -> None:
    """Serve a local model as an OpenAI-compatible endpoint (/v1/chat/completions).

    Example: biasinherit serve --port 8000   then   --set generate.backend=openai
    """
    from biasinherit.serve import make_server

    server = make_server(
        model=model, host=host, port=port, batch_size=batch_size, api_key_env=api_key_env,
        fault=fault, log=log,
    )  # fmt: skip
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
        int, typer.Option("--samples", min=1, help="Sampled answers per question and persona.")
    ] = 20,
    seed: int = 0,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Explain why bias will transfer, before training: RUN/audit.json + RUN/figures/audit_*.png.

    Three misalignment factors: values (the generator answers World Values Survey questions
    as a person from the US, China, Egypt and Japan; 1 − Jensen–Shannon distance to the real
    answers), group data (gender make-up of neutral-prompt generations per occupation vs the
    original data and vs parity, chi-square), data distribution (all-MiniLM-L6-v2 embeddings;
    MMD with a permutation p-value and a classifier two-sample test per bias type and group);
    plus identity-term and stereotype-word rates.

    Examples:
      biasinherit generate --preset smoke -o runs/a --n 8 -b neutral -b contrastive_single_explicit
      biasinherit audit runs/a --limit 10          # quick look: 10 WVS questions
      biasinherit audit runs/quick --no-values --format json
    """
    from biasinherit.analyze import audit_run

    if fmt not in ("table", "json"):
        raise BiasInheritError(f"unknown --format {fmt!r}", "use table or json")
    res = audit_run(
        run_dir,
        values=values,
        limit=limit,
        model=model,
        n_perm=permutations,
        max_per_side=max_per_side,
        seed=seed,
        values_from=values_from,
        n_samples=samples,
        log=lambda m: typer.echo(m, err=True),
    )
    if fmt == "json":
        typer.echo(json.dumps(res, indent=1))
        return
    from biasinherit.report._audit_section import audit_summary_lines

    typer.echo("\n".join(audit_summary_lines(res)))
    typer.echo(f"wrote {run_dir / 'audit.json'} and {len(res['figures'])} figures")


# --- commands: evaluate-extra ---


@app.command()
def significance(
    run_dir: Annotated[Path, typer.Argument(help="A run folder with eval/<cell>/<task>.parquet.")],
    alpha: Annotated[float, typer.Option(help="Show tests with BH-adjusted p below this.")] = 0.05,
    n_perm: Annotated[int, typer.Option(help="Permutations per test (exact when small).")] = 10_000,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Paired tests of every cell against the γ = 0 cell (same items), BH/Holm corrected.

    Writes RUN/significance.parquet and prints the tests below --alpha.

    Example: biasinherit significance runs/quick --alpha 0.1
    """
    from biasinherit.evaluate._significance import significance as paired_tests

    sig = paired_tests(run_dir, n_perm=n_perm)
    hits = sig[sig["p_adjusted"] < alpha].sort_values("p_adjusted")
    cols = ["task", "metric", "group", "bias_type", "ratio", "mitigation", "seed", "effect"]
    cols += ["p_value", "p_adjusted", "n"]
    if fmt == "json":
        typer.echo(hits[cols].to_json(orient="records", indent=1))
        return
    typer.echo(f"{len(sig)} tests, {len(hits)} with BH-adjusted p < {alpha}")
    if len(hits):
        typer.echo(hits[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    typer.echo(f"wrote {run_dir / 'significance.parquet'}")


# --- commands: mitigate ---


@app.command()
def ablation(
    run_dirs: Annotated[
        list[Path] | None, typer.Argument(help="Run folder(s); e.g. one per seed.")
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option(help="What to compare (--list-measures); default the first bias measure."),
    ] = None,
    recommend: Annotated[
        bool, typer.Option("--recommend", help="Every mitigation's verdict and the pick.")
    ] = False,
    performance: Annotated[
        str | None, typer.Option(help="With --recommend: the task-performance measure.")
    ] = None,
    list_measures: Annotated[
        bool, typer.Option("--list-measures", help="List the measures and exit.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
) -> None:
    """Compare every mitigation with `none` per bias type and γ: means, CIs, p over seeds
    and over test items; --recommend says which mitigation to use and why.

    Example: biasinherit ablation runs/ablation --measure stereotype_gap_weak --format markdown
    """
    from biasinherit.train._measures import ORDER, get_measure, measures_for
    from biasinherit.train._recommend import load_metrics

    if list_measures:
        rows = [(m.name, f"[{m.role}] {m.title}") for m in ORDER]
        return _listing("measures", rows, fmt)
    if not run_dirs:
        raise BiasInheritError("no run folder given", "biasinherit ablation RUN [RUN ...]")
    if fmt not in ("table", "markdown", "json"):
        raise BiasInheritError(f"unknown --format {fmt!r}", "use table, markdown or json")
    metrics = load_metrics(list(run_dirs))
    if recommend:
        from biasinherit.train._recommend import recommend as pick
        from biasinherit.train._recommend import recommendation_lines

        frame = pick(list(run_dirs), bias=measure, performance=performance)
        if fmt == "json":
            typer.echo(frame.to_json(orient="records", indent=1))
            return
        if fmt == "table":
            cols = ["bias_type", "ratio", "mitigation", "delta", "p_holm", "seeds_agree"]
            cols += ["perf_delta", "verdict", "recommended"]
            typer.echo(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        typer.echo("\n".join(recommendation_lines(frame)))
        return
    present = measures_for(metrics)
    m = get_measure(measure) if measure else next((x for x in present if x.role == "bias"), None)
    if m is None or m not in present:
        what = m.name if m else "no known measure"
        raise BiasInheritError(
            f"{what}: no rows in these runs",
            f"measured here: {', '.join(x.name for x in present) or 'nothing'}",
        )
    if fmt == "markdown":
        from biasinherit.report._mitigation_section import ablation_table

        typer.echo(f"### {m.title}\n")
        typer.echo(ablation_table(metrics, list(run_dirs), m))
        return
    from biasinherit.train._ablation import compare_mitigations

    table = compare_mitigations(metrics, task=m.task, metric=m.metric, group=m.group)
    if table.empty:
        raise BiasInheritError(f"no rows for {m.name} at γ > 0", "run cells with γ > 0")
    if fmt == "json":
        typer.echo(table.to_json(orient="records", indent=1))
    else:
        typer.echo(m.title)
        typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


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

    frame = run_status(run_dir)
    if fmt == "json":
        typer.echo(frame.to_json(orient="records", indent=1))
        return
    counts = frame["state"].value_counts().to_dict()
    typer.echo(frame.to_string(index=False))
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]
presets_app = typer.Typer(help="Named presets.", no_args_is_help=True)
bias_app = typer.Typer(help="Bias types (three prompt dimensions + neutral).", no_args_is_help=True)
tasks_app = typer.Typer(help="Evaluation tasks.", no_args_is_help=True)
mit_app = typer.Typer(help="Training-time mitigations.", no_args_is_help=True)
app.add_typer(presets_app, name="presets")
app.add_typer(bias_app, name="bias-types")
app.add_typer(tasks_app, name="tasks")
app.add_typer(mit_app, name="mitigations")


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


def main() -> None:
    """Entry point: run the app; a user mistake is one line on stderr and exit code 2."""
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
        raise


if __name__ == "__main__":
    main()
