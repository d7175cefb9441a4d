# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. Generate and inspect a labelled library
#
# FracFire's archetype library is many synthetic days per *archetype* (trend days, range
# days, breakout days, ...), every one-minute bar labelled with its `state`, `session`,
# `session_id`, `segment_id` and `macro_regime`. This is what the models pre-train on.
#
# Run it as a script (`python examples/01_generate_a_labelled_library.py`) or open it as a
# notebook (`jupytext --to notebook examples/01_generate_a_labelled_library.py`).
# It writes into `out/examples/`.

# %%
from pathlib import Path

from fracfire import PhysicsConfig, compare_states, quick_chart
from fracfire.data.synthetic import ARCHETYPES, build_archetypes, load_archetypes

OUT = Path("out/examples")
physics = PhysicsConfig.from_yaml("configs/physics_calibrated.yaml")  # calibrated to ES (the defaults are too)
print(f"{len(ARCHETYPES)} archetypes:", ", ".join(ARCHETYPES))

# %% [markdown]
# Build a small library: 2 days per archetype, written as Parquet shards with a manifest of
# hashes. The same seed gives the same bytes, whatever the number of workers; an
# interrupted build resumes with `resume=True`.

# %%
library_dir = OUT / "library"
if not (library_dir / "manifest.json").exists():
    result = build_archetypes(library_dir, "all", days_per_archetype=2, seed=7, physics=physics, workers=1)
    print(result.summary())
bars = load_archetypes(library_dir)
print(f"{len(bars):,} bars, {bars['day_id'].nunique()} days")

# %% [markdown]
# ## What is in it
# How much of each archetype is in each state, and what the states look like in ticks:

# %%
shares = bars.groupby("archetype", observed=True)["state"].value_counts(normalize=True).unstack(fill_value=0)
print((100 * shares).round(1).to_string())

# %%
print(compare_states(bars)[["bars", "avg_delta_ticks", "avg_abs_delta_ticks", "avg_range_ticks", "up_pct"]])

# %% [markdown]
# ## One day of each of two archetypes, charted with its states and sessions

# %%
for archetype in list(ARCHETYPES)[:2]:
    day = bars[bars["archetype"] == archetype]
    day = day[day["day_id"] == day["day_id"].iloc[0]].drop(columns=["archetype", "day_id"])
    path = quick_chart(day, title=f"{archetype}", save_path=OUT / f"{archetype}.png")
    print("wrote", OUT / f"{archetype}.png")
