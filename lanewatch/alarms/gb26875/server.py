"""The TCP listener user information transmission devices report to (the monitoring centre's side).

Send/confirm mode (6.3): every upload (command 2) is answered with a confirm
(3) once the sink has stored its messages, so a device that gets no confirm
resends and nothing is lost; a packet that fails its checks is answered with
a deny (6) so the device resends at once. Answers echo the serial and the
device's protocol version, swap the two addresses (the answer comes from the
address the device sent to, so a device that checks who answered accepts
it even when its centre address differs from ``centre_address``; that case
is logged once per device), carry the current time tag and no data.

Other commands a device may send: confirms, responses and denies (3, 5, 6)
answer commands the centre sent, and lanewatch sends none, so they are
counted and left unanswered (answering an answer could loop). Control and
request commands (1, 4), reserved and user-defined command bytes are denied:
the centre neither executes controls nor answers queries, and the standard
lists an unrecognised command byte as a check error.

The sink is called through ``asyncio.to_thread``: a slow database never
blocks the loop that serves the other devices. Packets on one connection are
handled strictly in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import UTC, datetime, tzinfo

from lanewatch.alarms.gb26875.encode import encode_frame
from lanewatch.alarms.gb26875.frame import CHINA_TZ, BadFrame, Command, Frame
from lanewatch.alarms.gb26875.info_objects import DataUnitError, decode_upload
from lanewatch.alarms.gb26875.scanner import DEFAULT_MAX_GARBAGE_BYTES, FrameScanner
from lanewatch.alarms.gb26875.to_messages import upload_to_messages
from lanewatch.alarms.messages import MessageSink
from lanewatch.config import Gb26875Config

log = logging.getLogger(__name__)

READ_SIZE = 65_536
_UNANSWERED = frozenset({Command.CONFIRM, Command.RESPONSE, Command.DENY})


class Gb26875Server:
    """asyncio TCP server: packets in, messages to the sink, confirm/deny out."""

    def __init__(
        self,
        sink: MessageSink,
        config: Gb26875Config,
        *,
        tz: tzinfo = CHINA_TZ,
        max_garbage_bytes: int = DEFAULT_MAX_GARBAGE_BYTES,
    ) -> None:
        self.sink = sink
        self.config = config
        self.tz = tz
        self.max_garbage_bytes = max_garbage_bytes
        self.frames_ok = 0  # uploads stored and confirmed
        self.frames_denied = 0  # deny answers sent
        self.frames_ignored = 0  # answers from devices (3, 5, 6), not answered
        self.frames_dropped = 0  # oversized, or cut off by a disconnect
        self.bytes_discarded = 0  # garbage and bad packets skipped while resynchronising
        self.messages = 0  # messages handed to the sink
        self.connections = 0  # connections accepted, ever
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._misaddressed: set[str] = set()  # devices already warned about sending to another centre address

    @property
    def port(self) -> int:
        """The bound port (the real one when the configured port is 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the GB/T 26875.3 server is not listening")
        return self._server.sockets[0].getsockname()[1]

    @property
    def active_connections(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        """Bind and listen; raises OSError when the address is taken."""
        self._server = await asyncio.start_server(self._accept, self.config.host, self.config.port, limit=READ_SIZE)
        log.info("GB/T 26875.3 listening on %s:%d", self.config.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def counters(self) -> dict[str, int]:
        """A snapshot for metrics and the status page."""
        return {
            "frames_ok": self.frames_ok,
            "frames_denied": self.frames_denied,
            "frames_ignored": self.frames_ignored,
            "frames_dropped": self.frames_dropped,
            "bytes_discarded": self.bytes_discarded,
            "messages": self.messages,
            "connections": self.connections,
            "active_connections": self.active_connections,
        }

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        peer = writer.get_extra_info("peername")
        try:
            await self._serve(reader, writer, peer)
        except (ConnectionError, OSError) as exc:
            log.info("GB/T 26875.3 %s: connection lost (%s)", peer, exc)
        except asyncio.CancelledError:
            pass
        except Exception:  # never let one device's bytes take the server down
            log.exception("GB/T 26875.3 %s: connection handler failed", peer)
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object) -> None:
        scanner = FrameScanner(self.config.max_data_bytes, max_garbage_bytes=self.max_garbage_bytes)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(reader.read(READ_SIZE), self.config.idle_timeout_s)
                except TimeoutError:
                    log.info("GB/T 26875.3 %s: idle for %.0f s, closing", peer, self.config.idle_timeout_s)
                    return
                if not chunk:
                    return
                received_at = datetime.now(UTC)
                discarded_before = scanner.bytes_discarded
                items = scanner.feed(chunk)
                self.bytes_discarded += scanner.bytes_discarded - discarded_before
                for item in items:
                    answer = await self._answer(item, received_at, peer)
                    if answer is not None:
                        writer.write(answer)
                        await writer.drain()
                if scanner.flooded:
                    log.warning("GB/T 26875.3 %s: %d bytes without a packet, cutting off", peer, scanner.garbage_run)
                    return
        finally:
            if scanner.pending:
                self.frames_dropped += 1
                log.info("GB/T 26875.3 %s: dropped %d bytes of an unfinished packet", peer, scanner.pending)

    async def _answer(self, item: Frame | BadFrame, received_at: datetime, peer: object) -> bytes | None:
        """Handle one packet; the confirm/deny to send back, or None."""
        if isinstance(item, BadFrame):
            log.warning("GB/T 26875.3 %s: serial %d from %s denied: %s", peer, item.serial, item.source, item.reason)
            if item.reason.startswith("oversized"):
                self.frames_dropped += 1
            return self._reply(Command.DENY, item)
        if item.command in _UNANSWERED:
            self.frames_ignored += 1
            return None
        if item.command != Command.SEND_DATA:
            log.info("GB/T 26875.3 %s: command %d from %s is not served, denied", peer, item.command, item.source)
            return self._reply(Command.DENY, item)
        try:
            stored = await self._store(item, received_at, peer)
        except Exception:
            log.exception("GB/T 26875.3 %s: serial %d from %s not stored, denied", peer, item.serial, item.source)
            stored = False
        if not stored:
            return self._reply(Command.DENY, item)
        self.frames_ok += 1
        return self._reply(Command.CONFIRM, item)

    async def _store(self, frame: Frame, received_at: datetime, peer: object) -> bool:
        """Decode the upload and hand its messages to the sink; False when the data unit is malformed."""
        try:
            upload = decode_upload(frame.data)
        except DataUnitError as exc:
            log.warning("GB/T 26875.3 %s: serial %d from %s: %s", peer, frame.serial, frame.source, exc)
            return False
        if not upload.known:
            log.info(
                "GB/T 26875.3 %s: type %d from %s is not decoded, confirmed without messages",
                peer,
                upload.type_flag,
                frame.source,
            )
            return True
        messages = upload_to_messages(frame, upload, tz=self.tz)
        if messages:
            result = await asyncio.to_thread(self.sink.submit, messages, received_at)
            self.messages += len(messages)
            if result.errors:
                log.warning("GB/T 26875.3 %s: the sink refused some messages: %s", peer, "; ".join(result.errors))
        return True

    def _reply(self, command: Command, item: Frame | BadFrame) -> bytes:
        """The answer to ``item``: same serial and version, addresses swapped, current time, no data."""
        if command == Command.DENY:
            self.frames_denied += 1
        centre = self.config.centre_address.lower()
        if item.destination != centre and item.source not in self._misaddressed:
            self._misaddressed.add(item.source)
            log.warning(
                "GB/T 26875.3: device %s sends to centre address %s, not the configured %s; answering from %s",
                item.source,
                item.destination,
                centre,
                item.destination,
            )
        return encode_frame(
            item.serial,
            command,
            b"",
            source=item.destination,
            destination=item.source,
            when=datetime.now(UTC),
            version=item.version,
            tz=self.tz,
        )


class Gb26875ServerThread:
    """The server on its own event loop in a daemon thread, for the synchronous service."""

    def __init__(
        self,
        sink: MessageSink,
        config: Gb26875Config,
        *,
        tz: tzinfo = CHINA_TZ,
        max_garbage_bytes: int = DEFAULT_MAX_GARBAGE_BYTES,
    ) -> None:
        self.server = Gb26875Server(sink, config, tz=tz, max_garbage_bytes=max_garbage_bytes)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def alive(self) -> bool:
        """Listening: started, and its thread has not ended."""
        return self._ready.is_set() and self._error is None and self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread; returns once listening, raises what binding raised (e.g. port taken)."""
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="gb26875-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the GB/T 26875.3 server did not start listening in time")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, then end the thread."""
        if self._loop is not None and self._stopping is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(timeout)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stopping.wait()
        await self.server.stop()
