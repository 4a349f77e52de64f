"""Can a window open here? Checked before Qt starts: without a display, or with a system library
missing for Qt's X11 plugin, Qt would abort (exit code 134) with a message that names the wrong
library or none; these say what is wrong in one line (``run_app`` prints it and exits with
``EXIT_NO_WINDOW``). No Qt import: they must work where Qt cannot.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from collections.abc import Mapping

EXIT_NO_WINDOW = 2
HEADLESS_HINT = "To train without a window: mnist-viz train --help"
# The libraries Qt's X11 ("xcb") platform plugin needs that a bare Linux container may lack, by the
# Debian/Ubuntu package that has them (readelf -d on PySide6's libqxcb.so and libQt6XcbQpa.so.6).
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libX11-xcb.so.1": "libx11-xcb1",
}
# Needed too, but what every desktop and most containers with Qt have (README: the system libraries).
BASE_PACKAGES = {
    "libxcb.so.1": "libxcb1", "libxcb-util.so.1": "libxcb-util1", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0", "libX11.so.6": "libx11-6", "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
_MISSING_LIBRARY = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")


# ------------------------------------------------------------------ can a window open here?
def window_problem(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why no window can open here, as the one line to print, or ``None`` when Qt can try:
    ``display_problem``, then ``x11_problem``."""
    return display_problem(environ, platform) or x11_problem(environ, platform)


def _platforms(environ: Mapping[str, str], platform: str) -> set[str] | None:
    """The Qt platform plugins that may be used ("" = Qt's choice), or ``None`` when none of them
    needs a display (offscreen, minimal, vnc, eglfs, linuxfb...; not on Linux, Qt's native one)."""
    if not platform.startswith("linux"):
        return None
    wanted = {name.split(":")[0].strip() for name in environ.get("QT_QPA_PLATFORM", "").split(";")}
    return wanted if wanted <= {"", "xcb", "wayland", "wayland-egl"} else None


def display_problem(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """The line to print when there is no display to open a window on (an ssh session, a
    container, a cron job), or ``None``. Only looks at the environment: microseconds."""
    environ = os.environ if environ is None else environ
    wanted = _platforms(environ, platform)
    if wanted is None:
        return None
    x11 = bool(wanted & {"", "xcb"}) and bool(environ.get("DISPLAY"))
    wayland = bool(wanted - {"xcb"}) and _wayland_socket(environ)
    if x11 or wayland:
        return None
    why = "DISPLAY is not set" if wanted & {"", "xcb"} else "WAYLAND_DISPLAY is not set"
    if environ.get("WAYLAND_DISPLAY") and wanted - {"xcb"}:
        why = f"{why}, and WAYLAND_DISPLAY={environ['WAYLAND_DISPLAY']} is no Wayland socket"
    return f"mnist-viz: no display to open a window on ({why}). {HEADLESS_HINT}"


def _wayland_socket(environ: Mapping[str, str]) -> bool:
    """Whether WAYLAND_DISPLAY names a socket that exists (relative names are in XDG_RUNTIME_DIR,
    as libwayland looks for them): a stale one makes Qt fall back to X11, then abort."""
    name, runtime = environ.get("WAYLAND_DISPLAY", ""), environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(name):
        return os.path.exists(name)
    return bool(name and runtime) and os.path.exists(os.path.join(runtime, name))


def x11_problem(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """When Qt will use X11: the line to print if its plugin lacks a system library or the X
    server does not answer, else ``None``. ~15 ms, most of it loading the plugin, which Qt then
    finds loaded: the time moves rather than adds up."""
    environ = os.environ if environ is None else environ
    wanted = _platforms(environ, platform)
    if wanted is None or not (wanted & {"", "xcb"}) or not environ.get("DISPLAY"):
        return None
    if "xcb" not in wanted and _wayland_socket(environ):
        return None  # Qt may well use Wayland, which needs none of the X11 libraries
    return xcb_problem(_xcb_plugin()) or _x_server_problem(environ["DISPLAY"])


def _xcb_plugin() -> str | None:
    """Path of PySide6's X11 platform plugin, found without importing PySide6, or ``None``."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "Qt", "plugins", "platforms", "libqxcb.so")
    return path if os.path.exists(path) else None


def xcb_problem(plugin: str | None) -> str | None:
    """Load Qt's X11 plugin the way Qt will; when a system library it needs is missing, the line
    that names it, with the packages to install. Other load errors are left to Qt, which loads
    plugins lazily and may get further than ``dlopen(RTLD_NOW)`` does here."""
    if plugin is None:
        return None
    try:
        ctypes.CDLL(plugin)
    except OSError as e:
        found = _MISSING_LIBRARY.search(str(e))
        if found is None:
            return None
        return missing_library_message(found.group(1))
    return None


def missing_library_message(library: str) -> str:
    """One line: ``library`` is missing, how to install it (and the other X11 libraries, which tend
    to be missing together), and how to train without a window."""
    package = XCB_PACKAGES.get(library) or BASE_PACKAGES.get(library)
    if package is None:
        how = f"find its package with: apt-file search {library}"
    else:
        packages = list(dict.fromkeys([package, *XCB_PACKAGES.values()]))
        how = f"on Debian/Ubuntu: sudo apt-get install {' '.join(packages)}"
    return (f"mnist-viz: cannot open a window: Qt's X11 plugin needs the system library {library}, which is "
            f"not installed ({how}). {HEADLESS_HINT}")


def _x_server_problem(display: str) -> str | None:
    """Whether the X server in ``display`` lets us connect (a stale DISPLAY from an old ssh
    session, a stopped Xvfb): Qt's own attempt would abort. A local connection takes ~1 ms."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")  # loaded already, by the plugin
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    failed = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    if not failed:
        return None
    return (f"mnist-viz: no display to open a window on (the X server at DISPLAY={display} does not answer "
            f"or refuses the connection). {HEADLESS_HINT}")
