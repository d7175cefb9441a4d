import json

import pytest
from typer.testing import CliRunner

import fracfire
from fracfire import check_bars
from fracfire.cli import app
from fracfire.data.synthetic import ARCHETYPES, build_archetypes, list_archetypes, load_archetypes, verify_archetypes

runner = CliRunner()
NAMES = ["rally_day", "flash_crash"]


def hashes(path):
    return [s["sha256"] for s in json.loads((path / "manifest.json").read_text())["shards"]]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "lib"
    build_archetypes(path, NAMES, days_per_archetype=3, seed=5, workers=1, days_per_shard=2)
    return path


def test_catalogue():
    table = list_archetypes()
    assert len(table) == len(ARCHETYPES) >= 10
    for name in (
        "rally_day",
        "range_day",
        "breakout_pattern",
        "breakdown_pattern",
        "reversal_day",
        "quiet_day",
        "volatile_day",
        "flash_crash",
        "melt_up",
        "news_spike",
    ):
        assert name in table.index


def test_library_layout_manifest_and_load(serial):
    manifest = json.loads((serial / "manifest.json").read_text())
    assert manifest["dataset_version"] and manifest["generator_version"]
    assert manifest["build"]["seed"] == 5 and "base_volatility" in manifest["build"]["physics"]
    assert [s["path"] for s in manifest["shards"]] == [
        "archetype=rally_day/part-0000.parquet",
        "archetype=rally_day/part-0001.parquet",
        "archetype=flash_crash/part-0000.parquet",
        "archetype=flash_crash/part-0001.parquet",
    ]
    assert sum(s["rows"] for s in manifest["shards"]) == 6 * 1380  # six Globex sessions
    bars = load_archetypes(serial)
    for _, day in bars.groupby("day_id"):  # days are independent: each starts from the initial price
        check_bars(day.reset_index(drop=True))
    assert bars.groupby("archetype", observed=True)["day_id"].nunique().to_dict() == {"flash_crash": 3, "rally_day": 3}
    rally = load_archetypes(serial, ["rally_day"])
    assert set(rally["macro_regime"]) == {"RALLY_DAY"} and "hour_state" in rally.columns
    assert verify_archetypes(serial) == []


def test_same_hashes_with_two_local_workers_and_a_dask_cluster(serial, tmp_path):
    build_archetypes(tmp_path / "loky", NAMES, 3, seed=5, workers=2, days_per_shard=2)
    assert hashes(tmp_path / "loky") == hashes(serial)
    build_archetypes(tmp_path / "dask", NAMES, 3, seed=5, workers=2, scheduler="local", days_per_shard=2)
    assert hashes(tmp_path / "dask") == hashes(serial)


def interrupted(serial, lib, keep):
    """A copy of ``serial`` as an interrupted build leaves it: only ``keep`` shards, manifest incomplete."""
    import shutil

    shutil.copytree(serial, lib)
    manifest = json.loads((lib / "manifest.json").read_text())
    for entry in manifest["shards"][keep:]:
        (lib / entry["path"]).unlink()
    manifest["shards"], manifest["complete"] = manifest["shards"][:keep], False
    (lib / "manifest.json").write_text(json.dumps(manifest))
    return lib


def test_resume_keeps_finished_shards_and_rebuilds_the_rest(serial, tmp_path):
    lib = interrupted(serial, tmp_path / "lib", keep=2)
    (lib / "archetype=flash_crash").mkdir(exist_ok=True)
    (lib / "archetype=flash_crash" / "part-0000.parquet").write_bytes(
        (serial / "archetype=flash_crash" / "part-0000.parquet").read_bytes()
    )  # finished, not yet listed
    assert verify_archetypes(lib)[0] == "unfinished build: 2 of 4 shards written (continue it with --resume)"
    with pytest.raises(ValueError, match="unfinished build"):
        load_archetypes(lib)
    with pytest.raises(ValueError, match="not empty: pass resume=True"):
        build_archetypes(lib, NAMES, 3, seed=5, workers=1, days_per_shard=2)
    with pytest.raises(ValueError, match="built with other arguments .*seed: library 5, now 6"):
        build_archetypes(lib, NAMES, 3, seed=6, workers=1, days_per_shard=2, resume=True)
    shipped = fracfire.PhysicsConfig().volume_per_tick
    with pytest.raises(ValueError, match=rf"physics volume_per_tick: library {shipped}, now 2.0"):
        from fracfire.physics import PhysicsConfig

        build_archetypes(
            lib, NAMES, 3, seed=5, workers=1, days_per_shard=2, resume=True, physics=PhysicsConfig(volume_per_tick=2.0)
        )
    result = build_archetypes(lib, NAMES, 3, seed=5, workers=1, days_per_shard=2, resume=True)
    assert result.skipped == 3 and result.shards == 4
    assert hashes(lib) == hashes(serial) and verify_archetypes(lib) == []


