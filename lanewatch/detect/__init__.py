"""Detectors: batches of frames in, one Detections per frame out."""

from lanewatch.detect.detections import Detections

__all__ = ["Detections"]
