"""The three questions a run answers, each as a plain verdict with its evidence.

1. Is the synthetic data realistic? (``realism.json``)
2. Does pre-training on synthetic bars help? (``metrics.json``)
3. How do the setups trade, on real and on synthetic bars? (``backtest*/metrics.json``)

Each verdict says plainly when FracFire loses. Every metric shown has a
one-line definition and says whether lower or higher is better
(:data:`DEFINITIONS`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd

from fracfire.models.targets import BASELINES

__all__ = ["DEFINITIONS", "Verdict", "pretraining_verdict", "realism_verdict", "setups_verdict"]

DEFINITIONS: dict[str, tuple[str, str]] = {
    "classifier accuracy": (
        "share of 60-bar windows a cross-validated classifier labels correctly as real or "
        "synthetic; 50 % means it cannot tell them apart",
        "lower is better (50 % is ideal)",
    ),
    "discriminative score": ("|classifier accuracy - 0.5|; the project's goal is at most 0.10", "lower is better"),
    "summary distance": (
        "mean over every stylized-fact metric of min(relative distance to real, 1)",
        "lower is better (0 = identical)",
    ),
    "day classifier accuracy": (
        "the same classifier on whole trading days (needs 20 days per side)",
        "lower is better (50 % is ideal)",
    ),
    "self score": (
        "the discriminative score between two runs of the same generator (other seed, same "
        "calendar): what period-to-period variation alone gives; a generator drawn from the real "
        "market's own law would score about this against the real bars",
        "a reference, not a goal",
    ),
    "range RMSE": (
        "root mean squared error of the predicted high-low range of the coming bars, in ticks "
        "(0.25 points), on real sessions no model was trained on",
        "lower is better",
    ),
    "vs scratch": (
        "RMSE minus the from-scratch model's RMSE on the same bars, with its 95 % interval; "
        "an interval that excludes 0 is a real difference",
        "lower is better (negative = beats scratch)",
    ),
    "direction accuracy": (
        "share of non-zero moves over the horizon whose sign the model gets right",
        "higher is better (50 % = coin)",
    ),
    "trades": ("closed trades", "more gives tighter estimates"),
    "total return": ("equity change over the whole backtest", "higher is better"),
    "win rate": ("share of trades closed with a profit", "higher is better"),
    "profit factor": ("gross profit / gross loss", "higher is better (above 1 makes money)"),
    "expectancy": (
        "mean result per trade in R (multiples of the initial risk)",
        "higher is better (above 0 makes money)",
    ),
    "max drawdown": ("deepest fall of daily equity from its running peak", "closer to 0 is better"),
    "Sharpe": ("annualised mean / standard deviation of daily returns", "higher is better"),
}
"""Metric -> (one-line definition, which direction is better)."""


@dataclass
class Verdict:
    """One question, its plain answer and the evidence (an HTML table and the metrics it uses)."""

    id: str
    question: str
    answer: str
    status: str  # "pass" | "fail" | "mixed"
    table: str = ""
    details: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)

    @property
    def definitions(self) -> list[tuple[str, str, str]]:
        return [(m, *DEFINITIONS[m]) for m in self.metrics]


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f} %"


def _html_table(frame: pd.DataFrame, highlight: Collection[str] = ()) -> str:
    """A small table; rows whose first cell is in ``highlight`` are bold."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cls = ' class="ours"' if str(row[0]) in highlight else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
    return f'<table class="data verdict"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _ours(names: list[str]) -> str:
    fracfire = [n for n in names if n.lower().startswith("fracfire")]
    for preferred in ("FracFire calibrated", "FracFire"):
        if preferred in fracfire:
            return preferred
    return fracfire[0] if fracfire else names[0]


