"""Test-wide setup: Qt runs offscreen (no display needed) and never touches the user's settings."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
