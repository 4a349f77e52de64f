"""Writing a sequence of RGB frames as an MP4 video, an animated GIF or an animated WebP.

Libraries, and why:

- **MP4: PyAV** (``av``), the Python binding of FFmpeg's libraries. Its wheels ship FFmpeg itself
  (with libx264), so ``pip install .`` is all it takes: no ``ffmpeg`` program to find on the PATH, no
  subprocess to feed through a pipe and to clean up when it hangs. Frames go in one at a time
  (``add_frame``), each with its own timestamp, so the file has exactly the frames given and lasts
  exactly ``frames / fps`` seconds. H.264 in 4:2:0 colour (``yuv420p``), which every browser, phone,
  PowerPoint and Keynote plays, needs an even width and height: an odd one is refused (not rounded),
  so the file is always the size asked for.
- **GIF and WebP: Pillow**, the maintained imaging library (pyqtgraph's image exports use it too).
  Its animated writers take every frame in one call, so the frames are kept until ``close``: each as
  a 256-colour (palettised) image, a third of its RGB size. ``check_video_target`` refuses, before any
  training, a GIF or WebP whose frames would need more than ``MAX_HELD_BYTES`` (the message says to
  use MP4 or a smaller size or frame rate). GIF counts time in hundredths of a second, so each frame
  lasts 1/fps rounded so that the *total* is right (at 15 fps: 7, 7, 6, 7, 7, 6, ... hundredths);
  browsers show frames shorter than 2 hundredths at 10 per second, hence at most ``MAX_GIF_FPS``.

Every format is written to a temporary file in the target's folder and renamed over the target only
by ``close``; ``abort`` (a cancel, an error) removes it, so there is never half a video where the
target should be. The temporary names are those of ``core.files.atomic_write`` (``.<name>.<pid>.*.tmp``),
so one left behind by a killed process is removed by the next write there.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from mnist_viz.core.files import FileWriteError, _permissions_for, open_temp_beside

VIDEO_FORMATS = {".mp4": "MP4 video (H.264)", ".gif": "animated GIF", ".webp": "animated WebP"}
MIN_SIDE, MAX_SIDE = 160, 4096  # pixels; smaller frames cannot hold readable text, larger ones no screen shows
MIN_FPS, MAX_FPS = 1, 60
MAX_GIF_FPS = 50  # GIF delays are in 1/100 s and browsers slow delays under 2/100 s down to 1/10 s
MAX_HELD_BYTES = 1_000_000_000  # palettised frames a GIF/WebP keeps until written (1 byte per pixel)
MP4_QUALITY = "20"  # x264's constant rate factor: 18 is visually lossless, 23 its default; text wants crisp
MP4_SPEED = "veryfast"  # x264 preset: ~10 ms per 1280x720 frame on one core, files ~10% above "medium"
_SIZE = re.compile(r"\s*(\d+)\s*[x×X*,]\s*(\d+)\s*")


def video_format(path: str | os.PathLike) -> str:
    """``".mp4"``, ``".gif"`` or ``".webp"`` from ``path``'s ending (any case).

    Raises:
        ValueError: any other ending, naming it and the three accepted.
    """
    name, suffix = Path(path).name, Path(path).suffix
    if suffix.lower() not in VIDEO_FORMATS:
        why = f"'{suffix}' is not a video format mnist-viz writes" if suffix else "the name has no file ending"
        raise ValueError(f"cannot write a video as {name or path}: {why}; end the name with .mp4, .gif or .webp")
    return suffix.lower()


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` (also ``1280×720``, ``1280,720``) as ``(width, height)``.

    Raises:
        ValueError: not two whole numbers, or a side outside ``MIN_SIDE``..``MAX_SIDE``.
    """
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise ValueError(f"a size is width x height in pixels, like 1280x720; got {text!r}")
    size = int(match.group(1)), int(match.group(2))
    check_size(size)
    return size


