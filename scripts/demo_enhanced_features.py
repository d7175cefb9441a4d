"""Fifteen-minute segments and the detailed statistics.

Run: ``python scripts/demo_enhanced_features.py`` (writes ``out/charts/``).
"""

from pathlib import Path

from fracfire import PriceGenerator, compare_states, print_summary, quick_chart, summarize_day

OUT = Path("out/charts")


def main() -> None:
    gen = PriceGenerator(initial_price=5000.0, seed=7)
    day = gen.generate_day("2025-01-07", segment_length=15, macro_regime="SEGMENTED_DEMO")
    summary = summarize_day(day)
    print_summary(summary, verbose=True)
    print(compare_states(day).round(2).to_string())
    print(f"{day['segment_id'].nunique()} segments of 15 minutes; states change only at their edges.")
    quick_chart(day, title="15-minute segments", save_path=OUT / "demo_segments.png")


if __name__ == "__main__":
    main()
