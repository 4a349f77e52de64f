"""The three pipes between the window's process and the training process.

Commands go one way, events the other, and a third pipe carries "snapshot taken" tokens (the
window asks for the next snapshot by taking the last one: ``loop.TrainingLoop``'s pull model).

Why pipes and not ``multiprocessing.Queue``/``Event``: those are built on POSIX semaphores, which
live in ``/dev/shm`` on Linux. Docker, some CI runners and locked-down lab machines have none, or a
read-only one, and the window could not train there at all. A pipe needs nothing but two file
descriptors, and each end here has one writer and one reader (the window's GUI thread sends,
through a sender thread; its receiving thread reads; the training process's main thread does the
rest), so no lock is needed. A pipe also says when the other side is gone: reading gives
``EOFError`` and writing ``BrokenPipeError`` as soon as the other process has ended.
"""
from __future__ import annotations

import queue
import threading
from typing import Any

from mnist_viz.runtime.protocol import Envelope, Event

_TOKEN = b"t"  # a snapshot was taken


class WindowEnd:
    """The window's side: ``send`` never blocks (a sender thread writes, so a training process busy
    inside a long step with a full pipe cannot freeze the GUI thread); ``receive`` is for one thread.
    ``trainer_end()`` goes to the training process as an argument of ``Process``; call
    ``process_started()`` once it has started, so that its death closes the pipes."""

    def __init__(self, context: Any) -> None:
        self._command_out, self._command_in = _pipe(context)
        self._event_out, self._event_in = _pipe(context)
        self._token_out, self._token_in = _pipe(context)
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_waiting, name="mnist-viz-send", daemon=True)
        self._sender.start()
        self.snapshot_taken()  # the first snapshot is wanted

    def trainer_end(self) -> TrainerEnd:
        return TrainerEnd(self._command_out, self._event_in, self._token_out)

    def process_started(self) -> None:
        """Close this process's copies of the training process's ends: only then does the pipe
        report that process's death (``EOFError`` in ``receive``)."""
        for connection in (self._command_out, self._event_in, self._token_out):
            connection.close()

    def send(self, message: Any) -> None:
        """Queue ``message`` (normally an ``Envelope``) for the training process."""
        self._outbox.put((self._command_in, message))

    def snapshot_taken(self) -> None:
        """Tell the training process it may build the next snapshot."""
        self._outbox.put((self._token_in, _TOKEN))

    def receive(self, timeout: float) -> Event | None:
        """The next event, or ``None`` after ``timeout`` seconds without one. Raises ``EOFError``
        when the training process has ended (or died, possibly mid-message)."""
        if not self._event_out.poll(timeout):
            return None
        try:
            return self._event_out.recv()
        except (OSError, ValueError) as e:  # a message cut short or garbled by the sender's death
            raise EOFError(str(e)) from e

    def close(self) -> None:
        """Stop the sender thread once it has written what is queued, and close the window's ends."""
        self._outbox.put(None)
        self._sender.join(1.0)
        for connection in (self._command_in, self._token_in, self._event_out):
            connection.close()

    def _send_waiting(self) -> None:
        while (item := self._outbox.get()) is not None:
            connection, message = item
            try:
                if message is _TOKEN:
                    connection.send_bytes(message)
                else:
                    connection.send(message)
            except (OSError, ValueError):  # the training process is gone (or the end closed): nothing to tell
                pass


class TrainerEnd:
    """The training process's side (picklable until used: it travels in ``Process`` arguments)."""

    def __init__(self, commands: Any, events: Any, tokens: Any) -> None:
        self._commands, self._events, self._tokens = commands, events, tokens

    def next_command(self, timeout: float | None) -> Envelope | Any | None:
        """The next message from the window, waiting up to ``timeout`` s (``None``/0: not at all);
        ``None`` if there is none. Raises ``EOFError`` when the window's process is gone."""
        if not self._commands.poll(timeout or 0):
            return None
        try:
            return self._commands.recv()
        except (OSError, ValueError) as e:
            raise EOFError(str(e)) from e

    def send(self, event: Event) -> None:
        """Send ``event``; raises ``BrokenPipeError`` (an ``OSError``) when the window is gone."""
        self._events.send(event)

    def snapshot_wanted(self) -> bool:
        """True (once) when the window has taken the last snapshot."""
        wanted = False
        while self._tokens.poll():
            self._tokens.recv_bytes()
            wanted = True
        return wanted


def _pipe(context: Any) -> tuple[Any, Any]:
    """``(reading end, writing end)`` of a one-way pipe."""
    return context.Pipe(duplex=False)
