"""Ingest: the path from a polled feed to queued alerts, read in order in
:mod:`monitor.ingest.pipeline` (fetch, parse, normalise, language, embedding, dedup, match,
store, alert); parsing a fetched document with the store's GUID hint in
:mod:`monitor.ingest.parsing`.

Batched lookups and writes of one feed's new articles, and the story-aware alert
decisions (first alert, updates as a story grows, severity changes), and the follow-ups
of article pages that came late (:mod:`monitor.ingest.late_pages`), and the surge stage
that counts each stored article for the surge detector (:mod:`monitor.ingest.surges`)."""

from monitor.ingest.batch import Ingested
from monitor.ingest.embedding import EmbeddingStage, embedded
from monitor.ingest.language import identified, identify, load_identifier
from monitor.ingest.late_pages import LatePages
from monitor.ingest.pipeline import Pipeline, PollOutcome, ingest_all, ingest_pushed, poll_feed
from monitor.ingest.runtime import Runtime, RuntimeHolder
from monitor.ingest.story_alerts import AlertPolicy
from monitor.ingest.surge_names import entity_names, sighting_of
from monitor.ingest.surges import SurgeCountError, SurgeSink, SurgeStage

__all__ = [
    "AlertPolicy",
    "EmbeddingStage",
    "Ingested",
    "LatePages",
    "Pipeline",
    "PollOutcome",
    "Runtime",
    "RuntimeHolder",
    "SurgeCountError",
    "SurgeSink",
    "SurgeStage",
    "embedded",
    "entity_names",
    "identified",
    "identify",
    "ingest_all",
    "ingest_pushed",
    "load_identifier",
    "poll_feed",
    "sighting_of",
]
