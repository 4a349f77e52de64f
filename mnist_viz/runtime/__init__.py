"""The training process and how the window talks to it, without Qt.

``protocol``: every command and event, declared once. ``loop``: the training loop the process runs.
``transport``: snapshots through a shared memory-mapped file. ``shared_data``: the dataset on the
RAM disk, mapped by the process without a copy.
"""
