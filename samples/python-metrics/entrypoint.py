import random
import threading
import time


class JobEntrypoint:
    def __init__(self):
        self.started = time.time()
        self.positives = 0
        self.lock = threading.Lock()  # one instance serves concurrent requests

    def perform(self) -> float:
        """Return a random number in [-1, 1) and count the positive ones."""
        value = random.uniform(-1, 1)
        if value > 0:
            with self.lock:
                self.positives += 1
        return value

    def metrics(self) -> list[dict]:
        """Custom gauges exported at /metrics next to the built-in ones."""
        return [
            {
                "name": "job_wasted_seconds",
                "description": "Seconds since the job started",
                "value": time.time() - self.started,
            },
            {
                "name": "job_positives",
                "description": "Positive results returned so far",
                "value": self.positives,
                "labels": {"color": "blue"},
            },
        ]