# ---------------------------------------------------------------- 1. realism
def realism_verdict(data: dict, goal: float = 0.10) -> Verdict | None:
    """Verdict from ``realism.json`` (``summary`` per generator, ``headline`` facts), or None."""
    from fracfire.realism.compare import REAL_REFERENCE

    summary = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(summary, dict) or not all(
        isinstance(v, dict) and "discriminative_score" in v for v in summary.values()
    ):
        return None
    names = list(summary)
    ours = _ours(names)
    fracfire = {n for n in names if n.lower().startswith("fracfire")}
    peers = [n for n in names if n not in fracfire]
    score = summary[ours]["discriminative_score"]
    accuracy = summary[ours].get("discriminator_accuracy", 0.5 + score)
    split = data.get("split", {})
    where = (
        f"the {split['validation_sessions']} held-out real sessions"
        if "validation_sessions" in split
        else "the held-out real sessions"
    )
    lead = "Yes" if score <= goal else "No"
    answer = (
        f"{lead}. A classifier tells {ours}'s bars from {where} {_pct(accuracy)} of the time "
        f"(discriminative score {score:.2f}; the goal is at most {goal:.2f})."
    )
    if peers:
        best = min(peers, key=lambda n: summary[n]["discriminative_score"])
        best_score = summary[best]["discriminative_score"]
        if best_score < score:
            answer += (
                f" {best} does better ({_pct(summary[best].get('discriminator_accuracy', 0.5 + best_score))}):"
                f" FracFire loses to a simpler model here."
            )
        else:
            beaten = sum(summary[n]["discriminative_score"] > score for n in peers)
            answer += f" It beats {beaten} of the {len(peers)} peers (the best peer, {best}, scores {best_score:.2f})."
    rows = []
    for name in sorted(names, key=lambda n: summary[n]["discriminative_score"]):
        s = summary[name]
        row = {
            "generator": name,
            "classifier accuracy": _pct(s.get("discriminator_accuracy", 0.5 + s["discriminative_score"])),
            "discriminative score": f"{s['discriminative_score']:.3f}",
            "summary distance": f"{s['summary_distance']:.3f}" if "summary_distance" in s else "",
        }
        if "day_discriminator_accuracy" in s:
            row["day classifier accuracy"] = _pct(s["day_discriminator_accuracy"])
        if "self_discriminative_score" in s:
            row["self score"] = f"{s['self_discriminative_score']:.3f}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    details = []
    facts = data.get("headline") or []
    facts_table = ""
    if facts and ours in facts[0]:
        fact_rows = []
        for fact in facts:
            met = fact.get(f"{ours} met")
            row = {
                "stylized fact": fact["fact"],
                "goal": fact.get("goal", ""),
                "real": _num(fact.get("real")),
                ours: _num(fact.get(ours)),
                "verdict": {True: "pass", False: "FAIL"}.get(met, "no goal"),
            }
            if REAL_REFERENCE in fact:
                row[REAL_REFERENCE] = _num(fact.get(REAL_REFERENCE)) + {True: " (pass)", False: " (FAIL)"}.get(
                    fact.get(f"{REAL_REFERENCE} met"), ""
                )
            fact_rows.append(row)
        passed = sum(r["verdict"] == "pass" for r in fact_rows)
        judged = sum(r["verdict"] != "no goal" for r in fact_rows)
        details.append(
            f"{ours} meets {passed} of {judged} stylized-fact goals on the held-out sessions (second table)."
        )
        own = [f for f in facts if f.get(f"{REAL_REFERENCE} met") is not None]
        if own:
            details.append(
                f"The last column scores the market's own earlier sessions (as many as are held out) "
                f"like a generator: they meet {sum(bool(f[f'{REAL_REFERENCE} met']) for f in own)} of "
                f"{len(own)} goals. A goal they miss is within the real market's own variation."
            )
        facts_table = _html_table(pd.DataFrame(fact_rows))
    reference = data.get("real_reference_discriminative_score")
    if isinstance(reference, (int, float)):
        details.append(
            f"For scale: the last fitted real sessions against the held-out ones score {reference:.2f}; "
            "two stretches of the real market differ this much to the same classifier."
        )
    for note in data.get("notes") or []:
        details.append(f"Note: {note}.")
    metrics = ["classifier accuracy", "discriminative score", "summary distance"]
    for extra in ("day classifier accuracy", "self score"):
        if extra in frame:
            metrics.append(extra)
    return Verdict(
        "verdict-realism",
        "Is the synthetic data realistic?",
        answer,
        "pass" if score <= goal else "fail",
        _html_table(frame, fracfire) + facts_table,
        details,
        metrics,
    )


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


