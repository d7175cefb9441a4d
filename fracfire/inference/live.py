"""Production inference: one bar at a time (:class:`LiveStateEngine`)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fracfire._optional import require
from fracfire.data.features import feature_array, feature_names
from fracfire.schema import EARLIEST_TIME, LATEST_TIME, TICK_SIZE, TIMEZONE, bad_values

__all__ = ["LiveStateEngine", "Prediction"]


MAX_FUTURE = pd.Timedelta(days=1)
"""Default of how far after the clock a streamed bar may be dated."""


@dataclass(frozen=True)
class Prediction:
    """What the engine says after a bar."""

    time: pd.Timestamp
    state: str
    confidence: float
    proba: dict
    zone_proba: float | None = None

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {
            "time": str(self.time),
            "state": self.state,
            "confidence": self.confidence,
            "proba": self.proba,
            "zone_proba": self.zone_proba,
        }


class LiveStateEngine:
    """Stream bars through a saved StateDetector (and optionally a ZoneDetector).

    Keeps only the last ``max(windows) + window`` bars, so each :meth:`update`
    costs the same whatever the history length. The features of the newest
    bar are computed with numpy from that buffer and equal the batch
    :func:`~fracfire.data.features.extract_features` (to float rounding), so
    streaming predictions match batch ``predict`` on the same bars.

    Parameters
    ----------
    model_path : str or PathLike
        A saved :class:`~fracfire.models.StateDetector`.
    zone_model_path : str or PathLike, optional
        A saved :class:`~fracfire.models.ZoneDetector`.
    windows : tuple of int
        Feature windows the models were trained with.
    previous_close : float, optional
        Close before the first streamed bar (its ``delta``); without it the
        first bar's delta is measured from its own open, as the real-data loader does.
    max_future : pandas.Timedelta
        A bar dated more than this after ``clock()`` is rejected: one
        mistyped year must not make every later bar "out of order".
    clock : callable, optional
        Returns the current time (tz-aware); default the system clock.
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        zone_model_path: str | os.PathLike | None = None,
        windows: Sequence[int] = (5, 15, 60),
        previous_close: float | None = None,
        max_future: pd.Timedelta = MAX_FUTURE,
        clock: Callable[[], pd.Timestamp] | None = None,
    ) -> None:
        from fracfire.models import StateDetector, ZoneDetector

        self.model = StateDetector.load(model_path)
        self.zone_model = ZoneDetector.load(zone_model_path) if zone_model_path else None
        self.windows = tuple(int(w) for w in windows)
        if self.model.n_features_in_ != len(feature_names(self.windows)):
            raise ValueError(
                f"the model expects {self.model.n_features_in_} features; windows {self.windows} give "
                f"{len(feature_names(self.windows))}"
            )
        self.longest = max(self.windows)
        models = [m for m in (self.model, self.zone_model) if m is not None]
        self._context = max(m.window if m.backend == "neural" else 1 for m in models)
        self._capacity = self.longest + self._context
        self._bars = np.empty((0, 7))  # open, high, low, close ticks, volume, delta ticks, minute of day
        self._features = np.empty((0, len(feature_names(self.windows))))
        self._last_time: pd.Timestamp | None = None
        self._prev_close: int | None = int(round(previous_close / TICK_SIZE)) if previous_close is not None else None
        self.bars_seen = 0
        self._fast = {id(m): self._compile(m) for m in models}
        self.max_future = pd.Timedelta(max_future)
        self._clock = clock if clock is not None else (lambda: pd.Timestamp.now(tz="UTC"))

    # ------------------------------------------------------------------ input checks
    def _parse(self, bar) -> tuple[pd.Timestamp, np.ndarray]:
        get = bar.get if isinstance(bar, dict) else (lambda k, d=None: bar[k] if k in bar else d)
        missing = [k for k in ("time", "open", "high", "low", "close", "volume") if get(k) is None]
        if missing:
            raise ValueError(f"bar is missing {missing}: {dict(bar) if not isinstance(bar, dict) else bar}")
        time = self._time(get("time"))
        values = []
        for key in ("open", "high", "low", "close", "volume"):
            try:
                values.append(float(get(key)))  # type: ignore[arg-type]  # None raised above
            except (TypeError, ValueError):
                raise ValueError(f"bar at {time}: {key} {get(key)!r} is not a number") from None
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"bar at {time} has a non-finite value: {values}")
        impossible, reason = bad_values(np.array([values[:4]]), np.array(values[4:]))
        if impossible[0]:
            raise ValueError(f"bar at {time}: {reason.replace(' in row 0', '')}")
        o, h, lo, c, v = values
        if not (lo <= min(o, c) and max(o, c) <= h):
            raise ValueError(f"bar at {time} breaks low <= open, close <= high: {values[:4]}")
        if v <= 0:
            raise ValueError(f"bar at {time} has volume {v}; volume must be > 0")
        now = self._clock()
        if time > now + self.max_future:
            raise ValueError(
                f"bar at {time} is dated after now ({now.tz_convert(TIMEZONE):%Y-%m-%d %H:%M %Z}) + "
                f"{self.max_future}; rejected so that it cannot make later bars look out of order"
            )
        if self._last_time is not None and time <= self._last_time:
            raise ValueError(f"bar at {time} is not after the previous bar ({self._last_time}); out of order")
        scaled = np.array([o, h, lo, c]) / TICK_SIZE
        ticks = np.rint(scaled)
        off = np.abs(scaled - ticks) > 1e-6
        if off.any():
            name = ("open", "high", "low", "close")[int(np.flatnonzero(off)[0])]
            raise ValueError(
                f"bar at {time}: {name} {values[int(np.flatnonzero(off)[0])]!r} is off the {TICK_SIZE} tick grid"
            )
        return time, np.array([*ticks, v])

    def _time(self, value) -> pd.Timestamp:
        """A bar's time in America/New_York. Naive times are New York wall clock: in the hour the autumn
        change repeats, the first reading after the previous bar is taken; a time the spring change skips
        is an error."""
        try:
            time = pd.Timestamp(value)
        except (TypeError, ValueError, OverflowError):
            time = pd.NaT
        if pd.isna(time):
            raise ValueError(f"bar time {value!r} is not a timestamp")
        if time.tzinfo is None:
            readings = [
                r
                for r in (time.tz_localize(TIMEZONE, ambiguous=dst, nonexistent="NaT") for dst in (True, False))
                if not pd.isna(r)
            ]
            if not readings:
                raise ValueError(
                    f"bar time {value!r} does not exist in {TIMEZONE} (skipped by the spring DST "
                    "change); send times with a UTC offset"
                )
            later = [r for r in readings if self._last_time is None or r > self._last_time]
            time = (later or readings)[0]
        else:
            time = time.tz_convert(TIMEZONE)
        if not EARLIEST_TIME <= time.tz_localize(None) < LATEST_TIME:
            raise ValueError(f"bar time {value!r} is outside {EARLIEST_TIME.year}-{LATEST_TIME.year}")
        if time.second or time.microsecond or time.nanosecond:
            raise ValueError(f"bar time {value!r} is not on a whole minute; one-minute bars start at :00 seconds")
        return time

    # ------------------------------------------------------------------ features
    def _newest_features(self, bars: np.ndarray) -> np.ndarray:
        o, h, lo, c, v, d, minute = bars.T
        return feature_array(o, h, lo, c, v, d, minute, self.windows, last=True)[0]

    # ------------------------------------------------------------------ API
    def update(self, bar: Mapping | pd.Series) -> Prediction:
        """Add one bar (``time, open, high, low, close, volume``; a dict or a Series) and predict.

        A bad bar (missing field, NaN, broken OHLC, non-positive volume, not
        after the previous bar) raises ``ValueError`` and leaves the engine as it was.
        """
        time, values = self._parse(bar)
        prev = self._prev_close if self._prev_close is not None else values[0]
        row = np.array([*values, values[3] - prev, time.hour * 60 + time.minute])  # ET minute of day: time is ET
        bars = np.vstack([self._bars, row])[-self._capacity :]
        features = np.vstack([self._features, self._newest_features(bars)])[-self._context :]
        proba = self._proba(self.model, features)
        zone = None
        if self.zone_model is not None:
            zone_p = self._proba(self.zone_model, features)
            none = np.flatnonzero(self.zone_model.classes_ == "none")
            zone = float(1.0 - zone_p[none[0]]) if len(none) else float(zone_p.sum())
        # Commit the new state only after everything succeeded.
        self._bars, self._features = bars, features
        self._last_time, self._prev_close = time, int(values[3])
        self.bars_seen += 1
        best = int(np.argmax(proba))
        return Prediction(
            time,
            str(self.model.classes_[best]),
            float(proba[best]),
            {str(k): float(p) for k, p in zip(self.model.classes_, proba, strict=True)},
            zone,
        )

    @staticmethod
    def _compile(model):
        """What scores one bar fast: the neural net built once, or the trees packed for the numba kernel
        (None: the estimator itself, when its trees cannot be packed exactly)."""
        if model.backend == "neural":
            return model._net()
        from fracfire.models._trees import pack

        rows = model.mean_ + model.scale_ * np.random.default_rng(0).normal(size=(32, model.n_features_in_))
        return pack(model.estimator_, rows)

    def _proba(self, model, features: np.ndarray) -> np.ndarray:
        fast = self._fast[id(model)]
        if model.backend != "neural":
            if fast is not None:
                return fast.predict_proba_row(features[-1])
            with threadpool_limits(limits=1):  # one row: thread start-up would cost more than the work
                return model.estimator_.predict_proba(features[-1:])[0]
        torch = require("torch", "The neural backend")

        scaled = ((features - model.mean_) / model.scale_).astype(np.float32)
        if len(scaled) < model.window:
            scaled = np.vstack([np.repeat(scaled[:1], model.window - len(scaled), axis=0), scaled])
        with torch.no_grad():
            logits, _ = fast(torch.from_numpy(scaled[None, -model.window :]))
            return torch.softmax(logits, dim=1).numpy()[0].astype(np.float64)
