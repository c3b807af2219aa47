from racetrack_job_runtime import call_job


class JobEntrypoint:
    def perform(self, numbers: list[float]) -> int:
        """
        Add numbers with the `adder` job, then round the sum.
        The call goes through the gateway with this job family's token, so an admin must
        allow `python-chain` to call `adder`.
        """
        result = call_job("adder", "/api/v1/perform", {"numbers": numbers}, version="latest")
        return round(result)

    def docs_input_example(self) -> dict:
        return {"numbers": [0.2, 0.9]}
