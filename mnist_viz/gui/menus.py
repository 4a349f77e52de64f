"""The window's menus and shortcuts, declared as data (as napari declares its actions).

Each ``MenuAction`` names its menu path, text, shortcut, tooltip and what it does to the window;
``build_menus`` turns the table into ``QAction``s. Every shortcut works wherever the focus is in the
window (a slider, a plot), and F1 lists them (``shortcut_lines``), so the table is also the help.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core import i18n
from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.presets import PRESETS
from mnist_viz.gui import presentation, style, themes
from mnist_viz.gui.lecture_view import lecture_view
from mnist_viz.gui.window_state import restore_defaults

if TYPE_CHECKING:
    from mnist_viz.gui.window import MainWindow


@dataclass(frozen=True)
class MenuAction:
    """One menu entry. ``menu``: its path, ``"&File"`` or ``"&File/Export panel as PNG"``;
    ``run(window)`` what it does; ``name``: the window attribute that keeps the ``QAction`` (for
    checkable entries the window reads); ``separator``: a line above the entry; ``also``: more
    shortcuts; ``group``: exclusive checkable entries share one."""

    menu: str
    text: str
    run: Callable[[MainWindow], object]
    shortcut: str = ""
    tip: str = ""
    checkable: bool = False
    checked: bool = False
    name: str = ""
    separator: bool = False
    also: tuple[str, ...] = ()  # more shortcuts for the same entry (Ctrl+= for Ctrl++)
    group: str = ""  # entries of one group are exclusive choices (the themes)


def _file_menu() -> Iterator[MenuAction]:
    yield MenuAction("&File", N_("Save session…"), lambda w: w.files.ask_save_session(), "Ctrl+S",
                     N_("Weights, optimizer state, settings and the whole history, in one .npz"))
    yield MenuAction("&File", N_("Load session…"), lambda w: w.files.ask_load_session(), "Ctrl+O",
                     N_("Continue a saved session"))
    m = "&File/Open dataset"
    yield MenuAction(m, N_("MNIST (bundled)"), lambda w: w.files.open_bundled("mnist"),
                     tip=N_("The 70,000 handwritten digits that come with mnist-viz"), separator=True)
    yield MenuAction(m, N_("Fashion-MNIST"), lambda w: w.files.open_bundled("fashion-mnist"),
                     tip=N_("Clothes instead of digits (installed by the dataset-fashion-mnist package)"))
    yield MenuAction(m, N_("File (CSV, npz or an IDX file)…"), lambda w: w.files.ask_open_dataset_file(),
                     "Ctrl+Shift+O",
                     N_("A Kaggle-style train.csv, a keras-style .npz, or any of the four files of an IDX folder"),
                     separator=True)
    yield MenuAction(m, N_("IDX folder…"), lambda w: w.files.ask_open_dataset_folder(),
                     tip=N_("A folder holding train-images-idx3-ubyte(.gz) and the three other IDX files"))
    for fmt, submenu in (("png", N_("Export panel as PNG")), ("svg", N_("Export panel as SVG"))):
        for title in EXPORTABLE_PANELS:
            yield MenuAction(f"&File/{submenu}", title,
                             lambda w, t=title, f=fmt: w.files.ask_export_panel(t, f), separator=fmt == "png")
    yield MenuAction("&File", N_("Export video…"), _export_video,
                     tip=N_("The run so far (the look-back record) as MP4, GIF or WebP: curves, mosaic and probes"))
    yield MenuAction("&File", N_("Export metrics as CSV…"), lambda w: w.files.ask_export_metrics(), tip=(
        N_("Every step's loss and accuracy, every evaluation, every marker")))


def _training_menu() -> Iterator[MenuAction]:
    m = "&Training"
    yield MenuAction(m, N_("Start / Pause"), lambda w: w.controls.start_button.click(), "Space",
                     N_("Start or pause training"),
                     name="play_action")
    yield MenuAction(m, N_("Step one batch"), lambda w: w.controls.step_button.click(), "S",
                     N_("Pause and train one batch"))
    yield MenuAction(m, N_("Reset"), lambda w: w.controls.reset_button.click(), "R", N_("Fresh weights from the seed"))
    yield MenuAction(m, N_("Compare…"), lambda w: w.compare.ask(), separator=True,
                     tip=N_("Train a second run beside this one with one setting changed, step for step"))
    yield MenuAction(m, N_("End comparison"), lambda w: w.compare.end(),
                     tip=N_("Stop the second run; this one trains on alone"))
    yield MenuAction(m, N_("Restore best recent weights"), lambda w: w.worker.restore_last_good(),
                     tip=N_("Go back to the weights saved before the loss last blew up"))
    yield MenuAction(m, N_("Restore defaults…"), restore_defaults, tip=(
        N_("Default settings, the whole training set, full speed: what a first launch would train")))
    yield MenuAction(m, N_("Double learning rate"), lambda w: w.controls.scale_lr(2.0), "Up",
                     N_("lr × 2"), separator=True)
    yield MenuAction(m, N_("Halve learning rate"), lambda w: w.controls.scale_lr(0.5), "Down", N_("lr ÷ 2"))
    yield MenuAction(m, N_("Quit"), lambda w: w.close(), "Ctrl+Q", N_("Close the window"), separator=True)


def _view_menu() -> Iterator[MenuAction]:
    m = "&View"
    yield MenuAction(m, N_("x axis: epochs"), lambda w: w.curves.set_x_axis("epochs"))
    yield MenuAction(m, N_("x axis: training images seen"), lambda w: w.curves.set_x_axis("samples"))
    yield MenuAction(m, N_("Show training images"), lambda w: w.show_tab(w.samples))
    yield MenuAction(m, N_("Show probe digits"), lambda w: w.show_tab(w.probes))
    yield MenuAction(m, N_("Presentation mode (full screen)"), presentation.toggle_fullscreen, "F11",
                     N_("Full screen for the projector; F11 again to leave"), separator=True)
    yield MenuAction(m, N_("Lecture view (curves, mosaic, probes; large text)"), lambda w: lecture_view(w).toggle(),
                     "F5", N_("Three panels over the whole screen, every text readable from the back row; "
                              "Esc or F5 leaves"))
    # Ctrl++ needs Shift on most keyboards; Ctrl+= is the same key without it.
    yield MenuAction(m, N_("Larger text and lines"), lambda w: w.zoom.zoom_in(), "Ctrl++", N_("Everything 15% larger"),
                     also=("Ctrl+=",))
    yield MenuAction(m, N_("Smaller text and lines"), lambda w: w.zoom.zoom_out(), "Ctrl+-",
                     N_("Everything 15% smaller"))
    yield MenuAction(m, N_("Normal size"), lambda w: w.zoom.reset(), "Ctrl+0")
    for key, tip in (("light", N_("Dark ink on white: the default, for a lit hall")),
                     ("high_contrast", N_("Pure black on white, thicker lines, no grey text")),
                     ("dark", N_("Light text on near-black, for a dimmed hall"))):
        yield MenuAction(f"{m}/Theme", themes.THEMES[key].title, lambda w, k=key: presentation.choose_theme(w, k),
                         tip=tip, checkable=True, checked=key == themes.DEFAULT_THEME,
                         name=presentation.THEME_ACTIONS[key], group="theme")
    yield MenuAction(m, N_("Enlarge the mosaic (double-click any panel)"),
                     lambda w: w.focus.toggle(w.frames_by_name["weights"]))
    # On a narrow projector (1024 px) the panels need the controls' third of the width; every
    # control keeps its keyboard shortcut while the column is hidden.
    yield MenuAction(m, N_("Show the metric cards"), lambda w: w.set_metrics_wanted(w.metrics_action.isChecked()),
                     tip=N_("The row of large numbers above the panels (shown where the window is tall enough)"),
                     checkable=True, checked=True, name="metrics_action")
    yield MenuAction(m, N_("Show the controls column"), lambda w: w.toggle_controls(), "Ctrl+B",
                     N_("Hide the controls to give the panels the whole width"), checkable=True, checked=True,
                     name="controls_action")


def _scenarios_menu() -> Iterator[MenuAction]:
    for kind in ("teaching", "classic", "fast"):
        for i, (name, preset) in enumerate(p for p in PRESETS.items() if p[1].kind == kind):
            yield MenuAction("Sc&enarios", preset.title, lambda w, n=name: w.choose_scenario(n),
                             tip=preset.what_to_watch, separator=i == 0 and kind != "teaching")


def _export_video(window: MainWindow) -> None:
    from mnist_viz.gui.video_dialog import export_video  # PyAV and Pillow load only when asked

    export_video(window)


def menu_table() -> list[MenuAction]:
    """Every menu entry of the window, in menu order."""
    help_entry = MenuAction("&Help", N_("Keyboard shortcuts"), show_shortcuts, "F1")
    whats_this = MenuAction("&Help", N_("What's this?"), lambda w: QtWidgets.QWhatsThis.enterWhatsThisMode(),
                            "Shift+F1", N_("Click any control or panel to see what it does and what it shows now"))
    return [*_file_menu(), *_training_menu(), *_view_menu(), *_scenarios_menu(), help_entry, whats_this]


# Title in the export menus -> the window attribute of the panel it exports ("" = the whole window).
EXPORTABLE_PANELS = {N_("Learning curves"): "curves", N_("Hidden-unit weights"): "weights",
                     N_("Output weights"): "output_weights", N_("Probe digits"): "probes", N_("Drawing"): "drawing",
                     N_("Unit"): "unit_inspector", N_("Class templates"): "templates",
                     N_("Confusion matrix"): "confusion", N_("Whole window"): ""}
# The menus' titles (the table's paths are English; each level is translated where it is made).
MENU_TITLES = (N_("&File"), N_("Open dataset"), N_("&Training"), N_("&View"), N_("Theme"), N_("Sc&enarios"),
               N_("&Help"))
# Texts other modules own, shown in these menus (themes.THEMES titles): marked here for the catalogs.
THEME_TITLES = (N_("Light"), N_("High contrast"), N_("Dark"))


def build_menus(window: MainWindow, table: list[MenuAction]) -> dict[str, QtGui.QAction]:
    """Add ``table``'s entries to ``window``'s menu bar. Returns the named actions."""
    menus: dict[str, QtWidgets.QMenu] = {}
    named: dict[str, QtGui.QAction] = {}
    groups: dict[str, QtGui.QActionGroup] = {}
    for entry in table:
        menu = _menu(window.menuBar(), menus, entry.menu)
        if entry.separator:
            menu.addSeparator()
        action = QtGui.QAction(tr(entry.text), window)
        if entry.shortcut:
            action.setShortcuts([QtGui.QKeySequence(key) for key in (entry.shortcut, *entry.also)])
        if entry.group:
            groups.setdefault(entry.group, QtGui.QActionGroup(window)).addAction(action)
        # Shortcuts must work wherever the focus is inside the window (sliders, plots).
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        tip = tr(entry.tip) if entry.tip else ""
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.setCheckable(entry.checkable)
        action.setChecked(entry.checked)
        action.triggered.connect(lambda _=False, run=entry.run: run(window))
        menu.addAction(action)
        if entry.name:
            named[entry.name] = action
    return named


def _menu(bar: QtWidgets.QMenuBar, menus: dict[str, QtWidgets.QMenu], path: str) -> QtWidgets.QMenu:
    """The menu at ``path`` ("&File/Export panel as PNG"), made on first use, its title translated;
    named ``menu:<path>`` (English) so code finds it in any language."""
    if path not in menus:
        parent, _, title = path.rpartition("/")
        menus[path] = _menu(bar, menus, parent).addMenu(tr(title)) if parent else bar.addMenu(tr(title))
        menus[path].setObjectName(f"menu:{path}")
    return menus[path]


def shortcut_lines(bar: QtWidgets.QMenuBar) -> list[str]:
    """``"Space   Start / Pause"``, ... for every menu action that has a shortcut, in menu order (an
    entry with two shortcuts: ``"Ctrl++ or Ctrl+=   Larger text and lines"``)."""
    lines = []
    for menu in bar.findChildren(QtWidgets.QMenu):
        for action in menu.actions():
            key = tr(" or ").join(k.toString(QtGui.QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if key:
                lines.append(f"{key}   {action.text().replace('&', '')}")
    return lines


def shortcuts_box(window: QtWidgets.QMainWindow) -> QtWidgets.QMessageBox:
    """The F1 list of every shortcut, at the window's text size: a dialog is a window of its own and
    would not inherit the zoomed font (Qt does not pass fonts on to windows)."""
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Information, tr("Keyboard shortcuts"),
                                "\n".join(shortcut_lines(window.menuBar())), QtWidgets.QMessageBox.StandardButton.Ok,
                                window)
    box.setFont(style.font(style.LABEL_PT))
    return box


def show_shortcuts(window: QtWidgets.QMainWindow) -> None:
    """The F1 list of every shortcut."""
    shortcuts_box(window).exec()


def build_language_menu(window: MainWindow) -> QtGui.QActionGroup:
    """View > Language: one checkable entry per available language (``i18n.available_languages``,
    i.e. per ``.po`` file), each named in its own language so anyone finds theirs; choosing one calls
    ``window.set_language(code)``. Returns the exclusive group (its actions carry the code as data)."""
    view = window.menuBar().findChild(QtWidgets.QMenu, "menu:&View")
    menu = (view or window.menuBar()).addMenu(tr("Language"))
    menu.setObjectName("menu:&View/Language")
    group = QtGui.QActionGroup(window)
    for code, name in i18n.available_languages().items():
        action = QtGui.QAction(name, window)
        action.setData(code)
        action.setCheckable(True)
        action.setChecked(code == i18n.language())
        action.triggered.connect(lambda _=False, c=code: window.set_language(c))
        group.addAction(action)
        menu.addAction(action)
    return group


def check_language(group: QtGui.QActionGroup, code: str) -> None:
    """Tick ``code``'s entry in the Language menu (after a switch from code, e.g. at start)."""
    for action in group.actions():
        action.setChecked(action.data() == code)
