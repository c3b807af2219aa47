class AdderModel:
    def perform(self, numbers: list[float]) -> float:
        """
        Add numbers.
        :param numbers: list of numbers to add
        :return: sum of the numbers
        """
        return sum(numbers)

    def docs_input_example(self) -> dict:
        """Example input payload shown on the API docs page."""
        return {"numbers": [40, 2]}
