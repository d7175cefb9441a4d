# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. Calibrate to your own file and read the realism verdict
#
# Point `MY_FILE` at your own one-minute bars (CSV, Parquet or JSON; broker exports with
# `Date`/`Time` columns, `Last` for close, epoch times... the loader reads the usual
# spellings, or pass `columns={"close": "Last"}`). Here it is the bundled ES sample,
# September 2019.
#
# The calibration fits the physics knobs to the first 60 % of the sessions and reports the
# distance on the held-out 40 %; the scorecard then compares FracFire with four simple
# peers (GBM, GARCH-t plain and seasonal, a block bootstrap) on those held-out sessions.
# Writes into `out/examples/`.

# %%
from pathlib import Path

from fracfire import load_continuous_contract
from fracfire.realism import calibrate, compare_generators

MY_FILE = "data/es_1min_2019-09.csv.gz"
OUT = Path("out/examples")
real = load_continuous_contract(MY_FILE)
print(real.attrs["validation"].summary())

# %% [markdown]
# ## Fit the physics
# `max_evaluations` bounds the search (the default, 300, takes a few minutes; 20 is a quick
# look). The result says how far the fitted knobs are from the real moments on the
# training sessions *and* on the held-out ones, next to how much the real market itself
# changed between the two slices.

# %%
result = calibrate(real, max_evaluations=20, seeds=(0,))
print(result.summary())
result.config.to_yaml(OUT / "my_physics.yaml")

# %% [markdown]
# ## The verdict: can a classifier tell these bars from yours?
# `discriminator_accuracy` is the share of 60-bar windows a cross-validated classifier
# labels correctly as real or synthetic: 50 % means it cannot tell them apart. Lower is
# better, for every generator.

# %%
comparison = compare_generators(real, {"FracFire (my fit)": result.config}, seeds=(0,))
summary = comparison.summary.T.sort_values("discriminative_score")
print(summary[["discriminator_accuracy", "discriminative_score", "summary_distance"]].round(3).to_string())
ours = summary.loc["FracFire (my fit)"]
best_peer = summary.drop(index="FracFire (my fit)").iloc[0]
verdict = "indistinguishable" if ours["discriminative_score"] <= 0.10 else "distinguishable"
print(
    f"\nVerdict: FracFire's bars are {verdict} from yours "
    f"(classifier accuracy {ours['discriminator_accuracy']:.0%}; best peer {best_peer.name}: "
    f"{best_peer['discriminator_accuracy']:.0%})."
)

# %% [markdown]
# ## Which stylized facts pass
# The headline facts, each with its goal, your value and FracFire's:

# %%
facts = comparison.headline[["real", "goal", "FracFire (my fit)", "FracFire (my fit) met"]]
print(facts.to_string())
(OUT / "realism.md").write_text(comparison.to_markdown())
