"""Video export: ``mnist-viz record`` and File > Export video write MP4 / GIF / WebP files that play
for frames / fps seconds, refuse a bad target before any training, and leave no file when cancelled.

The files are read back with the libraries' decoders (PyAV's for MP4, Pillow's for GIF and WebP)
and compared, frame by frame, with the RGB frames that went in."""
import json
import os
import signal
import subprocess
import sys
import types

import av
import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtWidgets

from mnist_viz import cli
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import recording, video, video_dialog
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel, without_deltas

SIZE = (320, 240)


@pytest.fixture
def keep_signal_handlers():
    """``record`` installs its Ctrl+C handler (as ``train`` does); the test process gets its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture(scope="module")
def run(qapp, small_mnist):
    """A short run: 12 snapshots, every 4 steps, each with the curve rows since the previous one and
    the answers for the probes a ``ProbesPanel`` of this dataset picks."""
    trainer = Trainer(small_mnist, Settings(hidden=(16,), batch_size=64, lr=3e-3))
    probes = ProbesPanel(small_mnist)
    probe_x = probes.probe_images()
    probes.deleteLater()
    snaps = []
    for i in range(12):
        if i:
            trainer.train(iterations=4)
        if i % 4 == 3:
            trainer.record_evaluation()
        snaps.append(trainer.snapshot(probe_x, health=False))
    return snaps


def read_mp4(path):
    """``(frames as (H, W, 3) uint8 RGB, stream duration in seconds, average rate)``, by PyAV's decoder."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, float(stream.duration * stream.time_base), float(stream.average_rate)


def read_animation(path):
    """``(frames as RGB arrays, per-frame durations in ms)``, by Pillow."""
    frames, durations = [], []
    with Image.open(path) as image:
        for i in range(image.n_frames):
            image.seek(i)
            image.load()
            durations.append(image.info["duration"])
            frames.append(np.asarray(image.convert("RGB")))
    return frames, durations


def rendered(small_mnist, snaps, layout="lecture"):
    renderer = recording.FrameRenderer(small_mnist, SIZE, layout)
    try:
        return [renderer.render(s) for s in snaps]
    finally:
        renderer.close()


