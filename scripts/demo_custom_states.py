"""Extreme custom states (flash crash, melt up, news spike), charted.

Run: ``python scripts/demo_custom_states.py`` (writes ``out/charts/``).
"""

from pathlib import Path

from fracfire import CUSTOM_STATES, MarketState, PriceGenerator, compare_states, quick_chart

OUT = Path("out/charts")


def main() -> None:
    gen = PriceGenerator(initial_price=5000.0, seed=11)
    sequence = [
        (0, MarketState.RANGING),
        (570, CUSTOM_STATES["news_spike"]),
        (580, MarketState.RANGING),
        (660, CUSTOM_STATES["flash_crash"]),
        (675, MarketState.IMPULSIVE),
        (700, CUSTOM_STATES["melt_up"]),
        (760, MarketState.RANGING),
    ]
    day = gen.generate_day("2025-01-08", state_sequence=sequence)
    print(compare_states(day).round(2).to_string())
    rth = day.iloc[540:800]
    quick_chart(rth, title="Custom states: news spike, flash crash, melt up", save_path=OUT / "demo_custom_states.png")
    print(f"Chart in {OUT}/demo_custom_states.png")


if __name__ == "__main__":
    main()