def check_size(size: tuple[int, int], ending: str = "") -> None:
    """Raise ``ValueError`` unless both sides are within ``MIN_SIDE``..``MAX_SIDE`` (and, for an MP4,
    even: H.264's 4:2:0 colour has one colour sample per 2x2 pixels)."""
    width, height = size
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"the video size must be between {MIN_SIDE} and {MAX_SIDE} pixels each way; "
                         f"got {width}x{height}")
    if ending == ".mp4" and (width % 2 or height % 2):
        raise ValueError(f"an MP4 video needs an even width and height; got {width}x{height} "
                         f"(use {width + width % 2}x{height + height % 2})")


def check_fps(fps: int, ending: str = "") -> None:
    """Raise ``ValueError`` unless ``fps`` is a whole number of frames per second the format plays."""
    top = MAX_GIF_FPS if ending == ".gif" else MAX_FPS
    if not (isinstance(fps, (int, np.integer)) and MIN_FPS <= fps <= top):
        raise ValueError(f"the frame rate must be a whole number from {MIN_FPS} to {top} frames per second"
                         f"{' for a GIF' if ending == '.gif' else ''}; got {fps}")


def check_video_target(path: str | os.PathLike, size: tuple[int, int], fps: int, frames: int = 0) -> str:
    """Everything that can be checked before training and rendering start: the ending, the size,
    the frame rate, that a file can be written at ``path``, and that ``frames`` frames of a GIF or
    WebP fit in memory. Returns the format (``".mp4"``, ...).

    Raises:
        ValueError: a wrong ending, size or frame rate, or too many GIF/WebP frames (the message says what).
        FileWriteError: the folder is missing or not writable, or ``path`` is a folder (names ``path``).
    """
    if Path(path).is_dir():
        raise FileWriteError(Path(path), "it is a folder")
    ending = video_format(path)
    check_size(size, ending)
    check_fps(fps, ending)
    held = frames * size[0] * size[1]
    if ending != ".mp4" and held > MAX_HELD_BYTES:
        raise ValueError(f"{frames} frames of {size[0]}x{size[1]} would need {held / 1e9:.1f} GB of memory for "
                         f"an {VIDEO_FORMATS[ending]} (all its frames are kept until it is written); "
                         f"write an .mp4, or choose a smaller size, a lower frame rate or fewer seconds")
    _check_writable(Path(path))
    return ending


