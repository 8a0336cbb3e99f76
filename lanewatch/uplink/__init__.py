"""Site ↔ centre: the edge's durable outbox and MQTT publisher, and the centre's idempotent ingest.

Built on the store's record tap (`lanewatch.store.record_tap`); the pipeline
and the alarm service do not know whether they run at an edge.
"""
