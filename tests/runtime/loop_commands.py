"""Driving an in-process ``TrainingLoop`` in tests: hand it commands as the window's process would,
and pick the events it sent of one kind. Shared by the runtime tests."""
from __future__ import annotations

from mnist_viz.runtime.protocol import Envelope


def do(loop, *commands, first_seq: int | None = None) -> None:
    """Receive ``commands`` (numbered from ``first_seq``, default the loop's next) and apply them."""
    seq = loop.commands.seq + 1 if first_seq is None else first_seq
    for i, command in enumerate(commands):
        loop.receive(Envelope(seq + i, command))
    items, _ = loop.commands.take()
    loop.apply(items)


def events_of(sent: list, kind: type) -> list:
    """The events in ``sent`` of type ``kind``, in order."""
    return [event for event in sent if isinstance(event, kind)]
