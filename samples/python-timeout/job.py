import logging
import sys
import time

from timeout import run_with_timeout

logger = logging.getLogger("racetrack")

KILL_AFTER_SECONDS = 10
MALLOC_INTEGERS = 10_000_000


class TimeoutJob:
    def __init__(self):
        self.allocated: list[int] = []  # grows with every "malloc" call

    def perform(self, mode: str = "timeout", t: int = 250) -> dict | int:
        """
        Misbehave on purpose, to test timeouts and resilience.
        :param mode: timeout (sleep t s), timeout_kill (work t s in a thread stopped after 10 s),
            crash (raise), exit (sys.exit), malloc (grow memory by ~10 M integers),
            cpu (busy-loop t s)
        :param t: seconds
        """
        if mode == "timeout":
            time.sleep(t)
            return {"Alive": True, "Timeout": t}
        if mode == "timeout_kill":
            return run_with_timeout(lambda: self._work(t), KILL_AFTER_SECONDS)
        if mode == "crash":
            raise RuntimeError("Windows12 has stopped working")
        if mode == "exit":
            sys.exit()
        if mode == "malloc":
            self.allocated.extend([1] * MALLOC_INTEGERS)
            return len(self.allocated)
        if mode == "cpu":
            deadline = time.monotonic() + t
            loops = 0
            while time.monotonic() < deadline:
                loops += 1
            return {"Alive": True, "Busy": t, "Loops": loops}
        raise ValueError("Unknown mode")

    @staticmethod
    def _work(t: int) -> int:
        deadline = time.monotonic() + t
        while time.monotonic() < deadline:
            logger.debug("still working, %.1f s left", deadline - time.monotonic())
            time.sleep(0.1)
        return t * t

    def docs_input_example(self) -> dict:
        return {"mode": "timeout", "t": 250}
