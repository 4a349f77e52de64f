"""Where no window can open (no display, a stale one, a system library missing for Qt's X11 plugin,
``mnist-viz`` says what is wrong in one line and exits
with code 2, instead of Qt's abort (exit code 134, a message that names the wrong library or none)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from mnist_viz.gui import environment  # the checks run_app makes before Qt starts

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland checks are Linux's")
NO_DISPLAY = ("mnist-viz: no display to open a window on (DISPLAY is not set). "
              "To train without a window: mnist-viz train --help")


@linux_only
def test_without_a_display_the_window_command_says_so_in_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "mnist_viz"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == NO_DISPLAY
    assert done.stdout == "" and "Traceback" not in done.stderr


@pytest.mark.parametrize("environ, expected", [
    ({}, "(DISPLAY is not set)"),
    ({"QT_QPA_PLATFORM": "xcb"}, "(DISPLAY is not set)"),
    ({"QT_QPA_PLATFORM": "wayland"}, "(WAYLAND_DISPLAY is not set)"),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "(WAYLAND_DISPLAY is not set)"),
    ({"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": "/nonexistent"},
     "(DISPLAY is not set, and WAYLAND_DISPLAY=wayland-9 is no Wayland socket)"),
    ({"DISPLAY": ":0"}, None),
    ({"QT_QPA_PLATFORM": "offscreen"}, None),  # the test suite's own platform
    ({"QT_QPA_PLATFORM": "minimal:enable_fonts"}, None),
    ({"QT_QPA_PLATFORM": "vnc"}, None),
])
def test_the_display_check_reads_the_environment_as_qt_does(environ, expected):
    problem = environment.display_problem(environ, platform="linux")
    assert problem is None if expected is None else expected in problem and problem.endswith("mnist-viz train --help")


def test_a_wayland_socket_is_a_display(tmp_path):
    (tmp_path / "wayland-1").touch()
    environ = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert environment.display_problem(environ, "linux") is None
    assert environment.display_problem({"WAYLAND_DISPLAY": str(tmp_path / "wayland-1")}, "linux") is None


def test_elsewhere_qt_has_its_own_platform():
    assert environment.window_problem({}, platform="darwin") is None
    assert environment.window_problem({}, platform="win32") is None


def test_a_missing_system_library_is_named_with_the_line_that_installs_it(monkeypatch):
    def cdll(path, *args, **kwargs):
        raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(environment.ctypes, "CDLL", cdll)
    problem = environment.xcb_problem("/somewhere/Qt/plugins/platforms/libqxcb.so")
    assert "\n" not in problem
    assert "needs the system library libxcb-cursor.so.0, which is not installed" in problem
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in problem
    assert problem.endswith("To train without a window: mnist-viz train --help")


def test_a_library_outside_the_known_list_is_still_named(monkeypatch):
    problem = environment.missing_library_message("libwhatever.so.3")
    assert "libwhatever.so.3" in problem and "apt-file search libwhatever.so.3" in problem


@pytest.mark.skipif(shutil.which("cc") is None or not sys.platform.startswith("linux"), reason="needs a C compiler")
def test_the_name_comes_from_the_loaders_own_error(tmp_path):
    # A real plugin-like library that links against one which is then deleted: dlopen's own message.
    (tmp_path / "gone.c").write_text("int gone(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text(textwrap.dedent("""
        int gone(void);
        int plugin(void) { return gone(); }
    """))
    build = [["cc", "-shared", "-fPIC", "-o", "libmnistvizgone.so", "-Wl,-soname,libmnistvizgone.so.1", "gone.c"],
             ["cc", "-shared", "-fPIC", "-o", "libqfake.so", "plugin.c", "-L.", "-lmnistvizgone"]]
    for command in build:
        subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "libmnistvizgone.so").unlink()
    problem = environment.xcb_problem(str(tmp_path / "libqfake.so"))
    assert "needs the system library libmnistvizgone.so.1, which is not installed" in problem


def test_other_load_errors_are_left_to_qt(tmp_path):
    not_a_library = tmp_path / "libqxcb.so"
    not_a_library.write_bytes(b"not an ELF file")
    assert environment.xcb_problem(str(not_a_library)) is None
    assert environment.xcb_problem(None) is None  # no plugin found: nothing to check


@linux_only
def test_an_x_server_that_does_not_answer_is_no_display():
    display = ":4242"  # no server: no /tmp/.X11-unix/X4242
    if os.path.exists("/tmp/.X11-unix/X4242"):
        pytest.skip("an X server runs on :4242")
    problem = environment._x_server_problem(display)
    if problem is None:
        pytest.skip("libxcb is not installed")  # then the plugin check has said so already
    assert "DISPLAY=:4242 does not answer" in problem
