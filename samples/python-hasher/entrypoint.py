import hashlib
import os


class JobEntrypoint:
    def perform(self, attempts: int = 4000000) -> str:
        """
        Burn CPU: hash random bytes with SHA-256, then feed the digest back `attempts` times.
        :param attempts: how many times the digest is hashed again
        :return: the final digest in hex
        """
        digest = hashlib.sha256(os.urandom(32)).digest()
        for _ in range(attempts):
            digest = hashlib.sha256(digest).digest()
        return digest.hex()

    def docs_input_example(self) -> dict:
        return {"attempts": 4000000}
