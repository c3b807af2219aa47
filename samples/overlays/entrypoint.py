class JobEntrypoint:
    def perform(self, numbers: list[float]) -> float:
        """Add numbers."""
        return sum(numbers)

    def docs_input_example(self) -> dict:
        return {"numbers": [40, 2]}
