"""Commands on models: train, fine-tune, stream predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from fracfire.cli._common import (
    _clean_errors,
    _print_frame,
    app,
    console,
    errors,
    progress_bar_for,
)


@app.command()
def train(config: Annotated[Path, typer.Option(help="Training YAML (see configs/synthetic_pretrain.yaml).")]) -> None:
    """Pre-train a model from a YAML experiment config (tracked in MLflow)."""
    _run_config(config, "train")


@app.command()
def finetune(
    config: Annotated[Optional[Path], typer.Option(help="Fine-tuning YAML (see configs/real_finetune.yaml).")] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(help="Model registry folder (or a model file to start one): fine-tune its latest version."),
    ] = None,
    real: Annotated[Optional[Path], typer.Option(help="New real bars for --resume.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs for --resume.")] = 5,
    lr: Annotated[float, typer.Option(help="Learning rate for --resume.")] = 1e-4,
) -> None:
    """Fine-tune a saved model: from a YAML config, or continuously (--resume REGISTRY --real NEW_FILE)."""
    if config is not None:
        if resume is not None or real is not None:
            with _clean_errors():
                raise ValueError("pass --config FILE, or --resume REGISTRY --real NEW_FILE, not both")
        _run_config(config, "finetune")
        return
    with _clean_errors():
        if resume is None or real is None:
            raise ValueError("pass --config FILE, or --resume REGISTRY --real NEW_FILE")
        from fracfire._resources import check_writable
        from fracfire._validation import check_real
        from fracfire.data.real import load_continuous_contract
        from fracfire.inference import ModelRegistry

        check_real("--lr", lr, low=0.0, low_open=True)
        bars = load_continuous_contract(real)  # before the registry is created: a bad file leaves nothing behind
        registry = ModelRegistry.for_resume(resume)
        check_writable(registry.path, folder=True)  # before the fine-tuning, not after it
        path = registry.finetune_latest(bars, data=str(real), epochs=epochs, lr=lr)
    console.print(f"New version [bold]{path}[/bold] ({len(registry.versions())} versions kept in {registry.path})")


@app.command()
def infer(
    model: Annotated[Path, typer.Option(help="Saved StateDetector (or a registry folder: its latest version).")],
    bars: Annotated[str, typer.Option(help="Bars file, or '-' for CSV on stdin (time,open,high,low,close,volume).")],
    zone_model: Annotated[Optional[Path], typer.Option(help="Saved ZoneDetector.")] = None,
    rule: Annotated[Optional[Path], typer.Option(help="Decision rule YAML (entries are emitted too).")] = None,
    output: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Stream predictions bar by bar (JSON lines or CSV on stdout); bad bars are reported and skipped."""
    import sys

    from fracfire.inference import DecisionRule, LiveStateEngine, ModelRegistry, load_rule

    with _clean_errors():
        if output not in ("jsonl", "csv"):
            raise ValueError(f"--format must be jsonl or csv; got {output!r}")
        path = ModelRegistry(model).latest() if model.is_dir() else model
        engine = LiveStateEngine(path, zone_model)
        decision: DecisionRule | None = load_rule(rule) if rule else None
        known = [str(c) for c in engine.model.classes_]
        if decision is not None and decision.state not in known:
            raise ValueError(
                f"{rule}: state {decision.state!r} is not a state the model predicts ({known}); "
                "the rule would never fire"
            )
        if bars == "-":
            rows = _stdin_rows(sys.stdin)
        else:
            import warnings

            from fracfire.data.real import load_continuous_contract

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = load_continuous_contract(Path(bars), strict=False)
            if len(frame) > 1:
                from fracfire.data.checks import require_bar_minutes

                require_bar_minutes(frame, 1, f"{bars}: inference (the models read one-minute bars)")
            for line in frame.attrs["validation"].repairs:
                errors.print(f"{bars}: {line}", markup=False, highlight=False, soft_wrap=True)
            rows = (
                (n, r)
                for n, r in enumerate(
                    frame[["time", "open", "high", "low", "close", "volume"]].to_dict("records"), start=1
                )
            )
        _stream(engine, rows, decision, output)


