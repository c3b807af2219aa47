import math


class JobEntrypoint:
    def perform(self, number: int) -> bool:
        """
        Tell whether a number is prime, by trial division up to its square root.
        :param number: the number to test
        :return: true when the number is prime
        """
        if number < 2:
            return False
        if number % 2 == 0:
            return number == 2
        for divisor in range(3, math.isqrt(number) + 1, 2):
            if number % divisor == 0:
                return False
        return True

    def docs_input_example(self) -> dict:
        return {"number": 7907}
