"""The outcome of a calibration (:func:`~fracfire.realism.calibration.calibrate`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fracfire.physics import PhysicsConfig
from fracfire.runs import RunLayout, records, write_json

__all__ = ["CalibrationResult"]


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of :func:`~fracfire.realism.calibration.calibrate`.

    Attributes
    ----------
    config, start : PhysicsConfig
        The calibrated knobs and those the search started from.
    moments : pandas.DataFrame
        One row per intraday moment: ``real`` (training slice), ``start`` and
        ``fitted`` (synthetic, mean over seeds), ``tolerance`` (NaN for the
        volume levels, :data:`LEVEL_MOMENTS`, matched rather than searched), and the same
        on the held-out slice (``held_out_real``, ``held_out_start``,
        ``held_out_fitted``).
    daily_moments : pandas.DataFrame or None
        The same for the multi-day moments, when the day-to-day knobs were fitted.
    train_before, train_after, validation_before, validation_after : float
        Moment distance of ``start`` and ``config`` on the training and held-out slices.
    real_drift : float
        Moment distance between the real training and held-out slices
        themselves: how much the market changed between them, the scale to
        read ``validation_after`` against.
    evaluations : int
        Engine runs of the searches.
    seconds : float
        Wall time.
    train_days, validation_days : int
        Trading sessions in each slice.
    discriminator_start, discriminator_fitted : float
        Accuracy of the window classifier telling the training slice from the
        start config (its volume level matched) and from ``config``, mean over
        :data:`~fracfire.realism.calibration.CHECK_RUNS` runs (0.5 =
        indistinguishable); the fit is kept only if it is not worse by more
        than :data:`~fracfire.realism.calibration.DISCRIMINATOR_MARGIN`.
    notes : tuple of str
        What was fitted from what, and what was kept.
    """

    config: PhysicsConfig
    start: PhysicsConfig
    moments: pd.DataFrame = field(repr=False)
    daily_moments: pd.DataFrame | None = field(repr=False)
    train_before: float
    train_after: float
    validation_before: float
    validation_after: float
    real_drift: float
    evaluations: int
    seconds: float
    train_days: int
    validation_days: int
    discriminator_start: float = float("nan")
    discriminator_fitted: float = float("nan")
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines: distances before and after on both slices, and the notes."""
        lines = [
            f"moment distance, train ({self.train_days} sessions): {self.train_before:.1f} -> {self.train_after:.1f}",
            f"moment distance, held out ({self.validation_days} sessions): {self.validation_before:.1f} -> "
            f"{self.validation_after:.1f} (real training vs real held-out slice: {self.real_drift:.1f})",
            f"window classifier accuracy on the training slice (0.5 = indistinguishable): start "
            f"{self.discriminator_start:.3f}, fitted {self.discriminator_fitted:.3f}",
            f"{self.evaluations} engine evaluations in {self.seconds:.0f} s",
            *self.notes,
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready: both configs, the distances, the moment tables and the notes."""
        return {
            "config": self.config.to_dict(),
            "start": self.start.to_dict(),
            "distance": {
                "train_before": self.train_before,
                "train_after": self.train_after,
                "validation_before": self.validation_before,
                "validation_after": self.validation_after,
                "real_drift": self.real_drift,
            },
            "sessions": {"train": self.train_days, "validation": self.validation_days},
            "discriminator": {"start": self.discriminator_start, "fitted": self.discriminator_fitted},
            "evaluations": self.evaluations,
            "seconds": self.seconds,
            "moments": records(self.moments.rename_axis("moment")),
            "daily_moments": None if self.daily_moments is None else records(self.daily_moments.rename_axis("moment")),
            "notes": list(self.notes),
        }

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write the calibrated ``physics.yaml`` and ``calibration.json`` (:meth:`to_dict`) to ``folder``,
        atomically (names from :class:`fracfire.runs.RunLayout`); file name -> path."""
        files = RunLayout(Path(folder))
        paths = [self.config.to_yaml(files.physics), write_json(files.calibration, self.to_dict())]
        return {path.name: path for path in paths}
