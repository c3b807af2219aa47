import logging
import random

logger = logging.getLogger("racetrack")


class JobEntrypoint:
    def perform(self) -> float:
        """Log who called, and return a random number in [0, 1)."""
        caller = self.request_context.get().headers.get("X-Caller-Name")
        logger.debug(f"perform was called by {caller}")
        return random.random()
