"""Reader threads decode at a lower priority than the loop and the detector (Linux per-thread nice).

Moved out of `lanewatch.pipeline`, which starts the readers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

# Nice value of the reader threads (and of the FFmpeg decoder threads they start), Linux only.
# Decoding is paced by the consumer (`Source.pace`), so it can wait for a free core: at equal
# priority 48 decoder threads got the same CPU share as the detector's thread each and the detector,
# which every look waits for, ran at half speed (48 busy 1080p cameras on 2 cores: 18.5 looks/s of 24
# analysed, alerts missed; at nice 19, with one inference thread: 22.8–23.1, all held, none missed).
READER_NICE = 19


def lower_thread_priority(nice: int) -> None:
    """Give the calling thread (and threads it starts later) this nice value, if higher; Linux only.

    Linux keeps a nice value per thread (``setpriority`` on the thread id); elsewhere the thread id
    is not a process id, so nothing is done. Failure only costs the priority, never the camera."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError as exc:
        log.debug("could not lower the priority of %s: %s", threading.current_thread().name, exc)
