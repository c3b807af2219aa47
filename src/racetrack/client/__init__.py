"""The ``racetrack`` command-line client.

The CLI talks to Lifecycle over HTTP and must stay light: importing this package (and
``racetrack.client.main``) pulls in no server dependency, so ``racetrack --help`` starts fast.
Heavy libraries (httpx, rich, yaml) are imported inside the commands that need them.
"""

__all__: list[str] = []
