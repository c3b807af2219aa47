import os
import random


class JobEntrypoint:
    def __init__(self):
        # Set in the manifest's runtime_env; without it the job fails to start.
        self.model_name = os.environ["TORCH_MODEL_ZOO"]

    def perform(self) -> dict:
        """
        Show which variables the job sees at runtime: build secrets are blank,
        runtime secrets and runtime_env are set.
        """
        return {
            "model": self.model_name,
            "random": random.random(),
            "GIT_USERNAME": os.environ.get("GIT_USERNAME", ""),
            "GIT_TOKEN": os.environ.get("GIT_TOKEN", ""),
            "DEBIAN_FRONTEND": os.environ.get("DEBIAN_FRONTEND", ""),
            "PGPASSWD": os.environ.get("PGPASSWD", ""),
            "TORCH_MODEL_ZOO": os.environ.get("TORCH_MODEL_ZOO", ""),
        }
