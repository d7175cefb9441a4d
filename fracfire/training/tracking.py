"""Experiment tracking with MLflow and logging to console and a rotating file."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fracfire._optional import require

__all__ = ["run_link", "setup_logging", "tracking_run"]


def setup_logging(log_dir: str | os.PathLike = "out/logs", level: int = logging.INFO) -> Path:
    """Log ``fracfire.*`` to the console and to ``<log_dir>/fracfire.log`` (rotating, 5 x 2 MB)."""
    path = Path(log_dir) / "fracfire.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("fracfire")
    logger.setLevel(level)
    if not any(
        isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path.resolve()
        for h in logger.handlers
    ):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    return path


def _uri(uri: str | None) -> str:
    """The tracking URI to use: ``uri``, else ``$MLFLOW_TRACKING_URI``, else ``./mlruns``."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or Path("mlruns").resolve().as_uri()
    scheme = uri.split(":", 1)[0].lower() if ":" in uri and not Path(uri).is_absolute() else ""
    if ":" in uri and not Path(uri).is_absolute() and not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        # MLflow would make a folder named like this (e.g. '::::') instead of refusing it
        raise RuntimeError(
            f"MLflow tracking at {uri!r} is unusable: neither a folder nor a URI "
            "(e.g. ./mlruns, file:///path/mlruns or http://localhost:5000)"
        )
    if scheme in ("", "file"):
        # A local file store (our default, or a user's file: URI); mlflow 3 wants an explicit opt-in for it.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    elif scheme in ("http", "https"):
        # Fail in seconds, not minutes of retries, when the server is down.
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    return uri


@contextlib.contextmanager
def tracking_run(experiment: str, run_name: str, uri: str | None = None) -> Iterator[Any]:
    """An MLflow run (local ``./mlruns`` unless ``uri`` or ``$MLFLOW_TRACKING_URI`` says otherwise).

    The run is opened before the caller's work starts, so an unusable tracking
    URI fails at once with a ``RuntimeError`` naming it.
    """
    mlflow = require("mlflow", "Experiment tracking")
    MlflowException = require("mlflow.exceptions", "Experiment tracking").MlflowException

    target = _uri(uri)
    try:
        mlflow.set_tracking_uri(target)
        mlflow.set_experiment(experiment)
        run = mlflow.start_run(run_name=run_name)
    except (MlflowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"MLflow tracking at {target!r} is unusable: {first}") from None
    with run:
        yield run


def run_link(run) -> dict:
    """Where to find an MLflow run: ids, tracking URI, a link and the command that browses it.

    A local file store links to the run's folder; a server links to its page.
    """
    mlflow = require("mlflow", "Experiment tracking")

    uri = mlflow.get_tracking_uri()
    info = run.info
    experiment = mlflow.get_experiment(info.experiment_id)
    if uri.startswith(("http://", "https://")):
        link = f"{uri.rstrip('/')}/#/experiments/{info.experiment_id}/runs/{info.run_id}"
        command = f"open {link}"
    else:
        root = Path(uri.removeprefix("file://")) if uri.startswith("file:") else Path(uri)
        link = (root / info.experiment_id / info.run_id).resolve().as_uri()
        command = f"mlflow ui --backend-store-uri {uri}  (needs the full 'mlflow' package)"
    return {
        "run_id": info.run_id,
        "experiment": experiment.name if experiment else info.experiment_id,
        "experiment_id": info.experiment_id,
        "tracking_uri": uri,
        "link": link,
        "ui_command": command,
    }
