"""Violation records, evidence snapshots and notifications."""