def _check_writable(path: Path) -> None:
    target = path.absolute()
    folder = target.parent
    if target.is_dir():
        raise FileWriteError(path, "it is a folder")
    if not folder.is_dir():
        raise FileWriteError(path, f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise FileWriteError(path, "permission denied")


def frame_durations_ms(frames: int, fps: int, tick_ms: int = 1) -> list[int]:
    """How long each of ``frames`` frames is shown, in whole multiples of ``tick_ms``, so that frame
    ``i`` starts at ``i / fps`` seconds rounded to a tick: the total is ``frames / fps`` to within
    half a tick, where rounding each frame alike would drift (15 fps as 7/100 s each: 5 % too long)."""
    starts = [round(i * 1000 / fps / tick_ms) * tick_ms for i in range(frames + 1)]
    return [max(tick_ms, b - a) for a, b in itertools.pairwise(starts)]


class VideoWriter:
    """Frames in, one video file out: ``add_frame(rgb)`` for each frame, then ``close()`` (which
    puts the file at ``path`` and returns it) or ``abort()`` (which leaves nothing). Use
    ``open_video`` to make one. Also a context manager: an exception inside aborts.

    Attributes:
        path: the target; size: ``(width, height)``; fps; frames: frames added so far.
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: int):
        self.path, self.size, self.fps = path, size, fps
        self.frames = 0
        self.closed = False
        fd, tmp = open_temp_beside(path)
        os.close(fd)
        self._tmp = Path(tmp)

    @property
    def seconds(self) -> float:
        """How long the video added so far plays."""
        return self.frames / self.fps

    def add_frame(self, rgb: np.ndarray) -> None:
        """Append one frame, ``(height, width, 3) uint8`` RGB of exactly ``size``."""
        if self.closed:
            raise ValueError("the video is already closed")
        rgb = np.asarray(rgb)
        expected = (self.size[1], self.size[0], 3)
        if rgb.shape != expected or rgb.dtype != np.uint8:
            raise ValueError(f"a frame must be {expected} uint8, got {rgb.shape} {rgb.dtype}")
        try:
            self._add(np.ascontiguousarray(rgb))
        except OSError as e:
            self.abort()
            raise FileWriteError(self.path, e.strerror or str(e)) from e
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it to ``path``. Returns ``path``.

        Raises:
            ValueError: no frame was added (nothing is written).
            FileWriteError: the disk is full, or the folder stopped being writable.
        """
        if self.closed:
            raise ValueError("the video is already closed")
        if self.frames == 0:
            self.abort()
            raise ValueError(f"no frames to write to {self.path}")
        try:
            self._finish()
            with open(self._tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(self._tmp, _permissions_for(self.path))
            os.replace(self._tmp, self.path)
        except OSError as e:
            self.abort()
            raise FileWriteError(self.path, e.strerror or str(e)) from e
        except BaseException:
            self.abort()
            raise
        self.closed = True
        return self.path

    def abort(self) -> None:
        """Stop and remove the temporary file: nothing is written at ``path``."""
        if self.closed:
            return
        self.closed = True
        try:
            self._discard()
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abort()
        elif not self.closed:
            self.close()

    # what each format does
    def _add(self, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        """Release what ``_add`` holds (the temporary file is removed after)."""


class _Mp4Writer(VideoWriter):
    """H.264 in an MP4 container, encoded frame by frame by PyAV (memory: a few frames)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int):
        super().__init__(path, size, fps)
        import av

        try:
            # faststart: the index goes first, so a browser starts playing before the whole file is in
            self._container = av.open(str(self._tmp), "w", format="mp4", options={"movflags": "+faststart"})
        except OSError:
            self._tmp.unlink(missing_ok=True)
            raise
        stream = self._container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"crf": MP4_QUALITY, "preset": MP4_SPEED}
        self._stream = stream

    def _add(self, rgb: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.frames  # in 1/fps: frame i starts at exactly i / fps seconds
        frame.time_base = Fraction(1, self.fps)
        self._container.mux(self._stream.encode(frame))

    def _finish(self) -> None:
        self._container.mux(self._stream.encode(None))  # the frames the encoder still holds
        self._container.close()

    def _discard(self) -> None:
        with contextlib.suppress(Exception):  # a half-written file is thrown away: its errors do not matter
            self._container.close()


class _PillowWriter(VideoWriter):
    """An animated GIF or WebP by Pillow. Keeps every frame as a 256-colour image (its own palette,
    by Pillow's fast octree quantizer: ~15 ms at 1280x720) until ``close`` writes them all."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int, ending: str):
        super().__init__(path, size, fps)
        self._ending = ending
        self._images: list = []

    def _add(self, rgb: np.ndarray) -> None:
        from PIL import Image

        image = Image.fromarray(rgb, "RGB")
        self._images.append(image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))

    def _finish(self) -> None:
        first, *rest = self._images
        if self._ending == ".gif":
            # loop=0: play on repeat, as a slide's animation should
            first.save(self._tmp, format="GIF", save_all=True, append_images=rest, loop=0,
                       duration=frame_durations_ms(self.frames, self.fps, tick_ms=10))
        else:
            # Lossless, fastest method: on flat colours and text it beat lossy quality 90 at method 4 in
            # both size (630 vs 1,130 kB for 20 frames of 1280x720) and time (35 vs 96 ms per frame).
            first.save(self._tmp, format="WEBP", save_all=True, append_images=rest, loop=0,
                       duration=frame_durations_ms(self.frames, self.fps), lossless=True, quality=0, method=0)
        self._images.clear()

    def _discard(self) -> None:
        self._images.clear()


def open_video(path: str | os.PathLike, size: tuple[int, int], fps: int) -> VideoWriter:
    """A writer for a video of ``size = (width, height)`` at ``fps`` frames per second, in the
    format ``path``'s ending names (see ``VIDEO_FORMATS``).

    Raises:
        ValueError: an unknown ending, a size or frame rate the format cannot have.
        FileWriteError: nothing can be written at ``path`` (the message names it).
    """
    path = Path(path)
    ending = check_video_target(path, size, fps)
    if ending == ".mp4":
        return _Mp4Writer(path, size, fps)
    return _PillowWriter(path, size, fps, ending)

