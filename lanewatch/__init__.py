"""lanewatch: fire-lane watch and fire-sensor alarms on one event store."""

__version__ = "0.1.0"
