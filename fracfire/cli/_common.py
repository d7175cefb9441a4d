"""What every ``fracfire`` command shares: the app, the consoles, clean errors, tables, physics configs."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from fracfire.exceptions import MissingExtraError

app = typer.Typer(
    name="fracfire",
    help="FracFire: tick-level MES/ES physics engine, realism checks and trading models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from fracfire import __version__

        console.print(f"fracfire {__version__}", highlight=False)
        raise typer.Exit()


def _plain_warning(message, category, filename, lineno, line=None) -> str:
    """FracFire's own warnings as one plain line (not Python's file, line and source)."""
    from fracfire.exceptions import FracFireWarning

    if issubclass(category, FracFireWarning):
        return f"warning: {message}\n"
    return _PYTHON_FORMAT(message, category, filename, lineno, line)


_PYTHON_FORMAT = warnings.formatwarning


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """FracFire: tick-level MES/ES physics engine, realism checks and trading models."""
    warnings.formatwarning = _plain_warning


@contextlib.contextmanager
def _clean_errors():
    """Turn expected errors into one red line and exit code 1."""
    try:
        yield
    except (
        ValueError,
        TypeError,
        OSError,
        KeyError,
        RuntimeError,
        MemoryError,  # ConfigError: ValueError
        MissingExtraError,
    ) as exc:
        _fail(_one_line(exc))


def _one_line(exc: BaseException) -> str:
    """The message of an expected error, as one line (system errors name their file)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    if isinstance(exc, MemoryError):
        return str(exc) if exc.args else "out of memory; ask for less at once"
    return str(exc)


def _fail(message: str) -> None:
    """Print one red error line on stderr and exit with code 1."""
    from rich.markup import escape

    errors.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1) from None


def _names(text: str) -> tuple[str, ...]:
    """The non-empty, stripped entries of a comma-separated option."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _int_list(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{option} must be comma-separated integers; got {text!r}") from None


def _seed_list(text: str, option: str = "--seeds") -> tuple[int, ...]:
    """Comma-separated engine seeds: integers >= 0, each once (a repeated seed would weigh its luck twice)."""
    seeds = _int_list(text, option)
    negative = [s for s in seeds if s < 0]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if negative or repeated:
        raise ValueError(f"{option} must be distinct integers >= 0; got {text!r}")
    return seeds


def _sizes(text: str, option: str = "--sizes") -> tuple[int | str, ...]:
    """Comma-separated session counts (whole numbers >= 1) or 'all'."""
    sizes: list[int | str] = []
    for part in _names(text):
        if part == "all":
            sizes.append(part)
        elif part.isdigit() and int(part) >= 1:
            sizes.append(int(part))
        else:
            raise ValueError(f"{option} takes session counts >= 1 or 'all', comma-separated; got {part!r} in {text!r}")
    if not sizes:
        raise ValueError(f"{option} is empty; give session counts >= 1 or 'all', comma-separated")
    return tuple(sizes)


def _load_physics(config: Optional[Path]):
    from fracfire.physics import PhysicsConfig

    return PhysicsConfig.from_yaml(config) if config else PhysicsConfig()


CALIBRATED_CONFIG = Path("configs/physics_calibrated.yaml")
"""Where ``fracfire calibrate`` writes by default; the commands comparing against calibrated physics read it
when it exists and no config is given."""


def _calibrated_physics(config: Optional[Path]):
    """``config``, else :data:`CALIBRATED_CONFIG` when it exists, else None (the caller says what that means)."""
    if config is None and not CALIBRATED_CONFIG.exists():
        return None
    return _load_physics(config or CALIBRATED_CONFIG)


def _print_frame(title: str, frame) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("", style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for index, *row in frame.itertuples(name=None):
        label = " / ".join(map(str, index)) if isinstance(index, tuple) else str(index)
        table.add_row(label, *(_cell(v) for v in row))
    console.print(table)


def _cell(value) -> str:
    import numbers

    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"
    return str(value)


def progress_bar_for(description: str, total: int):
    from fracfire._progress import progress_bar

    return progress_bar(description, total, console, unit="epochs")