# ---------------------------------------------------------------- 2. pre-training
_LABELS = {
    "synthetic_only": "trained on synthetic bars only",
    "scratch": "trained from scratch on real bars",
    "finetuned": "pre-trained on synthetic, fine-tuned on real",
    "persistence": "baseline: last value",
    "rolling_mean": "baseline: rolling mean",
    "har": "baseline: HAR regression of the range",
}


def _interval(row: dict, key: str, fmt) -> str:
    low, high = row.get(f"{key}_low"), row.get(f"{key}_high")
    return f"{fmt(row[key])} [{fmt(low)}, {fmt(high)}]" if low is not None and high is not None else fmt(row[key])


def pretraining_verdict(data: dict) -> Verdict | None:
    """Verdict from ``metrics.json`` (``table``: one row per model with ``range_<h>_rmse``), or None."""
    table = data.get("table") if isinstance(data, dict) else None
    if not isinstance(table, list) or not table:
        return None
    rows = {str(r.get("model")): r for r in table if isinstance(r, dict)}
    rmse_key = next((k for k in table[0] if re.fullmatch(r"range_\d+_rmse", k)), None)
    if rmse_key is None or "finetuned" not in rows or "scratch" not in rows:
        return None
    horizon = rmse_key.split("_")[1]
    direction_key = f"delta_{horizon}_direction_accuracy"
    tuned, scratch = rows["finetuned"][rmse_key], rows["scratch"][rmse_key]
    diff_key = f"{rmse_key}_minus_scratch"
    diff = rows["finetuned"].get(diff_key, tuned - scratch)
    low, high = rows["finetuned"].get(f"{diff_key}_low"), rows["finetuned"].get(f"{diff_key}_high")
    significant = low is not None and high is not None and (high < 0 or low > 0)
    if diff < 0 and (significant or low is None):
        lead, status = "Yes", "pass"
    elif diff < 0:
        lead, status = "Not clearly", "mixed"
    else:
        lead, status = "No", "fail"
    ci = (
        f" (95 % interval {low:+.2f} to {high:+.2f}{'' if significant else ': not a clear difference'})"
        if low is not None
        else ""
    )
    answer = (
        f"{lead}. Over the next {horizon} minutes, the fine-tuned model's range RMSE is {tuned:.2f} ticks "
        f"against {scratch:.2f} for a model trained from scratch on the same real sessions: "
        f"{abs(diff):.2f} ticks {'better' if diff < 0 else 'worse'}{ci}."
    )
    baselines = {k: v[rmse_key] for k, v in rows.items() if k in BASELINES}
    if baselines:
        best_name = min(baselines, key=lambda k: baselines[k])
        best = baselines[best_name]
        answer += f" The best baseline ({_LABELS[best_name].split(': ')[1]}) scores {best:.2f}"
        if "synthetic_only" in rows:
            syn = rows["synthetic_only"][rmse_key]
            answer += (
                f"; trained on synthetic bars alone, the model scores {syn:.2f}, "
                f"{'better' if syn < best else 'worse'} than that baseline."
            )
        else:
            answer += "."
    frame = pd.DataFrame(
        [
            {
                "model": name,
                "what it is": _LABELS.get(name, name),
                "range RMSE [95 % CI]": _interval(row, rmse_key, lambda v: f"{v:.2f}"),
                "vs scratch": (
                    f"{row[diff_key]:+.2f} [{row[f'{diff_key}_low']:+.2f}, {row[f'{diff_key}_high']:+.2f}]"
                    if diff_key in row
                    else ""
                ),
                "direction accuracy": (
                    _interval(row, direction_key, lambda v: _pct(v)) if direction_key in row else ""
                ),
            }
            for name, row in rows.items()
        ]
    )
    metrics = ["range RMSE", "vs scratch", "direction accuracy"]
    details = []
    summary = data.get("summary", {})
    confidence = summary.get("confidence") if isinstance(summary, dict) else None
    if isinstance(confidence, dict):
        details.append(f"Intervals: {_pct(confidence.get('level', 0.95), 0)} {confidence.get('method', '')}.")
    split = summary.get("split") if isinstance(summary, dict) else None
    if isinstance(split, dict) and "test_sessions" in split:
        details.append(
            f"Test bars: the last {split['test_sessions']} of {split.get('real_sessions', '?')} real "
            "sessions; every model saw only the sessions before them."
        )
    return Verdict(
        "verdict-models",
        "Does pre-training on synthetic bars help?",
        answer,
        status,
        _html_table(frame, {"finetuned"}),
        details,
        metrics,
    )


