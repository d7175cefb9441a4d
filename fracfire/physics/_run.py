"""One run of the engine: the days of a :class:`~fracfire.physics.layout.DayLayout` drawn, walked and
turned into bars (:func:`run_days`, called by every :class:`~fracfire.physics.generator.PriceGenerator`
method; it continues the generator's state and leaves it at the end of the run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from fracfire.calendar import number_sessions
from fracfire.physics import _plan, schedule
from fracfire.physics._kernels import participation_path, volatility_path, walk_zones
from fracfire.physics.layout import DayLayout
from fracfire.physics.sessions import Session
from fracfire.physics.tilt import MAX_TILT_DRIFT
from fracfire.schema import bars_frame

if TYPE_CHECKING:
    from fracfire.physics.generator import PriceGenerator

VOLUME_NOISE = 0.3
"""Standard deviation of the log-normal noise on bar volume."""

MAX_THINNING = 1e6
"""Largest factor ``activity_thinning`` puts on the intensity's squared CV (a minute whose
seasonal volume multiplier is near 0 would otherwise overflow; realistic ones stay below 1e4)."""

N_INTRADAY = len(schedule.INTRADAY_SCALES)
"""Intraday log-volatility components (the fast scales)."""
N_COMPONENTS = N_INTRADAY + len(schedule.DAILY_SCALE_FRACTIONS)
"""All log-volatility components: intraday, then day-to-day."""

_SESSIONS = [s.value for s in Session]


def run_days(
    gen: PriceGenerator,
    layout: DayLayout,
    segment_length,
    state_sequence,
    auto,
    macro_regime,
    driver,
    *,
    single_bar=False,
    progress=None,
    independent=False,
    tilt=None,
    volatility_spread=0.0,
    drift_spread=0.0,
) -> pd.DataFrame:
    """Generate the days of ``layout`` with ``gen``'s knobs, continuing (and updating) its state.

    Every day draws from its own child stream, in a fixed order: first
    uniforms (runner flag and sign, state switches, wick sides, jump
    arrival, sign and position), log-volatility normals, jump sizes,
    activity and volume noise; then, once the day's volatility is known,
    one normal and one raw 64-bit draw per sub-minute step and the wick
    lengths. ``independent`` (scenario paths): every day starts from the
    generator's state instead of the previous day's end, draws its
    intraday volatility components afresh (after the driver's draws),
    offsets its slowest component by ``volatility_spread`` times a normal
    draw, shifts its up share by ``drift_spread`` times a normal drawn from a
    jumped copy of its stream (only when ``drift_spread`` is positive: every
    other draw of the path is the same with or without it) and leaves the
    generator's state as it was. ``tilt`` (a
    :class:`~fracfire.physics.tilt.Tilt`) leans on every day from its
    first minute, on top of the driver's modifiers.
    """
    phys = gen.physics
    registry = _plan.Registry()
    template = _plan.template(state_sequence, registry, segment_length)
    n_days = len(layout.starts)
    lengths = layout.lengths
    n = len(layout.utc_ns)
    clock = schedule.minute_clock(layout.utc_ns, trading_days=layout.trading_days)
    rngs = [np.random.default_rng(child) for child in gen._seed_seq.spawn(n_days)]
    k = N_COMPONENTS
    first = [rng.random(2 + 6 * int(m)) for rng, m in zip(rngs, lengths, strict=True)]
    heads = np.array([f[:2] for f in first])
    body = [f[2:].reshape(6, -1) for f in first]
    u_switch, u_wick_up, u_wick_down, u_jump, u_sign, u_pos = (np.concatenate([b[j] for b in body]) for j in range(6))
    z_vol = np.concatenate([rng.standard_normal((int(m), k)) for rng, m in zip(rngs, lengths, strict=True)])
    jump_exp = np.concatenate([rng.standard_exponential(int(m)) for rng, m in zip(rngs, lengths, strict=True)])
    runner = np.where(heads[:, 1] < 0.5, 1, -1) * (heads[:, 0] < phys.runner_prob)
    if single_bar or driver is not None or independent:
        runner[:] = 0

    current = registry.code(gen._state, "carried-over state")
    codes, plans = _plan.minute_states(
        layout,
        clock,
        template,
        auto,
        segment_length,
        driver,
        rngs,
        u_switch,
        current,
        len(registry.configs),
        independent,
    )
    table = schedule.StateTable.of(tuple(registry.configs))
    modifiers = None
    planned = [p.modifiers for p in plans if p.modifiers is not None]
    if plans and len(planned) == len(plans):
        modifiers = schedule.Modifiers.concat(planned)
    if tilt is not None:  # every day reads the tilt from its first minute
        tilted = schedule.Modifiers.concat([tilt.modifiers(0, int(m)) for m in lengths])
        modifiers = (
            tilted
            if modifiers is None
            else schedule.Modifiers(
                modifiers.volatility * tilted.volatility,
                np.clip(modifiers.bias + tilted.bias, -MAX_TILT_DRIFT, MAX_TILT_DRIFT),
                modifiers.mean_reversion,
            )
        )
    params = schedule.minute_params(table, codes, clock, phys, modifiers)

    cascade = gen._cascade
    hawkes = float(np.exp(-1.0 / schedule.HAWKES_DECAY_MINUTES))
    path_bias = np.zeros(n_days)  # per-path shift of the up share (drift_spread)
    if independent:  # every path starts from the generator's state, its intraday volatility drawn afresh
        std = cascade.stationary_std()[:N_INTRADAY]
        parts = []
        for d, rng in enumerate(rngs):
            day = slice(int(layout.starts[d]), int(layout.starts[d]) + int(lengths[d]))
            start = gen._vol.copy()
            draws = rng.standard_normal(N_INTRADAY + 1)
            start[:N_INTRADAY] = std * draws[:N_INTRADAY]
            start[-1] += volatility_spread * draws[-1]
            if drift_spread > 0:  # from a jumped copy of the path's stream: its other draws stay the same
                pcg = cast(np.random.PCG64, rng.bit_generator)  # default_rng's bit generator
                shift = np.random.Generator(pcg.jumped()).standard_normal()
                path_bias[d] = np.clip(drift_spread * shift, -MAX_TILT_DRIFT, MAX_TILT_DRIFT)
            parts.append(
                volatility_path(
                    z_vol[day],
                    u_jump[day],
                    cascade.decay,
                    cascade.innovation,
                    start,
                    params.jump_base[day],
                    phys.jump_clustering,
                    hawkes,
                    gen._excitation,
                    phys.jump_vol_kick,
                    gen._kick,
                )
            )
        log_vol, jumps, kicks = (np.concatenate([p[j] for p in parts]) for j in (0, 1, 4))
    else:
        log_vol, jumps, gen._vol, gen._excitation, kicks, gen._kick = volatility_path(
            z_vol,
            u_jump,
            cascade.decay,
            cascade.innovation,
            gen._vol,
            params.jump_base,
            phys.jump_clustering,
            hawkes,
            gen._excitation,
            phys.jump_vol_kick,
            gen._kick,
        )
    sigma = gen._sigma0 * params.season * np.exp(log_vol - cascade.variance)
    drift_sd = params.drift_sd
    if path_bias.any():  # a path's shift joins the driver's and the tilt's bias under one limit
        before = modifiers.bias if modifiers is not None else np.zeros(n)
        after = np.clip(before + np.repeat(path_bias, lengths), -MAX_TILT_DRIFT, MAX_TILT_DRIFT)
        drift_sd = drift_sd + 4.0 * schedule.DRIFT_PER_LOGIT * (after - before)
    if runner.any():
        bias = schedule.runner_drift(sigma, layout.starts, phys.runner_target_mult)
        drift_sd = drift_sd + np.repeat(runner * bias, lengths)
    sign = np.where(u_sign < params.up_share, 1.0, -1.0)
    # Jumps are sized by the volatility without the kicks of earlier jumps (and their own).
    jump_size = np.where(
        jumps, sign * np.maximum(1.0, phys.base_volatility * params.jump_scale * sigma * np.exp(-kicks) * jump_exp), 0.0
    )
    activity = phys.avg_ticks_per_bar * params.volume_scale * (sigma / gen._sigma0) ** phys.activity_elasticity
    # Thin minutes are lumpier: the squared CV of the intensity grows as the seasonal activity falls.
    thinning = 1.0
    if phys.activity_thinning > 0:  # at most MAX_THINNING: a multiplier near 0 would overflow
        thinning = np.exp(np.minimum(-phys.activity_thinning * np.log(params.volume_scale), np.log(MAX_THINNING)))
    log_var = np.log1p((params.activity_cv * phys.activity_dispersion) ** 2 * thinning)
    counts = np.empty(n)
    noise = np.empty(n)
    n_sub = np.empty(n, dtype=np.int64)
    z_parts, raw_parts = [], []
    for d, rng in enumerate(rngs):
        day = slice(int(layout.starts[d]), int(layout.starts[d]) + int(lengths[d]))
        counts[day], clock_scale = schedule.draw_prints(
            rng, activity[day], log_var[day], phys.activity_clustering, phys.trade_clock
        )
        noise[day] = rng.standard_normal(int(lengths[d]))
        sigma[day] *= clock_scale
        if phys.minute_vol_mixing > 0:  # drawn only when asked, so the other draws keep their order
            m = phys.minute_vol_mixing
            sigma[day] *= np.exp(m * rng.standard_normal(int(lengths[d])) - m * m)
        n_sub[day] = schedule.substeps(sigma[day])
        steps = int(n_sub[day].sum())
        z_parts.append(rng.standard_normal(steps))
        raw_parts.append(rng.bit_generator.random_raw(steps))
        if progress is not None:
            progress(d + 1, n_days)
    z_sub = np.concatenate(z_parts)
    raw = np.concatenate(raw_parts)
    jump_at = np.minimum((u_pos * n_sub).astype(np.int64), n_sub - 1)
    p_side = -np.expm1(-counts / (2.0 * n_sub))

    walk = (n_sub, sigma, drift_sd * sigma, params.eta, params.reversion, p_side, jump_size, jump_at, params.max_move)
    rest = (
        phys.reversion_minutes,
        float(gen._center),
        schedule.points_to_ticks(phys.macro_gravity_threshold),
        phys.macro_gravity_strength,
        schedule.DRIFT_PER_LOGIT,
        phys.flow_persistence,
    )
    if independent:
        offsets = np.concatenate([[0], np.cumsum(n_sub)])
        parts = []
        for d in range(n_days):
            day = slice(int(layout.starts[d]), int(layout.starts[d]) + int(lengths[d]))
            sub = slice(int(offsets[day.start]), int(offsets[day.stop]))
            parts.append(
                walk_zones(
                    *(a[day] for a in walk),
                    z_sub[sub],
                    raw[sub],  # type: ignore[call-arg]
                    gen._x,
                    gen._level,
                    gen._anchor,
                    *rest,
                    gen._side,
                )
            )
        o, h, lo, c, moves = (np.concatenate([p[j] for p in parts]) for j in range(5))
    else:
        o, h, lo, c, moves, gen._x, gen._level, gen._anchor, gen._side = walk_zones(
            *walk, z_sub, raw, gen._x, gen._level, gen._anchor, *rest, gen._side
        )
        gen._state = registry.configs[int(codes[-1])]

    wick_prob = -np.expm1(-params.wick_prob * counts / phys.avg_ticks_per_bar)
    wick_up = u_wick_up < wick_prob
    wick_down = u_wick_down < wick_prob
    extra = np.zeros((2, n), dtype=np.int64)
    wicks_drawn = 0
    for d, rng in enumerate(rngs):
        day = slice(int(layout.starts[d]), int(layout.starts[d]) + int(lengths[d]))
        for side, flags in enumerate((wick_up[day], wick_down[day])):
            where = day.start + np.flatnonzero(flags)
            extra[side, where] = 1 + rng.poisson(phys.wick_extension_avg - 1.0, len(where))
            wicks_drawn += len(where)
    h = h + extra[0]
    lo = np.maximum(lo - extra[1], 1)
    noise = np.exp(VOLUME_NOISE * noise - VOLUME_NOISE**2 / 2)
    participation, participation_drawn = _participation(gen, phys, rngs, lengths, independent)
    volume = np.maximum(
        1,
        np.rint(
            (counts * phys.volume_per_tick + moves * phys.volume_per_move * params.volume_scale)
            * noise
            * phys.minute_volume_multipliers()[clock.minute_of_day]
            * participation
        ),
    )
    gen.variates_drawn += int(
        (n_days * (N_INTRADAY + 1 + (drift_spread > 0)) if independent else 0)  # paths' volatility starts
        + sum(f.size for f in first)
        + z_vol.size
        + jump_exp.size
        + 2 * n
        + z_sub.size
        + raw.size
        + wicks_drawn
        + (n if phys.minute_vol_mixing > 0 else 0)
        + (n if phys.activity_clustering > 0 else 0)
        + participation_drawn
    )

    if segment_length:
        segment_id = np.cumsum(layout.position() % segment_length == 0) - 1
    else:
        segment_id = np.concatenate([[0], np.cumsum(codes[1:] != codes[:-1])])
    regimes = _plan.macro_labels(o, h, lo, c, runner, layout.starts, macro_regime)
    if plans and macro_regime is None:
        regimes = [p.macro_regime or inferred for p, inferred in zip(plans, regimes, strict=True)]
    regimes = pd.Categorical(regimes)
    labels = {
        "state": pd.Categorical.from_codes(codes, categories=registry.names),
        "session": pd.Categorical.from_codes(clock.session.astype(np.int64), categories=_SESSIONS),
        "session_id": number_sessions(layout.utc_ns),
        "segment_id": segment_id.astype(np.int64),
        "macro_regime": pd.Categorical.from_codes(
            np.repeat(regimes.codes.astype(np.int64), lengths), categories=regimes.categories
        ),
    }
    bars = bars_frame(clock.time, o, h, lo, c, volume.astype(np.int64), gen._last_close, labels)
    if independent:
        delta = bars["delta_ticks"].to_numpy().copy()
        delta[layout.starts] = c[layout.starts] - gen._last_close
        bars["delta_ticks"] = delta
    else:
        gen._last_close = int(c[-1])
    for name in plans[0].labels if plans else ():
        bars[name] = pd.Categorical(np.concatenate([p.labels[name] for p in plans]))
    return bars


def _participation(gen, phys, rngs, lengths, independent: bool) -> tuple[np.ndarray | float, int]:
    """Volume factor of the participation level, ``exp(P - s^2 / 2)`` (mean 1), and the variates drawn.

    ``P`` is the sum of the components of :data:`~fracfire.physics.schedule.PARTICIPATION_MINUTES`
    (standard deviation ``volume_participation``), drawn from each day's stream after all its
    other draws, so at 0 nothing is drawn and every other value keeps its bytes. Runs continue the
    generator's level (it moves with bar minutes, not over breaks); independent paths each draw
    their own start from its stationary law, after their other draws (nothing in a history pins
    the market's turnout down, and a shared start would not average out over the paths).
    """
    s = phys.volume_participation
    if s <= 0:
        return 1.0, 0
    k = len(schedule.PARTICIPATION_MINUTES)
    z = [rng.standard_normal((int(lengths[d]), k)) for d, rng in enumerate(rngs)]
    decay = np.exp(-1.0 / np.asarray(schedule.PARTICIPATION_MINUTES))
    weight = np.full(k, s / np.sqrt(k))
    drawn = sum(part.size for part in z)
    if independent:
        starts_drawn = [rng.standard_normal(k) for rng in rngs]
        level = np.concatenate(
            [participation_path(part, decay, weight, u)[0] for part, u in zip(z, starts_drawn, strict=True)]
        )
        drawn += k * len(rngs)
    else:
        start = np.asarray(gen._participation, dtype=np.float64)
        level, gen._participation = participation_path(np.concatenate(z), decay, weight, start)
    return np.exp(level - s * s / 2), int(drawn)