def test_the_manifest_is_written_before_the_first_shard(tmp_path, monkeypatch):
    from fracfire.data import synthetic

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(synthetic, "_build_shard", fail)
    with pytest.raises(KeyboardInterrupt):
        build_archetypes(tmp_path / "lib", NAMES, 2, seed=5, workers=1)
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    assert manifest["build"]["seed"] == 5 and manifest["shards"] == [] and manifest["complete"] is False
    with pytest.raises(ValueError, match="seed: library 5, now 7"):
        build_archetypes(tmp_path / "lib", NAMES, 2, seed=7, workers=1, resume=True)
    stray = tmp_path / "other"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds files but no manifest.json"):
        build_archetypes(stray, NAMES, 2, seed=5, workers=1, resume=True)
    with pytest.raises(ValueError, match=r"\['rally_day'\] listed more than once"):
        build_archetypes(tmp_path / "dup", ["rally_day", "rally_day"], 1)


def test_verify_reports_extra_stray_and_corrupt(serial, tmp_path):
    import shutil

    lib = tmp_path / "lib"
    shutil.copytree(serial, lib)
    (lib / "archetype=rally_day" / "part-0009.parquet").write_bytes(b"x")
    (lib / "archetype=rally_day" / ".part-0000.parquet.abc.tmp").write_bytes(b"x")
    assert verify_archetypes(lib) == [
        "stray temporary file archetype=rally_day/.part-0000.parquet.abc.tmp (an interrupted write; safe to delete)",
        "extra archetype=rally_day/part-0009.parquet (not in the manifest)",
    ]
    manifest = lib / "manifest.json"
    for text, message in [
        ("{", "manifest.json is not a valid library manifest: Expecting"),
        ("7", "expected a JSON object, got int"),
        ('{"build": {}, "shards": 3}', "needs a 'build' object and a 'shards' list"),
        ('{"build": {}, "shards": [1]}', "shard entry 0 needs"),
        (
            '{"build": {}, "shards": [{"path": "../x.parquet", "sha256": "0", "archetype": "a", "rows": 1}]}',
            "'../x.parquet' points outside the library",
        ),
        ('{"build": {}, "shards": []}', "build arguments incomplete"),
    ]:
        manifest.write_text(text)
        with pytest.raises(ValueError, match=message):
            verify_archetypes(lib)
        with pytest.raises(ValueError, match=message):
            load_archetypes(lib)


def test_verify_finds_tampering_and_loading_checks_names(serial, tmp_path):
    import shutil

    lib = tmp_path / "lib"
    shutil.copytree(serial, lib)
    shard = lib / "archetype=rally_day" / "part-0000.parquet"
    shard.write_bytes(shard.read_bytes()[:-10] + b"0123456789")
    (lib / "archetype=flash_crash" / "part-0000.parquet").unlink()
    assert verify_archetypes(lib) == [
        "hash mismatch archetype=rally_day/part-0000.parquet",
        "missing archetype=flash_crash/part-0000.parquet",
    ]
    with pytest.raises(ValueError, match=r"archetype\(s\) \['moon'\] not in this library"):
        load_archetypes(serial, ["moon"])
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        verify_archetypes(tmp_path)
    with pytest.raises(ValueError, match=r"unknown archetype\(s\) \['moon'\]"):
        build_archetypes(tmp_path / "x", ["moon"], 1)


def test_cli(tmp_path):
    out = tmp_path / "lib"
    result = runner.invoke(
        app,
        [
            "dataset",
            "build",
            "--archetypes",
            "quiet_day,news_spike",
            "--days-per-archetype",
            "2",
            "--seed",
            "1",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 days" in result.output
    result = runner.invoke(app, ["dataset", "verify", str(out)])
    assert result.exit_code == 0 and "every shard matches" in result.output
    assert runner.invoke(app, ["dataset", "list"]).exit_code == 0
    (out / "archetype=quiet_day" / "part-0000.parquet").write_bytes(b"broken")
    result = runner.invoke(app, ["dataset", "verify", str(out)])
    assert result.exit_code == 1 and "hash mismatch" in result.output


def test_absurd_build_sizes_fail_before_any_work(tmp_path):
    import os

    from fracfire.data.synthetic import build_archetypes

    with pytest.raises(ValueError, match=r"workers 10,000 is more than 4 per core"):
        build_archetypes(tmp_path / "a", "all", 1, workers=10_000)
    with pytest.raises(ValueError, match=r"days_per_archetype 100,000,000 is more than 100,000"):
        build_archetypes(tmp_path / "b", "all", 100_000_000)
    assert not os.listdir(tmp_path)


def test_a_bad_seed_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*32\); got -3"):
        build_archetypes(tmp_path / "lib", NAMES, 1, seed=-3, workers=1)
    assert not (tmp_path / "lib").exists() or not any((tmp_path / "lib").iterdir())
