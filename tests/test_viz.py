import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection

from fracfire import ChartConfig, ChartVisualizer, PriceGenerator, plot_trades, quick_chart
from fracfire.data import resample_bars


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def day():
    return PriceGenerator(seed=3).generate_day("2025-01-06")


def test_day_chart_has_candles_volume_states_and_sessions(day, tmp_path):
    path = tmp_path / "day.png"
    fig = ChartVisualizer().create_chart(day, title="a day", save_path=path)
    price, volume = fig.axes
    polys = [c for c in price.collections if isinstance(c, PolyCollection)]
    bodies = [c for c in polys if len(c.get_paths()) == len(day)]
    assert len(bodies) == 1, "one collection for all candle bodies"
    sessions = set(day["session"].astype(str))
    legend = {t.get_text() for t in price.get_legend().get_texts()}
    assert sessions <= legend
    assert set(day["state"].astype(str)) <= legend
    changes = int((day["state"] != day["state"].shift()).sum())
    dashed = [c for c in price.collections if isinstance(c, LineCollection) and len(c.get_segments()) == changes]
    assert dashed, "one line per state change"
    labels = {t.get_text() for t in price.texts}
    assert labels and labels <= set(day["state"].astype(str))
    assert len(volume.collections) == 1 and volume.get_ylabel() == "volume"
    assert price.get_title("left") == "a day"
    assert png_size(path) == (2000, 1000)
    assert path.stat().st_size > 50_000


@pytest.mark.parametrize("timeframe", ["5min", "1h", "4h"])
def test_resampled_charts(day, timeframe):
    fig = quick_chart(day, timeframe=timeframe)
    n = len(resample_bars(day, timeframe))
    assert any(len(c.get_paths()) == n for c in fig.axes[0].collections if isinstance(c, PolyCollection))
    assert timeframe in fig.axes[0].get_title("left")


def test_year_at_daily_resolution(tmp_path):
    year = PriceGenerator(seed=1).generate_days("2025-01-06", 120)
    path = tmp_path / "year.png"
    quick_chart(year, timeframe="1D", save_path=path, show_state_changes=False)
    assert png_size(path) == (2000, 1000)


def test_unlabelled_bars_chart_without_label_layers(day):
    plain = day.drop(columns=["state", "session"])
    fig = quick_chart(plain)
    assert fig.axes[0].get_legend() is None and not fig.axes[0].texts


def test_options_turn_layers_off(day):
    fig = ChartVisualizer(
        ChartConfig(show_volume=False, show_state_changes=False, show_session_changes=False, figsize=(8, 4))
    ).create_chart(day)
    assert len(fig.axes) == 1 and not fig.axes[0].texts
    assert tuple(fig.get_size_inches()) == (8, 4)


@pytest.mark.parametrize(
    "mutate, error, match",
    [
        (lambda d: d.drop(columns=["close"]), ValueError, r"missing \['close'\]"),
        (lambda d: d.iloc[:0], ValueError, "cannot chart empty bars"),
        (lambda d: d.assign(open=np.nan), ValueError, "NaN prices"),
        (lambda d: "not a frame", TypeError, "charts need a bars DataFrame"),
    ],
)
def test_bad_input_is_rejected(day, mutate, error, match):
    with pytest.raises(error, match=match):
        ChartVisualizer().create_chart(mutate(day))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(figsize=(0, 3)), ValueError, "figsize width"),
        (dict(color_up="not-a-colour"), ValueError, "color_up must be a matplotlib colour"),
        (dict(timeframe="7 parsecs"), ValueError, "timeframe must look like"),
        (dict(dpi=5), ValueError, "dpi must be in"),
        (dict(show_volume="yes"), TypeError, "show_volume must be a bool"),
    ],
)
def test_bad_config_is_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        ChartConfig(**kwargs)


def test_bad_save_path(day, tmp_path):
    with pytest.raises(ValueError, match=r"save_path must end in .png"):
        quick_chart(day, save_path=tmp_path / "chart.bmp")


def trades_for(bars):
    t = bars["time"]
    c = bars["close"]
    return [
        {
            "entry": {
                "time": str(t.iloc[10]),
                "direction": "long",
                "kind": "orb",
                "entry_price": c.iloc[10],
                "stop_price": c.iloc[10] - 4,
                "target_price": c.iloc[10] + 8,
            },
            "hit_target": True,
            "hit_stop": False,
            "exit_time": str(t.iloc[40]),
            "r_multiple": 2.0,
        },
        {
            "entry": {
                "time": str(t.iloc[60]),
                "direction": "short",
                "kind": "level_scalp",
                "entry_price": c.iloc[60],
                "stop_price": c.iloc[60] + 3,
                "target_price": c.iloc[60] - 6,
            },
            "hit_target": False,
            "hit_stop": True,
            "exit_time": str(t.iloc[70]),
            "r_multiple": -1.0,
        },
        {
            "entry": {
                "time": str(t.iloc[100]),
                "direction": "long",
                "kind": "orb",
                "entry_price": c.iloc[100],
                "stop_price": c.iloc[100] - 3,
                "target_price": c.iloc[100] + 6,
            },
            "hit_target": False,
            "hit_stop": False,
            "exit_time": None,
            "r_multiple": 0.0,
        },
    ]


