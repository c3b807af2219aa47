import humanize


class JobEntrypoint:
    def perform(self, size: int) -> str:
        """
        Format a number of bytes for humans, with the pip requirement `humanize`.
        :param size: number of bytes
        :return: e.g. "1.2 MB"
        """
        return humanize.naturalsize(size)

    def docs_input_example(self) -> dict:
        return {"size": 1234567}
