"""Bad input gets one clear error naming the row or field: the malformed-file corpus,
loader fuzzing, and values no bar can hold anywhere in the system."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fracfire import PhysicsConfig, PriceGenerator
from fracfire.data import load_continuous_contract
from fracfire.exceptions import BarsValidationError
from fracfire.schema import MAX_PRICE, bars_frame, check_bars
from scripts.make_bad_corpus import build

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
ERRORS = {"ValueError": ValueError, "BarsValidationError": BarsValidationError}


def test_corpus_is_the_scripts_output(tmp_path):
    build(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in CORPUS.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), f"{name} was edited by hand"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_malformed_file_gets_a_clear_error(name):
    case = CASES[name]
    with pytest.raises(ERRORS[case["error"]]) as info:
        load_continuous_contract(CORPUS / name)
    assert type(info.value).__name__ == case["error"]
    first_line = str(info.value).splitlines()[0]
    assert re.search(case["match"], first_line), first_line
    assert name in first_line, "the message names the file"


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["error"] == "BarsValidationError"])
def test_lenient_load_repairs_and_says_so(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bars = load_continuous_contract(CORPUS / name, strict=False)
    check_bars(bars)
    repairs = bars.attrs["validation"].repairs
    assert repairs and any(str(w.message).endswith(repairs[-1]) for w in caught)
    assert bars["high"].max() < 10_000 and bars["volume"].min() >= 1


_CLEAN = (CORPUS / "high_inf.csv").read_text(encoding="utf-8").replace("inf", "2983.75")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row=st.integers(1, 30),
    column=st.integers(0, 5),
    value=st.sampled_from(
        [
            "",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "-1",
            "0",
            "0.1",
            "1e19",
            "abc",
            "2983.30",
            "2019-13-45",
            "9" * 30,
            "1,2",
            '"',
            "\x00",
        ]
    ),
)
def test_fuzzed_csv_never_tracebacks_nor_changes_silently(tmp_path, row, column, value):
    """One cell replaced by junk: a clear ValueError, or bars that equal a clean reading of it."""
    lines = _CLEAN.splitlines()
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        bars = load_continuous_contract(path)
    except ValueError as exc:  # BarsValidationError is a ValueError
        assert str(exc).startswith(str(path)), str(exc)
        return
    check_bars(bars)
    raw = pd.read_csv(path)
    assert len(bars) == len(raw)
    for field in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(bars[field].to_numpy(), pd.to_numeric(raw[field]).to_numpy(dtype=float))
    np.testing.assert_array_equal(bars["volume"].to_numpy(), pd.to_numeric(raw["volume"]).to_numpy())


def test_physics_knobs_cannot_overflow_the_bars():
    with pytest.raises(ValueError, match="volume_per_tick"):
        PhysicsConfig(volume_per_tick=1e30)
    with pytest.raises(ValueError, match="initial_price"):
        PriceGenerator(initial_price=MAX_PRICE * 2)
    # The largest knobs allowed still give valid bars (volume fits, prices positive).
    loud = PhysicsConfig(volume_per_tick=1e6, volume_per_move=1e6, avg_ticks_per_bar=10_000)
    check_bars(PriceGenerator(seed=0, physics=loud).generate_day("2025-01-06"))


def test_bars_frame_refuses_wrapped_integers():
    time = pd.date_range("2025-01-06 09:30", periods=3, freq="min", tz="America/New_York")
    ticks = np.array([100, 101, 102])
    labels = {
        "state": [None] * 3,
        "session": [None] * 3,
        "session_id": np.zeros(3, int),
        "segment_id": np.zeros(3, int),
        "macro_regime": [None] * 3,
    }
    with pytest.raises(BarsValidationError, match=r"bar 1 .* volume -9223372036854775808"):
        bars_frame(time, ticks, ticks, ticks, ticks, np.array([5, np.iinfo(np.int64).min, 5]), 100, labels)


_BAR = "3000,3000.25,2999.75,3000,5"


@pytest.mark.parametrize(
    ("text", "kwargs", "first", "last"),
    [
        (
            "Date,Time,Open,High,Low,Close,Volume\n09/03/2019,09:30,{b}\n09/13/2019,09:31,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-13 09:31-04:00",
        ),
        (
            "Date,Time,Open,High,Low,Close,Volume\n20190903,093000,{b}\n20190903,093100,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-03 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n03/09/2019 09:30,{b}\n13/09/2019 09:31,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-13 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n03/09/2019 09:30,{b}\n03/09/2019 09:31,{b}\n",
            {"dayfirst": False},
            "2019-03-09 09:30-05:00",
            "2019-03-09 09:31-05:00",
        ),
        (
            "time,open,high,low,close,volume\n1567517400,{b}\n1567517460,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-03 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n1567517400000,{b}\n1567517460000,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-03 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n1567517400000000,{b}\n1567517460000000,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-03 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n1567517400000000000,{b}\n1567517460000000000,{b}\n",
            {},
            "2019-09-03 09:30-04:00",
            "2019-09-03 09:31-04:00",
        ),
        (
            "time,open,high,low,close,volume\n2019-11-03 01:30,{b}\n2019-11-03 01:59,{b}\n2019-11-03 01:00,{b}\n"
            "2019-11-03 01:30,{b}\n",
            {},
            "2019-11-03 01:30-04:00",
            "2019-11-03 01:30-05:00",
        ),
        (
            "time,open,high,low,close,volume\n2019-11-02T18:00:00-04:00,{b}\n2019-11-04T09:00:00-05:00,{b}\n",
            {},
            "2019-11-02 18:00-04:00",
            "2019-11-04 09:00-05:00",
        ),
    ],
)
def test_time_formats_parse_to_the_right_instants(tmp_path, text, kwargs, first, last):
    path = tmp_path / "bars.csv"
    path.write_text(text.format(b=_BAR), encoding="utf-8")
    bars = load_continuous_contract(path, **kwargs)
    assert bars["time"].iloc[0] == pd.Timestamp(first) and bars["time"].iloc[-1] == pd.Timestamp(last)


# ---------------------------------------------------------------- arguments and configs: checked before any work
def _cli_cases(tmp: Path) -> dict:
    (tmp / "folder.parquet").mkdir()
    (tmp / "a_file").write_text("x")
    (tmp / "binary.yaml").write_bytes(b"\x00\x01\xff\xfe" * 20)
    (tmp / "huge_ticks.yaml").write_text("avg_ticks_per_bar: 1e9\n")
    out = str(tmp / "bars.parquet")
    return {
        "out is a folder": (["--out", str(tmp / "folder.parquet")], r"folder.parquet is a folder; name a file"),
        "out under a file": (["--out", str(tmp / "a_file" / "b.parquet")], r"a_file is a file, not a folder"),
        "config is a folder": (["--out", out, "--config", str(tmp)], r"physics config file .* is a folder"),
        "config is binary": (["--out", out, "--config", str(tmp / "binary.yaml")], r"is not UTF-8 text \(byte 2"),
        "1e9 ticks (YAML 1.2 float)": (
            ["--out", out, "--config", str(tmp / "huge_ticks.yaml")],
            r"avg_ticks_per_bar: Input should be less than or equal to 10000 "
            r"\(got 1000000000.0\)",
        ),
        "initial price 1e300": (
            ["--out", out, "--initial-price", "1e300"],
            r"initial_price must be in \[100, 100000\]; got 1e\+300",
        ),
        "initial price 1": (["--out", out, "--initial-price", "1"], r"initial_price must be in \[100, 100000\]"),
        "days beyond the cap": (["--out", out, "--days", "100000000"], r"n_days must be in \[1, 100000\]"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "out is a folder",
        "out under a file",
        "config is a folder",
        "config is binary",
        "1e9 ticks (YAML 1.2 float)",
        "initial price 1e300",
        "initial price 1",
        "days beyond the cap",
    ],
)
def test_generate_refuses_bad_arguments_in_one_line_before_work(tmp_path, case):
    from typer.testing import CliRunner

    from fracfire.cli import app

    args, pattern = _cli_cases(tmp_path)[case]
    result = CliRunner().invoke(app, ["generate", "--seed", "1", *args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and re.search(pattern, lines[0]), result.output
    assert "Generating" not in result.output and not (tmp_path / "bars.parquet").exists()


def test_a_run_too_big_for_memory_is_refused_with_advice(monkeypatch):
    from fracfire import _resources

    monkeypatch.setattr(_resources, "available_memory", lambda: 2 * 1024**3)
    with pytest.raises(
        MemoryError,
        match=r"generating 5,000 days at once needs about 6.7 GiB of memory and 2.0 GiB "
        r"is available; generate at most about 1,\d{3} days per call.*--scheduler",
    ):
        PriceGenerator(seed=1).generate_days("2025-01-06", 5000)


def test_pipeline_config_needs_targets_and_a_writable_folder(tmp_path):
    import yaml

    from fracfire.exceptions import ConfigError, FracFireWarning
    from fracfire.pipeline import load_pipeline_config

    root = Path(__file__).parent.parent
    base = {
        "real": str(root / "data" / "es_1min_2019-09.csv.gz"),
        "out_dir": str(tmp_path / "out"),
        "calibrate": {"path": str(root / "configs" / "physics_calibrated.yaml")},
    }
    path = tmp_path / "p.yaml"
    for change, pattern in [
        ({"models": {"horizons": []}}, r"models.horizons: List should have at least 1 item"),
        ({"models": {"horizons": [5, 5]}}, r"horizons must be distinct"),
        ({"models": {"horizons": [0]}}, r"models.horizons.0: Input should be greater"),
        ({"out_dir": str(path)}, r"p.yaml/demo: .*p.yaml is a file, not a folder"),
    ]:
        path.write_text(yaml.safe_dump({**base, **change}))
        with pytest.raises((ConfigError, ValueError), match=pattern):
            load_pipeline_config(path)
    path.write_text("# nothing\n")  # an empty file says so, then gives the defaults
    with pytest.warns(FracFireWarning, match=r"p.yaml: the pipeline config is empty") as record:
        try:
            load_pipeline_config(path)
        except FileNotFoundError:  # the default data path, relative to where the tests run
            pass
    assert record[0].filename == __file__


@pytest.mark.parametrize("uri", ["file", "path"])
def test_a_local_tracking_uri_works_without_opt_in(tmp_path, monkeypatch, uri):
    from fracfire.training.tracking import tracking_run

    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "runs").as_uri() if uri == "file" else str(tmp_path / "r"))
    with tracking_run("probe", "probe") as run:
        assert run.info.run_id


def test_an_unusable_tracking_uri_fails_at_once_naming_it(monkeypatch):
    from fracfire.training.tracking import tracking_run

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://x")
    with pytest.raises(RuntimeError, match=r"MLflow tracking at 'nosuchscheme://x' is unusable"):
        with tracking_run("probe", "probe"):
            raise AssertionError("the body must not run")


def test_resampling_unsorted_bars_names_the_row():
    from fracfire.data import resample_bars

    bars = PriceGenerator(seed=3).generate_days("2025-01-06", 1)
    shuffled = pd.concat([bars.iloc[:10], bars.iloc[[20]], bars.iloc[10:20]], ignore_index=True)
    with pytest.raises(ValueError, match=r"'time' must be sorted ascending; row 11 \(.*\) comes before the row above"):
        resample_bars(shuffled, "5min")
    naive = bars.assign(time=bars["time"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="'time' must be timezone-aware .* got naive timestamps such as 2025-01-05"):
        resample_bars(naive, "5min")


def test_transfer_options_are_checked_before_any_library_is_built(tmp_path):
    from typer.testing import CliRunner

    from fracfire.cli import app
    from fracfire.training.transfer import transfer_experiment

    real = load_continuous_contract(Path(__file__).parent.parent / "data" / "es_1min_2019-09.csv.gz")
    cases = [
        (dict(target="bogus"), "target must be one of"),
        (dict(state_backend="bogus"), "state_backend must be one of"),
        (dict(sizes=(0, "all")), "sizes must be whole numbers of sessions >= 1"),
        (dict(sizes=(-3,)), "sizes must be whole numbers of sessions >= 1"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            transfer_experiment(real, tmp_path / "out", **kwargs)
    assert not any((tmp_path / "out").glob("archetypes-*"))
    for sizes in ("0,abc", "2,-1", ","):
        result = CliRunner().invoke(
            app, ["experiment", "transfer", "--real", "x.csv", "--out", str(tmp_path / "cli"), "--sizes", sizes]
        )
        assert result.exit_code == 1 and "--sizes" in result.output, result.output


def test_temperature_scaling_skips_a_validation_slice_that_misses_a_state():
    """With a few training days the latest 20 % of the rows can miss a state the earlier rows
    have; scikit-learn's temperature fit cannot take that, so the temperature stays 1."""
    from fracfire.models import StateDetector

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    y = np.where(np.arange(600) < 500, np.where(x[:, 0] > 0, "a", "b"), "a")
    y[:40] = "c"  # a third state, only early
    model = StateDetector(backend="forest", calibration="temperature", n_estimators=10).fit(x, y)
    assert model.temperature_ == 1.0 and list(model.classes_) == ["a", "b", "c"]
