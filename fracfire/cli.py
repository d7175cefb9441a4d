"""The ``fracfire`` command line: thin commands over library functions."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(
    name="fracfire",
    help="FracFire: tick-level MES/ES physics engine, realism checks and trading models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


@contextlib.contextmanager
def _clean_errors():
    """Turn expected errors into one red line and exit code 1."""
    try:
        yield
    except (ValueError, TypeError, FileNotFoundError, KeyError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        from rich.markup import escape

        errors.print(f"[bold red]error:[/bold red] {escape(str(message))}", highlight=False,
                     soft_wrap=True)
        raise typer.Exit(code=1) from None


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Output file: .parquet, .csv or .csv.gz.")],
    start: Annotated[str, typer.Option(help="First day (America/New_York), e.g. 2025-01-06.")] = "2025-01-06",
    days: Annotated[int, typer.Option(min=1, help="Number of consecutive days.")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="Random seed (omit for fresh entropy).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="PhysicsConfig YAML file.")] = None,
    initial_price: Annotated[float, typer.Option(help="Starting price (0.25 grid).")] = 5000.0,
    segment_length: Annotated[Optional[int], typer.Option(help="Minutes per state segment.")] = None,
) -> None:
    """Generate synthetic one-minute bars and write them to a file."""
    from fracfire._progress import progress_bar
    from fracfire.data.io import bars_file_kind, write_bars
    from fracfire.physics import PhysicsConfig, PriceGenerator

    with _clean_errors():
        bars_file_kind(out)
        physics = PhysicsConfig.from_yaml(config) if config else PhysicsConfig()
        gen = PriceGenerator(initial_price=initial_price, seed=seed, physics=physics)
        with progress_bar("Generating", days, console) as advance:
            bars = gen.generate_days(start, days, segment_length=segment_length, progress=advance)
        path = write_bars(bars, out)
    console.print(f"Wrote {len(bars):,} bars ({days} days from {start}) to [bold]{path}[/bold]")


@app.command()
def bench(
    days: Annotated[str, typer.Option(help="Comma-separated run lengths in days.")] = "1,30,365",
    repeats: Annotated[int, typer.Option(min=1, help="Repeats per case (best kept).")] = 5,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write results as JSON.")] = None,
) -> None:
    """Benchmark generation speed against numpy's random-number floor."""
    from rich.table import Table

    from fracfire._atomic import write_text_atomic
    from fracfire.benchmark import benchmark_generation

    with _clean_errors():
        try:
            counts = tuple(int(d) for d in days.split(","))
        except ValueError:
            raise ValueError(f"--days must be comma-separated integers; got {days!r}") from None
        first, timings = benchmark_generation(counts, repeats=repeats)
    table = Table(title="Generation vs random-number floor (best of %d)" % repeats)
    for column in ("days", "bars", "seconds", "bars/s", "variates", "floor s", "x floor"):
        table.add_column(column, justify="right")
    for t in timings:
        table.add_row(str(t.days), f"{t.bars:,}", f"{t.seconds:.4f}", f"{t.bars_per_second:,.0f}",
                      f"{t.variates:,}", f"{t.floor_seconds:.4f}", f"{t.floor_ratio:.2f}")
    console.print(table)
    console.print(f"first call (numba compile or cache load + one day): {first:.3f} s")
    if json_out:
        payload = {"first_call_seconds": first, "timings": [t.to_dict() for t in timings]}
        write_text_atomic(json_out, json.dumps(payload, indent=2))


@app.command()
def chart(
    bars: Annotated[Path, typer.Argument(help="Bars file (.parquet, .csv, .csv.gz).")],
    out: Annotated[Path, typer.Option(help="Image to write (.png, .svg, .pdf).")],
    timeframe: Annotated[Optional[str], typer.Option(help="Resample first, e.g. 5min, 4h, 1D.")] = None,
    title: Annotated[Optional[str], typer.Option(help="Chart title.")] = None,
) -> None:
    """Draw a candlestick chart of a bars file (states and sessions when labelled)."""
    from fracfire.data.io import read_bars
    from fracfire.viz import quick_chart

    with _clean_errors():
        quick_chart(read_bars(bars), title=title, save_path=out, timeframe=timeframe)
    console.print(f"Wrote [bold]{out}[/bold]")


@app.command("plot-trades")
def plot_trades_command(
    scenario_dir: Annotated[Path, typer.Argument(help="Folder with synthetic_1m.csv and summary.json.")],
) -> None:
    """Overlay a setup run's trades on its one-minute candles (writes trade_plot.png)."""
    from fracfire.data.io import read_bars
    from fracfire.viz import plot_trades

    with _clean_errors():
        summary_path = scenario_dir / "summary.json"
        if not summary_path.exists():
            raise FileNotFoundError(f"{summary_path} not found (write it with `fracfire setups run`)")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or "outcomes" not in summary:
            raise ValueError(f"{summary_path} has no 'outcomes' list")
        out = scenario_dir / "trade_plot.png"
        plot_trades(read_bars(scenario_dir / "synthetic_1m.csv"), summary["outcomes"], save_path=out)
    console.print(f"Wrote [bold]{out}[/bold]")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run folder to report on.")],
    out: Annotated[Optional[Path], typer.Option(help="HTML file (default RUN_DIR/report.html).")] = None,
    screenshot: Annotated[bool, typer.Option(help="Also save a PNG screenshot (needs Chromium).")] = False,
) -> None:
    """Build one self-contained report.html from whatever a run produced."""
    from fracfire.report import build_report
    from fracfire.report import screenshot as take_screenshot

    with _clean_errors():
        path = build_report(run_dir, out)
        console.print(f"Wrote [bold]{path}[/bold]")
        if screenshot:
            shot = take_screenshot(path, path.with_suffix(".png"))
            console.print(f"Wrote [bold]{shot}[/bold]")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Run the main job end to end (what `make demo` runs)."""
    from fracfire.demo import run_demo

    with _clean_errors():
        run_demo(out, seed=seed, console=console)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``fracfire``)."""
    app(args=argv, prog_name="fracfire")
