"""A full synthetic day with automatic state transitions, charted.

Run: ``python scripts/demo_price_generation.py`` (writes ``out/charts/``).
"""

from pathlib import Path

from fracfire import PriceGenerator, print_summary, quick_chart, summarize_day

OUT = Path("out/charts")


def main() -> None:
    day = PriceGenerator(initial_price=5000.0, seed=42).generate_day("2025-01-06")
    print_summary(summarize_day(day))
    quick_chart(day, title="Full day, automatic transitions (1min)", save_path=OUT / "demo_day_1m.png")
    quick_chart(
        day, title="Full day, automatic transitions (15min)", timeframe="15min", save_path=OUT / "demo_day_15m.png"
    )
    print(f"Charts in {OUT}/demo_day_1m.png and demo_day_15m.png")


if __name__ == "__main__":
    main()