def test_plot_trades_draws_markers_lines_and_labels(day, tmp_path):
    bars = day.iloc[570:700].reset_index(drop=True)
    path = tmp_path / "trades.png"
    fig = plot_trades(bars, trades_for(bars), save_path=path)
    ax = fig.axes[0]
    from matplotlib.collections import PathCollection

    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(c.get_offsets().shape[0] for c in markers) == [1, 2], "2 longs, 1 short"
    assert {t.get_text() for t in ax.texts} == {"orb +2.0R", "level_scalp -1.0R", "orb +0.0R"}
    levels = [c for c in ax.collections if isinstance(c, LineCollection) and len(c.get_segments()) == 3]
    assert len(levels) == 2, "stop and target lines"
    assert "orb: 2" in ax.get_legend().get_title().get_text()
    assert png_size(path) == (2000, 1000)


def test_plot_trades_rejects_bad_outcomes(day):
    bars = day.iloc[:100]
    bad = trades_for(day.iloc[570:700].reset_index(drop=True))
    with pytest.raises(ValueError, match="outside the bars"):
        plot_trades(bars, bad)
    with pytest.raises(ValueError, match="outcome 0 has no 'entry'"):
        plot_trades(bars, [{"hit_target": True}])
    with pytest.raises(ValueError, match="direction must be 'long' or 'short'; got 'up'"):
        plot_trades(bars, [{"entry": {**bad[0]["entry"], "direction": "up"}}])


def test_stylized_facts_figure(tmp_path):
    from fracfire.realism.calendar import synthetic_like
    from fracfire.viz.stylized import plot_stylized_facts

    real = PriceGenerator(seed=11).generate_days("2025-01-06", 3)
    synthetic = synthetic_like(real, None, seed=1)
    fig = plot_stylized_facts(real, synthetic, "FracFire", save_path=tmp_path / "facts.png")
    assert len(fig.axes) == 8
    titles = " ".join(ax.get_title() for ax in fig.axes)
    for part in ("log", "QQ", "ACF of |r|", "Intraday", "Daily range", "realised variance", "Body / range"):
        assert part in titles
    assert png_size(tmp_path / "facts.png")[0] == 1800


def test_interactive_charts_share_the_time_axis():
    from fracfire.viz.interactive import candle_chart, equity_chart

    bars = PriceGenerator(seed=4).generate_days("2025-01-06", 2)
    grid = candle_chart(bars)
    panels = [child[0] for child in grid.children]
    assert len(panels) == 4  # price, volume, state strip, session strip
    assert all(p.x_range is panels[0].x_range for p in panels)
    state = panels[2].renderers[0].data_source.data
    gaps = np.asarray(state["left"][1:]) - np.asarray(state["right"][:-1])
    assert (gaps >= np.timedelta64(0, "m")).all()  # spans never overlap; a weekend breaks a run
    equity = pd.Series(np.linspace(100, 90, len(bars)), index=pd.DatetimeIndex(bars["time"]))
    assert len(equity_chart(equity).children) == 2
    with pytest.raises(ValueError, match="empty"):
        candle_chart(bars.iloc[:0])


@pytest.mark.parametrize("figsize", [(20.0, 10.0), (8.0, 5.0)])
def test_nothing_is_clipped_and_the_legend_stays_off_the_candles(figsize):
    bars = PriceGenerator(seed=3).generate_days("2025-01-06", 1)
    fig = quick_chart(bars, title="A day", figsize=figsize)
    fig.canvas.draw()  # positions of axis labels are settled at draw time
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    price = fig.axes[0]

    def drawn(axis, limits):  # matplotlib keeps labels of ticks beyond the view; it does not draw them
        low, high = sorted(limits)
        return [tick.label1 for tick in axis.get_major_ticks() if low <= tick.get_loc() <= high]

    texts = [
        t
        for ax in fig.axes
        for t in (
            *drawn(ax.xaxis, ax.get_xlim()),
            *drawn(ax.yaxis, ax.get_ylim()),
            ax.yaxis.label,
            ax.title,
            ax._left_title,
        )
        if t.get_text()
    ]
    legend = price.get_legend()
    texts += list(legend.get_texts())
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1, (
            f"{text.get_text()!r} is clipped at {box}"
        )
    assert legend.get_window_extent(renderer).y0 >= price.get_window_extent(renderer).y1 - 1, "legend above the plot"
