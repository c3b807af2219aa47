import random
from collections.abc import Callable


class JobEntrypoint:
    def perform(self, x: float, y: float) -> float:
        """
        Add two numbers.
        :param x: first number
        :param y: second number
        :return: their sum
        """
        return x + y

    def auxiliary_endpoints(self) -> dict[str, Callable]:
        """Extra POST endpoints: each is served at /api/v1/<path>."""
        return {
            "/explain": self.explain,
            "/random": self.random,
        }

    def explain(self, x: float, y: float) -> dict[str, float]:
        """Explain how much each argument contributes to the sum."""
        total = x + y
        return {"x_importance": x / total, "y_importance": y / total}

    def random(self, start: float, end: float) -> float:
        """Return a uniformly distributed random number between start and end."""
        return random.uniform(start, end)

    def docs_input_examples(self) -> dict[str, dict]:
        """Example payloads shown on the API docs page, one per endpoint."""
        return {
            "/perform": {"x": 40, "y": 2},
            "/explain": {"x": 1, "y": 2},
            "/random": {"start": 0, "end": 10},
        }
