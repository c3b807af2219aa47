"""Run a function in a thread that is stopped once a time limit passes.

Python cannot kill a thread from outside, so the thread traces its own Python code and raises
``SystemExit`` at the next line once it is flagged as killed. Code blocked in C (a long
``time.sleep``, a big allocation) is stopped only when it returns to Python.
"""

import sys
import threading
from collections.abc import Callable
from typing import Any


class KillableThread(threading.Thread):
    def __init__(self, target: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._work = target
        self.killed = False
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        sys.settrace(self._global_trace)
        try:
            self.result = self._work()
        except SystemExit:
            pass  # stopped by kill()
        except BaseException as error:  # noqa: BLE001 - handed over to the caller
            self.error = error
        finally:
            sys.settrace(None)

    def _global_trace(self, frame, event, arg):
        return self._local_trace if event == "call" else None

    def _local_trace(self, frame, event, arg):
        if self.killed and event == "line":
            raise SystemExit()
        return self._local_trace

    def kill(self) -> None:
        self.killed = True


def run_with_timeout(function: Callable[[], Any], seconds: float) -> Any:
    """Return ``function()``, or raise TimeoutError if it has not finished after ``seconds``."""
    thread = KillableThread(function)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():  # the method that replaced isAlive(), removed in Python 3.9
        thread.kill()
        thread.join(1)
        raise TimeoutError(f"Processing took longer than {seconds:g} seconds")
    if thread.error is not None:
        raise thread.error
    return thread.result