# ---------------------------------------------------------------- 3. setups
_TRADING_ROWS = (
    ("trades", "trades", lambda v: f"{int(v):,}"),
    ("total return", "total_return", lambda v: f"{100 * v:+.2f} %"),
    ("win rate", "win_rate", lambda v: _pct(v)),
    ("profit factor", "profit_factor", lambda v: f"{v:.2f}"),
    ("expectancy", "expectancy_r", lambda v: f"{v:+.2f} R"),
    ("max drawdown", "max_drawdown", lambda v: f"{100 * v:.2f} %"),
    ("Sharpe", "sharpe", lambda v: f"{v:.2f}"),
)


def _fmt(fn, value) -> str:
    try:
        return "" if value is None or value != value else fn(value)
    except (TypeError, ValueError):
        return str(value)


def setups_verdict(
    real: dict | None, synthetic: dict | None, backtest: dict | None = None, dropped: dict | None = None
) -> Verdict | None:
    """Verdict from the real and synthetic backtests' ``metrics.json`` (either may be None).

    ``backtest`` is the :class:`~fracfire.evaluation.BacktestConfig` as a dict, described under the table;
    ``dropped`` maps ``"real"``/``"synthetic"`` to the entries each backtest dropped, by reason.
    """
    sides = {k: v for k, v in (("real bars", real), ("synthetic bars", synthetic)) if isinstance(v, dict)}
    if not sides:
        return None
    parts = []
    for name, m in sides.items():
        ret, n = m.get("total_return", 0.0), m.get("trades", 0)
        verb = "make" if ret > 0 else "lose"
        expectancy = _fmt(lambda v: f"{v:+.2f} R", m.get("expectancy_r"))
        parts.append(
            f"{verb} {abs(100 * ret):.2f} % on {name} over {n:,} trades (win rate "
            f"{_fmt(_pct, m.get('win_rate'))}, expectancy {expectancy})"
        )
    main = sides.get("real bars", next(iter(sides.values())))
    answer = "The setups " + "; they ".join(parts) + "."
    if len(sides) == 2:
        signs = {name: (m.get("expectancy_r") or 0) > 0 for name, m in sides.items()}
        answer += (
            " Real and synthetic bars agree on the sign of the edge."
            if len(set(signs.values())) == 1
            else " Real and synthetic bars disagree on the sign of the edge: synthetic results do not transfer here."
        )
    frame = pd.DataFrame(
        [
            {"metric": label, **{name: _fmt(fn, m.get(key)) for name, m in sides.items()}}
            for label, key, fn in _TRADING_ROWS
        ]
    )
    status = "pass" if main.get("total_return", 0) > 0 else "fail"
    details = []
    if isinstance(backtest, dict):
        size = (
            f"risking {_pct(backtest['risk_fraction'])} of equity per trade"
            if backtest.get("risk_fraction")
            else f"{backtest.get('contracts', 1)} contract(s) per trade"
        )
        cash = backtest.get("initial_cash", 0)
        details.append(
            f"Backtest: {backtest.get('contract', '?')}, {size}, from ${cash:,.0f}; "
            f"{backtest.get('slippage_ticks', 0):g} tick(s) of slippage per fill, "
            f"${backtest.get('commission', 0):.2f} commission per contract and side; fills at the next "
            "bar's open, the stop before the target when both trade in one bar."
        )
    for source, reasons in (dropped or {}).items():
        if reasons:
            listed = ", ".join(f"{n:,} by the {k.replace('_', ' ')}" for k, n in reasons.items())
            details.append(f"Entries the setups signalled on {source} bars but the backtest could not take: {listed}.")
    return Verdict(
        "verdict-setups",
        "How do the setups trade?",
        answer,
        status,
        _html_table(frame),
        details,
        [label for label, _, _ in _TRADING_ROWS],
    )
