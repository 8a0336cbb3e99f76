"""GB/T 26875.3-2011: user information transmission devices reporting to the monitoring centre over TCP.

``frame`` (packet layout), ``scanner`` (stream → packets), ``info_objects``
(the upload's objects), ``encode`` (builders), ``to_messages`` (objects →
``SensorMessage``), ``server`` (the asyncio TCP listener and its thread).
"""

from lanewatch.alarms.gb26875.server import Gb26875Server, Gb26875ServerThread

__all__ = ["Gb26875Server", "Gb26875ServerThread"]