@pytest.mark.parametrize("ending,fps", [(".mp4", 12), (".gif", 15), (".webp", 15)])
def test_each_format_plays_its_frames_for_frames_over_fps_seconds(qapp, small_mnist, run, tmp_path, ending, fps):
    frames_in = rendered(small_mnist, run)
    path = tmp_path / f"run{ending}"
    with video.open_video(path, SIZE, fps) as writer:
        for frame in frames_in:
            writer.add_frame(frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    if ending == ".mp4":
        frames_out, seconds, rate = read_mp4(path)
        assert seconds == pytest.approx(len(frames_in) / fps) and rate == fps
        tolerance = 6.0  # H.264 is lossy; a swapped colour order or a shifted frame is off by tens
    else:
        frames_out, durations = read_animation(path)
        tick = 10 if ending == ".gif" else 1  # GIF counts hundredths of a second
        assert sum(durations) == pytest.approx(1000 * len(frames_in) / fps, abs=tick / 2)
        assert all(abs(d - 1000 / fps) <= tick for d in durations)
        tolerance = 4.0  # 256 colours per frame
    assert len(frames_out) == len(frames_in)
    assert frames_out[0].shape == (SIZE[1], SIZE[0], 3)
    for before, after in zip(frames_in, frames_out):
        assert np.abs(before.astype(float) - after).mean() < tolerance
    # the frames differ from each other (the run moves): a video of one repeated frame would pass the rest
    assert np.abs(frames_in[0].astype(float) - frames_in[-1]).mean() > 2 * tolerance / 3


def test_frames_show_the_panels_text_and_colours_at_the_chosen_size(qapp, small_mnist, run):
    frame = rendered(small_mnist, run[-1:])[0]
    weights_only = rendered(small_mnist, run[-1:], "weights")[0]
    assert frame.shape == weights_only.shape == (SIZE[1], SIZE[0], 3)
    # the mosaic's blue and red weights fill much more of the frame when it is the only panel
    def coloured(image):
        r, g, b = (image[..., i].astype(int) for i in range(3))
        return np.mean((np.abs(r - b) > 60) & (g < 200))
    assert coloured(weights_only) > 2 * coloured(frame) > 0


def test_frame_durations_add_up_to_frames_over_fps():
    for frames, fps, tick in [(150, 15, 10), (7, 30, 1), (1, 50, 10), (100, 24, 10)]:
        durations = video.frame_durations_ms(frames, fps, tick)
        assert len(durations) == frames and all(d % tick == 0 and d > 0 for d in durations)
        assert abs(sum(durations) - 1000 * frames / fps) <= tick / 2


def test_curve_deltas_hand_each_frame_the_rows_since_the_previous_one(run):
    steps = np.concatenate([s.new_steps for s in run])
    evals = np.concatenate([s.new_evals for s in run])
    kept = [without_deltas(s) for s in run[::3]]  # what a thinned timeline keeps
    cut = recording.curve_deltas(kept, steps, evals[:, :5], [])
    assert [s.step for s in cut] == [s.step for s in kept]
    for previous, snap in zip([None, *cut], cut):
        low = -1 if previous is None else previous.step
        assert ((snap.new_steps[:, 0] > low) & (snap.new_steps[:, 0] <= snap.step)).all()
    together = np.concatenate([s.new_steps for s in cut])
    np.testing.assert_array_equal(together, steps[steps[:, 0] <= kept[-1].step])
    assert sum(len(s.new_evals) for s in cut) == np.count_nonzero(evals[:, 0] <= kept[-1].step)


def test_a_comparison_video_draws_run_b_level_with_run_a_by_images_seen(qapp, small_mnist, run):
    """Run B (another hidden size and batch size) is cut where run A's frames are, by training images
    seen; each frame gets B's nearest earlier moment, and B's mosaic its own units."""
    trainer = Trainer(small_mnist, Settings(hidden=(5,), batch_size=32, lr=3e-3))
    probe_x = recording.FrameRenderer(small_mnist, SIZE).probe_images()
    kept_b = []
    for i in range(10):
        if i:
            trainer.train(iterations=5)
        kept_b.append(without_deltas(trainer.snapshot(probe_x, health=False)))
    trainer.record_evaluation()
    trainer.flush()
    history = trainer.history
    steps_b = history.steps.array()[:, :5]
    second = recording.SecondRun(("A: 16", "B: 5", "hidden 16 vs 5", ""), kept_b[::2],
                                 (steps_b, history.evals.array()[:, :5], []))
    frames_b = recording.second_run_frames(run, second)
    assert len(frames_b) == len(run)
    for a, b in zip(run, frames_b):
        assert b.samples <= a.samples or b is frames_b[0]
        assert (b.new_steps[:, 2] <= a.samples).all()
    together = np.concatenate([b.new_steps for b in frames_b])
    np.testing.assert_array_equal(together, steps_b[steps_b[:, 2] <= run[-1].samples])  # no row twice, none lost
    renderer = recording.FrameRenderer(small_mnist, SIZE, second_texts=second.texts)
    try:
        frame = renderer.render(run[-1], frames_b[-1])
        assert frame.shape == (SIZE[1], SIZE[0], 3)
        assert renderer.weights.n_units == 16 and renderer.weights_b.n_units == 5
        assert "B: 5" in renderer.curves.runs_key_text()
    finally:
        renderer.close()


def test_frame_steps_spread_evenly_and_never_repeat():
    assert recording.frame_steps(0, 1407, 150)[:3] == [0, 9, 19] and recording.frame_steps(0, 1407, 150)[-1] == 1407
    assert len(recording.frame_steps(0, 1407, 150)) == 150
    assert recording.frame_steps(10, 14, 150) == [10, 11, 12, 13, 14]  # a short run: one frame per step
    assert recording.frame_steps(5, 5, 10) == [5]


# ------------------------------------------------------------------ refused before any training
def refused(argv, monkeypatch, capsys):
    def no_training(args):
        raise AssertionError("trained although the video could not be written")
    monkeypatch.setattr(cli, "build_trainer", no_training)
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("out,extra,message", [
    ("run.avi", [], "'.avi' is not a video format mnist-viz writes; end the name with .mp4, .gif or .webp"),
    ("run", [], "cannot write a video as run: the name has no file ending; end the name with .mp4"),
    ("no/such/folder/run.mp4", [], "does not exist"),
    (".", [], "it is a folder"),
    ("run.mp4", ["--size", "321x240"], "needs an even width and height; got 321x240 (use 322x240)"),
    ("run.mp4", ["--size", "big"], "a size is width x height in pixels, like 1280x720"),
    ("run.mp4", ["--size", "100x50"], "between 160 and 4096 pixels"),
    ("run.gif", ["--fps", "60"], "from 1 to 50 frames per second for a GIF"),
    ("run.gif", ["--size", "1920x1080", "--seconds", "600"], "GB of memory"),
])
def test_a_bad_target_is_refused_before_training(tmp_path, monkeypatch, capsys, keep_signal_handlers, out, extra,
                                                 message):
    monkeypatch.chdir(tmp_path)
    code, err = refused(["record", "--iterations", "5", "--out", out, *extra], monkeypatch, capsys)
    assert code == cli.EXIT_BAD_INPUT and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_record_trains_and_writes_a_video_that_plays(qapp, tmp_path, capsys, keep_signal_handlers):
    out = tmp_path / "run.mp4"
    code = cli.main(["record", "--preset", "fast", "--iterations", "30", "--train-subset", "2000", "--hidden", "16",
                     "--out", str(out), "--size", "320x240", "--fps", "10", "--seconds", "1.2", "--no-progress",
                     "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 30 and report["settings"]["hidden"] == [16]
    assert report["video"]["frames"] == 12 and report["video"]["last_step"] == 30
    frames, seconds, rate = read_mp4(out)
    assert len(frames) == 12 and seconds == pytest.approx(1.2) and rate == 10
    assert frames[0].shape == (240, 320, 3)


def test_record_says_where_it_wrote_and_how_long_it_plays(qapp, tmp_path, capsys, keep_signal_handlers):
    out = tmp_path / "run.webp"
    assert cli.main(["record", "--iterations", "4", "--train-subset", "1000", "--hidden", "8", "--out", str(out),
                     "--size", "200x160", "--fps", "5", "--layout", "weights", "--no-progress"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"wrote {out}: animated WebP, 5 frames, 1 s at 5 frames/s, 200x160")
    assert read_animation(out)[1] == [200] * 5


def test_ctrl_c_during_record_writes_no_video(qapp, tmp_path, monkeypatch, capsys, keep_signal_handlers):
    class CtrlCAfterFiveSteps:
        """``Interrupt`` as if Ctrl+C came after the fifth step (the real one notes a signal in ``signum``)."""

        def __init__(self):
            self.asked = 0

        @property
        def signum(self):
            self.asked += 1
            return signal.SIGINT if self.asked > 5 else None

    monkeypatch.setattr(cli, "Interrupt", CtrlCAfterFiveSteps)
    code = cli.main(["record", "--iterations", "50", "--train-subset", "1000", "--hidden", "8", "--no-progress",
                     "--out", str(tmp_path / "run.mp4"), "--size", "160x160", "--fps", "10", "--seconds", "2"])
    assert code == cli.EXIT_INTERRUPTED and "no video was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_record_needs_no_display(tmp_path):
    """As a user runs it over ssh or in CI: no DISPLAY, no QT_QPA_PLATFORM; Qt's offscreen platform is chosen."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "run.gif"
    done = subprocess.run([sys.executable, "-m", "mnist_viz", "record", "--iterations", "3", "--train-subset", "500",
                           "--hidden", "8", "--out", str(out), "--size", "160x160", "--fps", "4", "--seconds", "1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "step" in done.stderr and f"wrote {out}: animated GIF, 4 frames, 1 s" in done.stdout  # tqdm's bar, stderr
    assert read_animation(out)[1] == [250] * 4


def test_the_cli_layouts_are_the_renderers():
    assert tuple(recording.LAYOUTS) == cli.VIDEO_LAYOUTS


# ------------------------------------------------------------------ the window's export
class FakeFiles:
    def __init__(self):
        self.errors, self.messages = [], []

    def show_error(self, title, message):
        self.errors.append(message)

    def status(self, message):
        self.messages.append(message)


class FakeProgress:
    """A progress dialog whose Cancel is pressed after ``cancel_after`` frames (never: None)."""

    def __init__(self, cancel_after=None):
        self.cancel_after, self.value = cancel_after, 0

    def setValue(self, value):
        self.value = value

    def wasCanceled(self):
        return self.cancel_after is not None and self.value >= self.cancel_after

    def reset(self):
        pass


@pytest.fixture
def fake_window(qapp, small_mnist, run):
    """What the export reads of a window: its timeline, curves, probes, data and file messages."""
    timeline, curves, probes = TimelinePanel(max_items=4), CurvesPanel(), ProbesPanel(small_mnist)
    for snap in run:
        timeline.offer(snap)
        curves.show_snapshot(snap)
    yield types.SimpleNamespace(timeline=timeline, curves=curves, probes=probes, data=small_mnist, files=FakeFiles(),
                                compare=types.SimpleNamespace(comparison=None))
    for widget in (timeline, curves, probes):
        widget.deleteLater()


def test_a_cancelled_window_export_leaves_no_file(fake_window, tmp_path):
    choice = video_dialog.VideoChoice("lecture", SIZE, 15, str(tmp_path / "lecture.mp4"))
    progress = FakeProgress(cancel_after=2)
    assert video_dialog.write_timeline_video(fake_window, choice, progress=progress) is None
    assert progress.value == 2 and list(tmp_path.iterdir()) == []
    assert fake_window.files.messages == ["Video export cancelled: nothing was written"]


def test_the_window_export_writes_one_frame_per_kept_moment_with_the_curves_growing(fake_window, tmp_path):
    kept = len(fake_window.timeline.timeline)
    assert 2 <= kept < 12  # the timeline thinned the run: the curves come from the curves panel
    path = tmp_path / "curves.gif"
    choice = video_dialog.VideoChoice("curves", SIZE, 10, str(path))
    assert video_dialog.write_timeline_video(fake_window, choice, progress=FakeProgress()) == path
    frames, durations = read_animation(path)
    assert len(frames) == kept and sum(durations) == 100 * kept
    assert fake_window.files.messages == [f"Exported {path}: {kept} frames, {kept / 10:.1f} s"]
    # later frames have more curve drawn: more of the frame differs from the background
    ink = [np.mean(np.abs(f.astype(int) - f[0, 0]).sum(axis=2) > 60) for f in frames]
    assert ink[-1] > ink[0]


def test_the_window_export_refuses_a_bad_name_with_a_message(fake_window, tmp_path):
    choice = video_dialog.VideoChoice("lecture", SIZE, 15, str(tmp_path / "lecture.mov"))
    assert video_dialog.write_timeline_video(fake_window, choice, progress=FakeProgress()) is None
    assert "'.mov' is not a video format" in fake_window.files.errors[0] and list(tmp_path.iterdir()) == []


def test_the_dialog_offers_the_size_on_screen_made_even(qapp, tmp_path):
    dialog = video_dialog.VideoDialog(24, {"lecture": (1001, 613), "curves": (640, 480)}, str(tmp_path / "v.mp4"))
    assert dialog.choice() == video_dialog.VideoChoice("lecture", (1280, 720), 15, str(tmp_path / "v.mp4"))
    on_screen = dialog.size_box.findText(video_dialog.AS_ON_SCREEN, QtCore.Qt.MatchFlag.MatchContains)
    dialog.size_box.setCurrentIndex(on_screen)
    assert dialog.choice().size == (1000, 612)
    dialog.fps_box.setValue(12)
    assert "24 frames" in dialog.length_label.text() and "2.0 s" in dialog.length_label.text()
    dialog.layout_box.setCurrentIndex(list(recording.LAYOUTS).index("weights"))  # no size known on screen
    assert dialog.size_box.count() == len(video_dialog.SIZES)  # the fixed sizes, none "as on screen"
    dialog.deleteLater()
    QtWidgets.QApplication.sendPostedEvents()


@pytest.mark.slow
def test_file_export_video_from_a_training_window(qtbot, small_mnist, store, tmp_path):
    """The real window: its timeline's moments, curves and probe strip make the video; Cancel writes nothing."""
    from test_window import make_window

    window = make_window(qtbot, small_mnist, store)
    try:
        window.worker.set_playing(True)
        qtbot.waitUntil(lambda: len(window.timeline.timeline) >= 4, timeout=20_000)
        window.worker.set_playing(False)
        assert video_dialog.default_path(window).endswith(".mp4")
        assert video_dialog.screen_sizes(window)["curves"] == (window.curves.width(), window.curves.height())
        snaps = video_dialog.timeline_snapshots(window)
        choice = video_dialog.VideoChoice("lecture", SIZE, 10, str(tmp_path / "window.mp4"))
        assert video_dialog.write_timeline_video(window, choice, snaps, FakeProgress(cancel_after=1)) is None
        assert list(tmp_path.iterdir()) == []
        assert video_dialog.write_timeline_video(window, choice, snaps, FakeProgress()) == tmp_path / "window.mp4"
        frames, seconds, _ = read_mp4(tmp_path / "window.mp4")
        assert len(frames) == len(snaps) and seconds == pytest.approx(len(snaps) / 10)
    finally:
        window.shutdown()
