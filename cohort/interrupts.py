"""Ctrl-C that reaches DuckDB.

Python runs its SIGINT handler only when the main thread is back in Python
code. While a DuckDB query runs, the main thread may wait inside DuckDB for
its worker threads, and DuckDB polls for Python's signal only now and then:
on a busy machine a long query could run on through repeated Ctrl-C.
:func:`interruptible` closes that gap: the C-level handler writes the signal
number to a pipe (:func:`signal.set_wakeup_fd`), and a watcher thread reading
that pipe interrupts the connection at once. Python still raises
``KeyboardInterrupt`` as usual when the main thread returns.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def interruptible(con) -> Iterator[None]:
    """Interrupt ``con`` (a DuckDB connection) as soon as SIGINT arrives,
    for the length of the block. A no-op outside the main thread or when
    SIGINT is not handled by Python (ignored, or the default action)."""
    if (threading.current_thread() is not threading.main_thread()
            or not callable(signal.getsignal(signal.SIGINT))):
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter thread after all
        os.close(read_end)
        os.close(write_end)
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while True:
            try:
                data = os.read(read_end, 64)
            except OSError:
                return
            if done.is_set() or not data:
                return
            if signal.SIGINT in data:
                try:
                    con.interrupt()
                except Exception:  # noqa: BLE001 - the connection may be closing
                    pass

    watcher = threading.Thread(target=watch, name="cohort-sigint", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        try:
            os.write(write_end, b"\0")  # wake the watcher so it can end
        except OSError:
            pass
        watcher.join(timeout=1)
        os.close(write_end)
        os.close(read_end)
