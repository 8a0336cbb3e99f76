"""Video sources: files, RTSP streams and snapshot-image folders → timestamped frames."""
