"""Experiment tracking with MLflow and logging to console and a rotating file."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

__all__ = ["setup_logging", "tracking_run"]


def setup_logging(log_dir: str | os.PathLike = "out/logs", level: int = logging.INFO) -> Path:
    """Log ``fracfire.*`` to the console and to ``<log_dir>/fracfire.log`` (rotating, 5 x 2 MB)."""
    path = Path(log_dir) / "fracfire.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("fracfire")
    logger.setLevel(level)
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path.resolve()
               for h in logger.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    return path


def _uri(uri: str | None) -> str:
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    # The local ./mlruns file store is our default; mlflow 3 wants an explicit opt-in for it.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return Path("mlruns").resolve().as_uri()


@contextlib.contextmanager
def tracking_run(experiment: str, run_name: str, uri: str | None = None):
    """An MLflow run (local ``./mlruns`` unless ``uri`` or ``$MLFLOW_TRACKING_URI`` says otherwise)."""
    import mlflow

    mlflow.set_tracking_uri(_uri(uri))
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        yield run
