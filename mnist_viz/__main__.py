"""``python -m mnist_viz`` is the same as the ``mnist-viz`` command."""
import sys

from mnist_viz.launch import main

sys.exit(main())
