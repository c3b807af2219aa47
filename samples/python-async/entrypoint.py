import asyncio
import logging
import time

logger = logging.getLogger("racetrack")


class JobEntrypoint:
    def perform(self, seconds: float = 5) -> str:
        """
        Run async code from the synchronous perform: a coroutine offloads a blocking sleep
        to a thread, so the event loop stays free meanwhile.
        :param seconds: how long the blocking sleep lasts
        :return: "done"
        """
        return asyncio.run(self._work(seconds))

    async def _work(self, seconds: float) -> str:
        logger.info("coroutine started, offloading a blocking sleep of %s s to a thread", seconds)
        await asyncio.to_thread(self._blocking_sleep, seconds)
        logger.info("coroutine resumed after the blocking sleep")
        return "done"

    @staticmethod
    def _blocking_sleep(seconds: float) -> None:
        logger.info("thread sleeping")
        time.sleep(seconds)
        logger.info("thread woke up")

    def docs_input_example(self) -> dict:
        return {"seconds": 5}
