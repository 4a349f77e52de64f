"""How tall is the text a hall reads? Cap heights in screen pixels, normal view and lecture view (F5).

Opens the real window at ``--size`` (default 1920x1080), trains for a few seconds so every panel has
numbers, and measures each kind of text as it is drawn now: the font's cap height (the height of a
capital or a digit) times the scale the text is drawn at (1 for widgets and axis ticks; the view's
scale for text drawn inside a picture, as the probes' answers and the confusion matrix' counts).
Run it under a real X server (``xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/text_heights.py``)
or offscreen (``QT_QPA_PLATFORM=offscreen``); the numbers are the same.

At ~2 mm per pixel of a 4 m wide 1080p image, the back rows of a 200-seat hall need 30-50 px;
the lecture view aims at 30 px (28 at least), scaled to the image's height.
"""
from __future__ import annotations

import argparse
import time


def cap_px(font, scale: float = 1.0) -> float:
    from PySide6 import QtGui

    return QtGui.QFontMetricsF(font).capHeight() * scale


def item_scale(item, view) -> float:
    """Device pixels per unit of ``item``'s own coordinates (its view's zoom times its own scale)."""
    return abs(item.deviceTransform(view.viewportTransform()).m22())


def measure(window) -> dict[str, float]:
    """Cap heights (px) of each kind of text the window shows now."""
    from PySide6 import QtWidgets

    from mnist_viz.gui import presentation

    curves, probes, confusion = window.curves, window.probes, window.confusion
    titles = [label for label in window.findChildren(QtWidgets.QLabel)
              if label.property("sectionTitle") and label.isVisible()]
    out = {
        "panel titles": min(cap_px(title.font()) for title in titles),
        "axis ticks (curves)": cap_px(curves.loss_plot.getAxis("left").style["tickFont"]),
    }
    for kind, widget in (("status line", window.status_label),
                         ("metric card values", window.metrics.cards["eval_accuracy"].value)):
        out[kind] = cap_px(widget.font()) if widget.isVisible() else float("nan")
    view = presentation._graphics_views(probes)[0]
    if probes._answers:
        out["probe answers (✓ 7)"] = cap_px(probes._answers[0].font(), item_scale(probes._answers[0], view))
        # a two-digit confidence, the usual case ("100%" is drawn a little smaller to fit its cell)
        two_digits = [c for c in probes._confidences if len(c.text()) == 3] or probes._confidences
        out["probe percentages"] = cap_px(two_digits[0].font(), item_scale(two_digits[0], view))
    out["probe class digits (large bars)"] = cap_px(probes._detail_bars_plot.getAxis("bottom").style["tickFont"])
    cells = [t for t in confusion._cell_texts if t.text()]
    if cells and confusion.isVisible():
        cview = presentation._graphics_views(confusion)[0]
        out["confusion cells"] = cap_px(cells[0].font(), item_scale(cells[0], cview))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6 import QtCore, QtWidgets

    from mnist_viz.core.data import load_dataset
    from mnist_viz.gui.lecture_view import lecture_view
    from mnist_viz.gui.window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    store = QtCore.QSettings(QtCore.QTemporaryDir().path() + "/m.ini", QtCore.QSettings.Format.IniFormat)
    window = MainWindow(load_dataset(), store=store)
    window.controls.set_speed_limit(0)
    window.resize(width, height)
    window.show()
    window.start()
    window.controls.start_button.click()

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    spin(args.seconds)
    rows = {"normal": measure(window)}
    window.show_tab(window.confusion)
    spin(0.5)
    rows["normal"]["confusion cells"] = measure(window).get("confusion cells", float("nan"))
    window.focus.enlarge(window.frames_by_name["tabs"])  # a double-click on the Errors tab
    spin(0.5)
    enlarged = measure(window).get("confusion cells", float("nan"))
    window.focus.restore()
    spin(0.3)
    window.show_tab(window.probes)
    view = lecture_view(window)
    view.full_screen = False  # measure at the window's own size, whatever the screen
    view.enter()
    spin(1.0)
    rows["lecture view (F5)"] = measure(window)
    rows["normal"]["confusion cells, Errors enlarged"] = enlarged
    view.leave()
    window.close()
    kinds = list(rows["normal"])
    print(f"text cap heights in px at {width}x{height} (mnist-viz, {time.strftime('%Y-%m-%d')})")
    print(f"{'text':34}{'normal':>10}{'lecture view':>16}")
    for kind in kinds:
        lecture = rows["lecture view (F5)"].get(kind, float("nan"))
        shown = "hidden" if lecture != lecture else f"{lecture:.0f}"
        normal = rows["normal"][kind]
        print(f"{kind:34}{'hidden' if normal != normal else f'{normal:.0f}':>10}{shown:>16}")


if __name__ == "__main__":
    main()
