"""TODO ingest."""

from monitor.ingest.batch import Ingested
from monitor.ingest.pipeline import Pipeline, PollOutcome, ingest_all, ingest_pushed, poll_feed
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.ingest.story_alerts import AlertPolicy

__all__ = [
    "AlertPolicy",
    "Ingested",
    "Pipeline",
    "PollOutcome",
    "Runtime",
    "RuntimeHolder",
    "ingest_all",
    "ingest_pushed",
    "poll_feed",
]
