"""Interruptions with real signals against real subprocesses: nothing half-written, no orphaned workers."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _start(args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "fracfire", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(condition, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(
                f"the command ended (code {process.returncode}) before the moment to interrupt it: "
                f"{process.stderr.read()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("timed out waiting for the moment to interrupt")
        time.sleep(0.005)


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _running(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "bars.csv.gz"
    process = _start(["generate", "--days", "120", "--seed", "1", "--out", str(out)], tmp_path)
    _wait_for(lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "neither the output nor its temporary file"


def _assert_gone(workers, seconds=10.0):
    """Workers notice their parent is gone within a second or so; none may linger."""
    deadline = time.monotonic() + seconds
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _running(w)], "workers outlived their parent"


def _build(tmp_path, lib, *extra):
    return _start(
        [
            "dataset",
            "build",
            "--out",
            str(lib),
            "--archetypes",
            "rally_day,range_day,quiet_day",
            "--days-per-archetype",
            "150",
            "--workers",
            "2",
            "--seed",
            "3",
            *extra,
        ],
        tmp_path,
    )


def _listed(lib):
    try:
        return len(json.loads((lib / "manifest.json").read_text())["shards"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def test_sigkill_of_a_build_leaves_no_worker_behind(tmp_path):
    lib = tmp_path / "lib"
    process = _build(tmp_path, lib)
    _wait_for(lambda: _listed(lib) >= 1, process)
    workers = _children(process.pid)
    assert workers, "the build runs worker processes"
    process.kill()
    process.communicate(timeout=30)
    _assert_gone(workers)
    assert not list(lib.rglob("*.tmp")), "workers write nothing; the parent writes atomically"


def test_sigterm_of_a_build_stops_cleanly_and_resume_finishes_it(tmp_path):
    from fracfire.data.synthetic import verify_archetypes

    lib = tmp_path / "lib"
    process = _build(tmp_path, lib)
    _wait_for(lambda: _listed(lib) >= 1, process)
    workers = _children(process.pid)
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    _assert_gone(workers)
    assert not list(lib.rglob("*.tmp"))
    assert verify_archetypes(lib)[0].startswith("unfinished build:")
    resumed = _build(tmp_path, lib, "--resume")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert verify_archetypes(lib) == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the point of the test
def test_a_stop_signal_swallowed_in_a_destructor_still_stops_the_run():
    import gc

    from fracfire._signals import Stopped, check_stop, stop_on_signals

    class Slow:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler's exception is "ignored" by Python here
            time.sleep(0.05)

    with pytest.raises(Stopped), stop_on_signals():
        Slow()
        gc.collect()
        check_stop()  # the next progress callback or stage boundary
    check_stop()  # outside the block nothing is pending


@pytest.mark.parametrize("signum, stops", [(signal.SIGTERM, "Stopped"), (signal.SIGINT, "KeyboardInterrupt")])
def test_a_stop_signal_between_creating_and_registering_a_temporary_file_leaves_nothing(
    tmp_path, monkeypatch, signum, stops
):
    """The race the subprocess test above hits now and then, made certain: a signal right after mkstemp."""
    import tempfile

    from fracfire import _atomic, _signals
    from fracfire._signals import stop_on_signals

    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_signal(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        os.kill(os.getpid(), signum)
        return made

    monkeypatch.setattr(_atomic.tempfile, "mkstemp", mkstemp_then_signal)
    expected = _signals.Stopped if stops == "Stopped" else KeyboardInterrupt
    with pytest.raises(expected), stop_on_signals(), _atomic.atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("never reached")
    assert list(tmp_path.iterdir()) == []
    assert not _atomic.IN_FLIGHT


def test_a_stop_signal_during_the_clean_up_does_not_cut_it_short(tmp_path, monkeypatch):
    from fracfire import _atomic
    from fracfire._signals import Stopped, stop_on_signals

    class SignallingSet(set):
        def discard(self, item):
            os.kill(os.getpid(), signal.SIGTERM)
            super().discard(item)

    monkeypatch.setattr(_atomic, "IN_FLIGHT", SignallingSet())
    with pytest.raises(Stopped), stop_on_signals(), _atomic.atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("half")
        raise OSError("disk went away")
    assert list(tmp_path.iterdir()) == []


def test_a_signal_that_stops_the_run_is_not_raised_again_by_a_later_write(tmp_path):
    """A signal raised at once (outside a hold) clears any signal still held, so a later write cannot re-raise it
    after the handlers are gone (and, with the default handler back, kill an embedding process)."""
    from fracfire import _signals
    from fracfire._atomic import write_text_atomic
    from fracfire._signals import Stopped, stop_on_signals

    with pytest.raises(Stopped), stop_on_signals():
        _signals._held = signal.SIGHUP  # as if a signal was held when a second one arrived after the hold ended
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert _signals._held is None
    assert write_text_atomic(tmp_path / "later.txt", "fine").read_text() == "fine"


def test_a_stop_swallowed_while_a_file_is_written_keeps_the_file_out(tmp_path):
    """Compiled code may drop the handler's exception (pandas formats datetimes in Cython that calls back into
    Python, where SIGTERM landed in one CI run in a hundred): the writer checks before it publishes the file."""
    from fracfire import _signals
    from fracfire._atomic import atomic_path
    from fracfire._signals import Stopped, stop_on_signals

    with pytest.raises(Stopped), stop_on_signals(), atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("complete, but asked to stop")
        _signals._pending = signal.SIGTERM  # what the handler leaves when its exception is swallowed
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_swallowed_a_stop_still_exits_as_stopped(monkeypatch, capsys):
    import fracfire.cli
    from fracfire import _signals

    def finishes_after_a_swallowed_stop(**_):
        _signals._pending = signal.SIGTERM  # the handler ran, but its exception was lost
        raise SystemExit(0)

    monkeypatch.setattr(fracfire.cli, "app", finishes_after_a_swallowed_stop)
    with pytest.raises(SystemExit) as done:
        fracfire.cli.main([])
    assert done.value.code == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in capsys.readouterr().err
    assert _signals._pending is None
