"""The Qt side of mnist-viz: the only package that imports Qt (PySide6) and pyqtgraph."""
