# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. Pre-train, fine-tune and backtest a detector on real bars
#
# The workflow FracFire exists for: learn market states on unlimited labelled synthetic
# bars, adapt to the little real data you have, and judge the result on real sessions the
# model never saw, against a model trained on the real data alone and against plain
# baselines. Then trade its signal in the backtester. Writes into `out/examples/`.

# %%
from pathlib import Path

import numpy as np

from fracfire import (
    PhysicsConfig,
    PriceGenerator,
    PricePredictor,
    StateDetector,
    extract_features,
    load_continuous_contract,
    run_signal_backtest,
)
from fracfire.evaluation import BacktestConfig
from fracfire.evaluation.metrics import block_bootstrap_ci
from fracfire.models import baseline_predictions

OUT = Path("out/examples")
real = load_continuous_contract("data/es_1min_2019-09.csv.gz")
sessions = sorted(real["session_id"].unique())
test_ids = set(sessions[-5:])  # the last 5 sessions are held out
held_out = real["session_id"].isin(test_ids).to_numpy()
train, test = real[~held_out].reset_index(drop=True), real[held_out].reset_index(drop=True)
print(f"real: {len(train):,} training bars, {len(test):,} held-out bars (5 sessions)")

# %% [markdown]
# ## Pre-train on synthetic bars
# Twenty synthetic Globex sessions of the calibrated physics, labelled by construction.

# %%
physics = PhysicsConfig.from_yaml("configs/physics_calibrated.yaml")
library = PriceGenerator(seed=11, physics=physics).generate_days("2025-01-06", 20)
X_lib = extract_features(library)
detector = StateDetector(backend="forest", n_estimators=100, random_state=0).fit(X_lib, library["state"])
predictor = PricePredictor(horizons=(15,), max_iter=150, random_state=0)
predictor.fit(X_lib, predictor.targets(library))

# %% [markdown]
# ## Fine-tune on the real training sessions, and train a rival from scratch on them

# %%
X_train, X_test = extract_features(train), extract_features(test)
detector.finetune(train, features=X_train)  # pseudo-labels: no real labels needed
scratch = PricePredictor(horizons=(15,), max_iter=150, random_state=0).fit(X_train, predictor.targets(train))
synthetic_only = PricePredictor(horizons=(15,), max_iter=150, random_state=0).fit(X_lib, predictor.targets(library))
tuned = predictor.finetune(X_train, predictor.targets(train), iterations=90)

# %% [markdown]
# ## Judge on the held-out sessions
# Range RMSE of the next 15 minutes (ticks of 0.25 points; lower is better) with 95 % block-bootstrap
# intervals, and each model's difference to the from-scratch model on the same bars.

# %%
target = predictor.targets(test)["range_15"].to_numpy()
ok = ~np.isnan(target)
candidates = {
    "synthetic only": synthetic_only.predict(X_test),
    "scratch": scratch.predict(X_test),
    "fine-tuned": tuned.predict(X_test),
    **baseline_predictions(test, (15,)),
}
ci = block_bootstrap_ci(
    target[ok], {k: v["range_15"].to_numpy()[ok] for k, v in candidates.items()}, reference="scratch"
)
for name, row in ci.items():
    versus = (
        f"  vs scratch {row['difference']:+.2f} [{row['difference_low']:+.2f}, {row['difference_high']:+.2f}]"
        if "difference" in row
        else ""
    )
    print(f"{name:>15}: {row['value']:.2f} [{row['low']:.2f}, {row['high']:.2f}]{versus}")

# %% [markdown]
# ## Trade the detector's reading
# Long while the detector reads `rally` or `breakout`, short on `breakdown`, flat otherwise;
# decided at each bar's close, filled at the next open, one MES contract, 1 tick of
# slippage. `dropped_entries` counts signals the one-position limit ignored.

# %%
states = detector.predict(test)  # bars in: a Series of states indexed by time
position = states.map({"rally": 1, "breakout": 1, "breakdown": -1}).fillna(0)
result = run_signal_backtest(test, position=position, config=BacktestConfig(contract="MES", slippage_ticks=1))
print(result.summary())
result.save(OUT / "detector_run" / "backtest", source="real")
print(f"states read on the held-out bars: {states.value_counts(normalize=True).round(3).to_dict()}")
