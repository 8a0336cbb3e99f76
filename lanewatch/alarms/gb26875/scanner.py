"""Cut a TCP byte stream into GB/T 26875.3 packets, whatever the reads look like.

TCP gives no packet boundaries: one read may hold several packets, half of
one, or line noise from a modem. The scanner keeps a bounded buffer,
resynchronises on the ``@@`` start marker, and reports every packet that
started well but is wrong (so the server can deny it) without ever losing a
good packet that follows a bad one.

A false start (``@@`` inside garbage) announces some length and would make
the scanner wait for bytes that never come while a real packet sits behind
it; so while a packet is incomplete, the scanner looks further on for a
complete, valid packet and, when there is one, drops the false start. A
broken packet is reported (to be denied) only when its header is plausible —
major version 1 and a defined command byte — so a stray ``@`` before a real
packet ("@@@...") is skipped quietly instead of drawing a deny for a serial
the device never sent.
"""

from __future__ import annotations

from lanewatch.alarms.gb26875.frame import (
    END,
    HEADER_SIZE,
    START,
    TRAILER_SIZE,
    BadFrame,
    Frame,
    FrameError,
    decode_frame,
    header_fields,
)

DEFAULT_MAX_GARBAGE_BYTES = 65_536


class FrameScanner:
    """Feed bytes in, get ``Frame`` / ``BadFrame`` values out, in stream order."""

    def __init__(self, max_data_bytes: int, *, max_garbage_bytes: int = DEFAULT_MAX_GARBAGE_BYTES) -> None:
        self.max_data_bytes = max_data_bytes
        self.max_garbage_bytes = max_garbage_bytes
        self.bytes_discarded = 0  # every byte thrown away, over the scanner's life
        self.garbage_run = 0  # bytes thrown away since the last good packet
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back: the start of a packet still arriving (lost if the peer goes away)."""
        return len(self._buffer)

    @property
    def flooded(self) -> bool:
        """The peer sent more garbage in a row than any device would: time to cut it off."""
        return self.garbage_run > self.max_garbage_bytes

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        """Add received bytes; return the packets (good and bad) they completed."""
        self._buffer += data
        found: list[Frame | BadFrame] = []
        while (item := self._next()) is not None:
            found.append(item)
            if isinstance(item, Frame):
                self.garbage_run = 0
        return found

    def _next(self) -> Frame | BadFrame | None:
        """The next packet from the buffer, or None when more bytes are needed."""
        while True:
            start = self._buffer.find(START)
            if start < 0:
                keep = 1 if self._buffer.endswith(START[:1]) else 0  # maybe the first half of "@@"
                self._discard(len(self._buffer) - keep)
                return None
            self._discard(start)
            if len(self._buffer) < HEADER_SIZE:
                return None
            serial, source, destination, length, version = header_fields(self._buffer)
            if length > self.max_data_bytes:
                plausible = self._plausible_header()
                self._discard(1)  # resynchronise on the next start marker
                if not plausible:
                    continue
                return BadFrame(
                    f"oversized: {length} bytes of data announced, at most {self.max_data_bytes} accepted",
                    serial,
                    source,
                    destination,
                    version,
                )
            total = HEADER_SIZE + length + TRAILER_SIZE
            if len(self._buffer) < total:
                later = self._valid_packet_after_start()
                if later is None:
                    return None
                self._discard(later)  # a false start: the real packet behind it wins
                continue
            if self._buffer[total - 2 : total] != END:
                plausible = self._plausible_header()
                self._discard(1)  # the length lies, so the boundary is unknown: rescan
                if not plausible:
                    continue
                return BadFrame(
                    "bad end marker: the announced length does not fit the packet", serial, source, destination, version
                )
            packet = bytes(self._buffer[:total])
            try:
                frame = decode_frame(packet, max_data_bytes=self.max_data_bytes)
            except FrameError as exc:
                self._discard(total)  # boundary confirmed by the end marker: skip the packet
                return BadFrame(exc.reason, serial, source, destination, version)
            del self._buffer[:total]
            return frame

    def _plausible_header(self) -> bool:
        """Major version 1 (fixed by 6.6) and a defined or user-defined command byte."""
        command = self._buffer[HEADER_SIZE - 1]
        return self._buffer[4] == 1 and (1 <= command <= 6 or command >= 128)

    def _valid_packet_after_start(self) -> int | None:
        """Offset of the first complete, valid packet after the (incomplete) one at offset 0."""
        position = self._buffer.find(START, 1)
        while position >= 0:
            end = self._complete_length_at(position)
            if end is not None:
                try:
                    decode_frame(self._buffer[position : position + end], max_data_bytes=self.max_data_bytes)
                    return position
                except FrameError:
                    pass
            position = self._buffer.find(START, position + 1)
        return None

    def _complete_length_at(self, position: int) -> int | None:
        """The packet length announced at ``position`` if the buffer holds all of it."""
        if len(self._buffer) - position < HEADER_SIZE:
            return None
        length = int.from_bytes(self._buffer[position + 24 : position + 26], "little")
        total = HEADER_SIZE + length + TRAILER_SIZE
        if length > self.max_data_bytes or len(self._buffer) - position < total:
            return None
        return total

    def _discard(self, count: int) -> None:
        if count <= 0:
            return
        del self._buffer[:count]
        self.bytes_discarded += count
        self.garbage_run += count
