"""Fire-sensor alarms: devices, ingest (HTTP, MQTT, GB/T 26875.3), rules, alarm lifecycle, escalation."""
