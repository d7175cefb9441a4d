"""Chart appearance (:class:`ChartConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from fracfire._validation import check_int, check_real

__all__ = ["ChartConfig", "SESSION_COLORS", "STATE_COLORS"]

STATE_COLORS: dict[str, str] = {
    "ranging": "#607d8b",
    "flat": "#9e9e9e",
    "zombie": "#8d6e63",
    "rally": "#2e7d32",
    "impulsive": "#f9a825",
    "breakdown": "#c62828",
    "breakout": "#1565c0",
}
"""Annotation colour of each built-in state (custom states cycle through a palette)."""

SESSION_COLORS: dict[str, str] = {
    "asian": "#e3f2fd",
    "london": "#f3e5f5",
    "premarket": "#fff8e1",
    "rth": "#e8f5e9",
    "afterhours": "#fbe9e7",
}
"""Background shading of each session."""


def _color(name: str, value: str) -> str:
    from matplotlib.colors import is_color_like

    if not is_color_like(value):
        raise ValueError(f"ChartConfig.{name} must be a matplotlib colour; got {value!r}")
    return value


@dataclass(frozen=True)
class ChartConfig:
    """How :class:`ChartVisualizer` draws bars (frozen, validated).

    Parameters
    ----------
    figsize : tuple of float, default (20, 10)
        Figure size in inches.
    color_up, color_down : str
        Candle colours for closes above / below the open.
    show_volume : bool, default True
        Draw a volume panel under the prices.
    show_state_changes : bool, default True
        Mark every change of ``state`` with a dashed line and a label coloured by state.
    show_session_changes : bool, default True
        Shade the background by ``session`` (one colour per session, with a legend).
    timeframe : str, optional
        Resample before drawing (``'5min'``, ``'4h'``, ``'1D'``, ...).
    dpi : int, default 100
        Resolution of saved images.
    max_state_labels : int, default 80
        Above this many state changes, only the lines are drawn (labels would overlap).
    state_colors, session_colors : dict
        Colour overrides merged over :data:`STATE_COLORS` / :data:`SESSION_COLORS`.
    """

    figsize: tuple[float, float] = (20.0, 10.0)
    color_up: str = "#26a69a"
    color_down: str = "#ef5350"
    show_volume: bool = True
    show_state_changes: bool = True
    show_session_changes: bool = True
    timeframe: str | None = None
    dpi: int = 100
    max_state_labels: int = 80
    state_colors: dict = field(default_factory=dict)
    session_colors: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.figsize, tuple) and len(self.figsize) == 2):
            raise ValueError(f"ChartConfig.figsize must be a (width, height) tuple; got {self.figsize!r}")
        for i, side in enumerate(("width", "height")):
            check_real(f"ChartConfig.figsize {side}", self.figsize[i], low=0.5, high=200.0)
        for name in ("color_up", "color_down"):
            _color(name, getattr(self, name))
        for name in ("show_volume", "show_state_changes", "show_session_changes"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"ChartConfig.{name} must be a bool; got {getattr(self, name)!r}")
        if self.timeframe is not None:
            from fracfire.data.resample import timeframe_minutes

            timeframe_minutes(self.timeframe)
        check_int("ChartConfig.dpi", self.dpi, low=20, high=600)
        check_int("ChartConfig.max_state_labels", self.max_state_labels, low=0)
        for name in ("state_colors", "session_colors"):
            for key, value in dict(getattr(self, name)).items():
                _color(f"{name}[{key!r}]", value)

    def replace(self, **changes) -> "ChartConfig":
        """Return a copy with some fields changed."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"ChartConfig has no field(s) {unknown}; fields are {sorted(known)}")
        return ChartConfig(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})
