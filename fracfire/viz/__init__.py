"""Charts: candlesticks with states and sessions, trade overlays."""

from fracfire.viz.charts import ChartVisualizer, quick_chart, save_figure
from fracfire.viz.compare import compare_windows
from fracfire.viz.config import SESSION_COLORS, STATE_COLORS, ChartConfig
from fracfire.viz.trades import OUTCOME_COLORS, plot_trades, trade_records

__all__ = [
    "ChartConfig",
    "ChartVisualizer",
    "OUTCOME_COLORS",
    "SESSION_COLORS",
    "STATE_COLORS",
    "compare_windows",
    "plot_trades",
    "quick_chart",
    "save_figure",
    "trade_records",
]
