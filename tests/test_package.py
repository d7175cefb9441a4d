import subprocess
import sys
from pathlib import Path

import fracfire

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves():
    for name in fracfire.__all__:
        assert getattr(fracfire, name) is not None, name
    assert fracfire.__all__ == sorted(fracfire.__all__)


def test_import_is_light():
    code = "import sys, fracfire; print(any(m in sys.modules for m in ('numba', 'matplotlib', 'pandas')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_unknown_name():
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fracfire.nope  # noqa: B018


# A core install has no torch, dask or mlflow: block them and use what the core promises.
_WITHOUT_EXTRAS = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("torch", "dask", "distributed", "mlflow"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
"""

_CORE = (
    _WITHOUT_EXTRAS
    + r"""
import warnings; warnings.simplefilter("ignore")
import fracfire as ff
from fracfire.evaluation.backtest import run_backtest
from fracfire.exceptions import MissingExtraError
from fracfire.realism.discriminator import window_features
bars = ff.PriceGenerator(seed=1).generate_days("2025-01-06", 2)
real = ff.load_continuous_contract("data/es_1min_2019-09.csv.gz")
assert window_features(real).shape[1] == 16 and window_features(bars).shape[1] == 16
outcomes = ff.run_setups(bars, None)
run_backtest(bars, [o.entry for o in outcomes])
ff.StateDetector(backend="forest", n_estimators=5).fit(ff.extract_features(bars), bars["state"])
try:
    ff.StateDetector(backend="neural", epochs=1).fit(ff.extract_features(bars), bars["state"], bars=bars)
except MissingExtraError as exc:
    print(exc)
assert not any(m.partition(".")[0] in ("torch", "dask", "distributed", "mlflow") for m in sys.modules)
"""
)


def test_core_works_without_the_extras():
    done = subprocess.run([sys.executable, "-c", _CORE], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == (
        "The neural backend needs torch, which is not installed: pip install 'fracfire[neural]' (or 'fracfire[all]')"
    )


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    cli = _WITHOUT_EXTRAS + "import sys; from fracfire.cli import main; sys.argv[0] = 'fracfire'; main(sys.argv[1:])"
    runs = {
        "scale": [
            "dataset",
            "build",
            "--out",
            str(tmp_path / "lib"),
            "--days-per-archetype",
            "1",
            "--scheduler",
            "local",
        ],
        "tracking": ["pipeline", "--config", "configs/pipeline.yaml"],
    }
    for extra, args in runs.items():
        done = subprocess.run([sys.executable, "-c", cli, *args], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 1, (extra, done.stderr[-2000:])
        assert done.stderr.count("\n") == 1 and f"pip install 'fracfire[{extra}]'" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_numba_gets_a_writable_cache_when_the_package_folder_is_read_only(tmp_path):
    import subprocess
    import sys

    code = (
        "import os, fracfire; os.access = lambda *a, **k: False if a[0].endswith('fracfire') else True\n"
        "os.environ.pop('NUMBA_CACHE_DIR', None); fracfire._numba_cache_dir()\n"
        "print(os.environ['NUMBA_CACHE_DIR'])"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "fracfire" / "numba")


def test_public_functions_are_fully_annotated():
    import importlib
    import inspect

    from scripts.make_api import LAYERS

    missing = []
    for module_name, _ in LAYERS:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                functions = [(name, obj)]
            elif inspect.isclass(obj):
                functions = [
                    (f"{name}.{k}", v)
                    for k, v in vars(obj).items()
                    if inspect.isfunction(v) and (not k.startswith("_") or k == "__init__")
                ]
            else:
                continue
            for label, function in functions:
                signature = inspect.signature(function)
                bare = [
                    p
                    for p, v in signature.parameters.items()
                    if p not in ("self", "cls")
                    and v.annotation is inspect.Parameter.empty
                    and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
                ]
                if bare or (signature.return_annotation is inspect.Signature.empty and not label.endswith("__init__")):
                    missing.append(f"{module_name}.{label}: {bare or 'return'}")
    assert not missing, "public functions without annotations:\n" + "\n".join(sorted(set(missing)))
