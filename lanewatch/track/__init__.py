"""Per-camera tracking at low frame rates and the dwell state machine."""
