"""PUB, the job gateway: authorises calls with Lifecycle (cached) and forwards them to jobs."""

from racetrack.pub.app import PubApp, create_app
from racetrack.pub.lifecycle import AccessDecision, JobAuthorizer, JobTarget, LifecycleError, Outcome
from racetrack.pub.settings import PubSettings

__all__ = [
    "AccessDecision",
    "JobAuthorizer",
    "JobTarget",
    "LifecycleError",
    "Outcome",
    "PubApp",
    "PubSettings",
    "create_app",
]