def _stdin_rows(stream):
    """``(line number, record)`` for each CSV line after the header; a line with the wrong
    number of fields is reported on stderr and skipped, never the end of the stream.

    Each line is parsed on its own: a stray quote spoils its line, never the lines after it
    (a live feed has no multi-line fields).
    """
    import csv

    first = stream.readline()
    if not first.strip():
        return
    header = next(csv.reader([first]))
    names = [h.strip().lower() for h in header]
    names[0] = names[0].removeprefix("\ufeff")  # a byte-order mark from a spreadsheet export
    if not {"open", "close"} <= set(names):
        raise ValueError(
            f"stdin line 1 must be a header naming the fields (time,open,high,low,close,volume); "
            f"got {first.strip()[:80]!r}"
        )
    for line, text in enumerate(stream, start=2):
        if not text.strip():
            continue
        record = next(csv.reader([text.rstrip("\r\n")]))
        if len(record) != len(names):
            errors.print(
                f"line {line}: skipped, expected {len(names)} fields ({','.join(names)}), got {len(record)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            continue
        yield line, dict(zip(names, record, strict=True))


def _stream(engine, rows, decision, output: str) -> None:
    import csv
    import sys

    writer = csv.writer(sys.stdout) if output == "csv" else None
    if writer:
        writer.writerow(["type", "time", "state", "confidence", "zone_proba", "direction", "entry", "stop", "target"])
    last_entry = None
    for line, row in rows:
        try:
            prediction = engine.update(row)
        except ValueError as exc:
            errors.print(f"line {line}: skipped bar: {exc}", markup=False, highlight=False, soft_wrap=True)
            continue
        entry = decision.entry(prediction, float(row["close"]), last_entry) if decision else None
        if writer:
            writer.writerow(
                [
                    "prediction",
                    prediction.time,
                    prediction.state,
                    f"{prediction.confidence:.6f}",
                    prediction.zone_proba,
                    "",
                    "",
                    "",
                    "",
                ]
            )
            if entry:
                writer.writerow(
                    [
                        "entry",
                        entry.time,
                        prediction.state,
                        "",
                        "",
                        entry.direction,
                        entry.entry_price,
                        entry.stop_price,
                        entry.target_price,
                    ]
                )
        else:
            print(json.dumps({"type": "prediction", **prediction.to_dict()}))
            if entry:
                print(json.dumps({"type": "entry", **entry.to_dict()}, default=str))
        if entry:
            last_entry = entry.time
        sys.stdout.flush()


def _run_config(config: Path, kind: str) -> None:
    import functools

    from fracfire.training import FinetuneConfig, TrainConfig, load_config, run_finetune, run_training, setup_logging
    from fracfire.training.train import _BACKEND

    with _clean_errors():
        if kind == "train":
            train_cfg = load_config(config, TrainConfig)
            setup_logging(train_cfg.log_path())
            epochs, has_epochs = train_cfg.model.epochs, _BACKEND.get(train_cfg.model.type) == "neural"
            run = functools.partial(run_training, train_cfg, config)
        else:
            tune_cfg = load_config(config, FinetuneConfig)
            setup_logging(tune_cfg.log_path())
            epochs, has_epochs = tune_cfg.epochs, tune_cfg.model_type == "StateDetector"
            run = functools.partial(run_finetune, tune_cfg, config)
        if has_epochs:
            with progress_bar_for(f"{kind}: {config.name}", epochs) as advance:
                result = run(progress=lambda done, total, loss: advance(done, total))
        else:  # a forest or booster fits in one go: a spinner, not an epoch bar that never moves
            with console.status(f"{kind}: {config.name} (one fit, no epochs)"):
                result = run()
    import pandas as pd

    console.print(f"Model: [bold]{result.model_path}[/bold]; MLflow run {result.run_id}")
    if result.stopped not in (None, "epochs"):  # it ended early: say why (the model may be the base model)
        console.print(f"[yellow]Fine-tuning stopped early: {result.stopped}[/yellow] (StateDetector.finetune_stopped_)")
    _print_frame("Validation metrics", pd.DataFrame({"value": result.metrics}))
