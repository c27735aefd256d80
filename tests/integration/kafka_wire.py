"""Just enough of the Kafka wire protocol to talk to a broker on a raw socket.

The integration tests use it for what real clients never send: batches with a
wrong CRC, garbage frames, an ApiVersions version above the broker's range,
acks=0 followed by another request. Layouts follow Apache Kafka's message
schemas and ../shared/design/KAFKA.md section 2 (RecordBatch v2). Only the
non-flexible versions are encoded here, plus ApiVersions v3.
"""

import socket
import struct
import time

# Kafka error codes the tests look for.
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5
MESSAGE_TOO_LARGE = 10
UNSUPPORTED_VERSION = 35
INVALID_RECORD = 87

API_PRODUCE = 0
API_FETCH = 1
API_METADATA = 3
API_VERSIONS = 18


# ---- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) ----

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---- primitive encoders ----

def zigzag_varint(n):
    """Signed (zigzag) varint, as used inside records."""
    v = (n << 1) ^ (n >> 63)
    return uvarint(v & 0xFFFFFFFFFFFFFFFF)


def uvarint(v):
    """Unsigned varint, as used by flexible versions for lengths and tags."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def compact_string(s):
    if s is None:
        return uvarint(0)
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def nbytes(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


def array(items):
    return struct.pack(">i", len(items)) + b"".join(items)


# ---- RecordBatch v2 ----

def encode_record(offset_delta, key, value, headers=(), timestamp_delta=0):
    body = bytearray()
    body += b"\x00"  # attributes
    body += zigzag_varint(timestamp_delta)
    body += zigzag_varint(offset_delta)
    for field in (key, value):
        if field is None:
            body += zigzag_varint(-1)
        else:
            body += zigzag_varint(len(field)) + field
    body += zigzag_varint(len(headers))
    for hkey, hvalue in headers:
        hk = hkey.encode()
        body += zigzag_varint(len(hk)) + hk
        if hvalue is None:
            body += zigzag_varint(-1)
        else:
            body += zigzag_varint(len(hvalue)) + hvalue
    return zigzag_varint(len(body)) + bytes(body)


def encode_record_batch(records, base_timestamp_ms=None, attributes=0):
    """records: list of (key, value, headers) with bytes keys/values.

    Returns a complete batch (baseOffset 0) with a correct CRC-32C."""
    if base_timestamp_ms is None:
        base_timestamp_ms = int(time.time() * 1000)
    encoded = b"".join(
        encode_record(i, k, v, h) for i, (k, v, h) in enumerate(records))
    # Everything from attributes to the end is covered by the CRC.
    after_crc = struct.pack(
        ">hiqqqhii", attributes, len(records) - 1, base_timestamp_ms,
        base_timestamp_ms, -1, -1, -1, len(records)) + encoded
    crc = crc32c(after_crc)
    after_length = struct.pack(">ibI", 0, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


CRC_OFFSET = 17  # byte offset of the crc field inside a batch


def corrupt_crc(batch):
    """The same batch with its stored CRC flipped."""
    b = bytearray(batch)
    b[CRC_OFFSET] ^= 0xFF
    return bytes(b)


def corrupt_payload(batch):
    """The same batch with its last byte (inside a record) flipped."""
    b = bytearray(batch)
    b[-1] ^= 0x55
    return bytes(b)


# ---- requests ----

def request_frame(api_key, api_version, correlation_id, body,
                  client_id="corelog-wire-test", flexible=False):
    header = struct.pack(">hhi", api_key, api_version, correlation_id)
    header += string(client_id)
    if flexible:
        header += b"\x00"  # header v2: empty tagged fields
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def produce_body(topic, partition, batch, acks=-1, timeout_ms=10000):
    """Produce v3..v7 request body (all share one layout)."""
    partitions = array([struct.pack(">i", partition) + nbytes(batch)])
    topics = array([string(topic) + partitions])
    return string(None) + struct.pack(">hi", acks, timeout_ms) + topics


def fetch_body_v7(topic, partition, offset, max_wait_ms=0, min_bytes=1,
                  partition_max_bytes=1 << 20, forgotten_partitions=0):
    """Fetch v7 request body for one partition, with no fetch session.

    forgotten_partitions pads the request with that many forgotten-topic
    partition ids (4 bytes each), which a sessionless broker ignores: a way
    to send a large request that does nothing else."""
    partitions = array([struct.pack(">iqqi", partition, offset, -1,
                                    partition_max_bytes)])
    topics = array([string(topic) + partitions])
    forgotten = array([])
    if forgotten_partitions:
        ids = struct.pack(">i", forgotten_partitions) + bytes(
            4 * forgotten_partitions)
        forgotten = array([string(topic) + ids])
    return (struct.pack(">iiiibii", -1, max_wait_ms, min_bytes, 1 << 30, 0,
                        0, -1) + topics + forgotten)


def metadata_body(topics, allow_auto_topic_creation=True, version=4):
    """Metadata v0..v8 request body. topics=None asks for all topics (v1+);
    in v0 an empty list means all topics."""
    if topics is None:
        t = struct.pack(">i", 0 if version == 0 else -1)
    else:
        t = array([string(name) for name in topics])
    if version >= 4:
        t += struct.pack(">?", allow_auto_topic_creation)
    if version >= 8:
        t += struct.pack(">??", False, False)  # include authorized operations
    return t


def metadata_body_v4(topics, allow_auto_topic_creation):
    return metadata_body(topics, allow_auto_topic_creation, 4)


def api_versions_body(version):
    if version >= 3:
        return (compact_string("corelog-wire-test") + compact_string("1.0")
                + b"\x00")
    return b""


# ---- response decoding ----

class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("response truncated at byte %d (wanted %d more)"
                             % (self.pos, n))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt):
        vals = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
        return vals[0] if len(vals) == 1 else vals

    def int8(self):
        return self.unpack(">b")

    def int16(self):
        return self.unpack(">h")

    def int32(self):
        return self.unpack(">i")

    def int64(self):
        return self.unpack(">q")

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode()

    def array(self, item):
        n = self.int32()
        return [] if n < 0 else [item() for _ in range(n)]

    def compact_array(self, item):
        n = self.uvarint()
        return [] if n == 0 else [item() for _ in range(n - 1)]

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def remaining(self):
        return len(self.data) - self.pos


def decode_api_versions(body, version):
    """Returns (error_code, {api_key: (min, max)}).

    Decodes with the v0 layout when the broker answered an unsupported
    version with error 35 (KIP-511: the fallback body is always v0)."""
    r = Reader(body)
    error = r.int16()
    apis = {}
    if version >= 3 and error != UNSUPPORTED_VERSION:
        def entry():
            key, lo, hi = r.unpack(">hhh")
            r.skip_tags()
            return key, (lo, hi)
        apis = dict(r.compact_array(entry))
        r.int32()  # throttle_time_ms
        r.skip_tags()
    else:
        apis = {k: (lo, hi) for k, lo, hi in
                r.array(lambda: r.unpack(">hhh"))}
        if version >= 1 and error != UNSUPPORTED_VERSION:
            r.int32()  # throttle_time_ms
    if r.remaining():
        raise ValueError("%d bytes left after ApiVersions v%d response"
                         % (r.remaining(), version))
    return error, apis


def decode_produce(body, version):
    """Returns {(topic, partition): {"error", "base_offset", ...}}."""
    r = Reader(body)
    out = {}

    def partition(topic):
        index = r.int32()
        p = {"error": r.int16(), "base_offset": r.int64()}
        if version >= 2:
            p["log_append_time"] = r.int64()
        if version >= 5:
            p["log_start_offset"] = r.int64()
        out[(topic, index)] = p

    def topic():
        name = r.string()
        r.array(lambda: partition(name))

    r.array(topic)
    r.int32()  # throttle_time_ms
    if r.remaining():
        raise ValueError("%d bytes left after Produce v%d response"
                         % (r.remaining(), version))
    return out


def decode_fetch_v7(body):
    """Returns (error_code, {(topic, partition): {"error", "high_watermark",
    "records"}}) where records is the raw record-batch bytes (b"" if none)."""
    r = Reader(body)
    r.int32()  # throttle_time_ms
    error = r.int16()
    r.int32()  # session_id
    out = {}

    def partition(topic):
        index, perr, hw = r.unpack(">ihq")
        r.int64()  # last_stable_offset
        r.int64()  # log_start_offset
        r.array(lambda: r.unpack(">qq"))  # aborted transactions
        n = r.int32()
        out[(topic, index)] = {"error": perr, "high_watermark": hw,
                               "records": b"" if n < 0 else r.take(n)}

    def topic():
        name = r.string()
        r.array(lambda: partition(name))

    r.array(topic)
    if r.remaining():
        raise ValueError("%d bytes left after Fetch v7 response"
                         % r.remaining())
    return error, out


def decode_metadata(body, version=4):
    """Metadata v0..v8 response."""
    r = Reader(body)
    if version >= 3:
        r.int32()  # throttle_time_ms

    def broker():
        b = {"node_id": r.int32(), "host": r.string(), "port": r.int32()}
        b["rack"] = r.string() if version >= 1 else None
        return b

    brokers = r.array(broker)
    cluster_id = r.string() if version >= 2 else None
    controller_id = r.int32() if version >= 1 else None

    def partition():
        p = {"error": r.int16(), "index": r.int32(), "leader": r.int32()}
        if version >= 7:
            p["leader_epoch"] = r.int32()
        p["replicas"] = r.array(r.int32)
        p["isr"] = r.array(r.int32)
        if version >= 5:
            p["offline"] = r.array(r.int32)
        return p

    def topic():
        t = {"error": r.int16(), "name": r.string()}
        t["is_internal"] = r.unpack(">?") if version >= 1 else False
        t["partitions"] = r.array(partition)
        if version >= 8:
            t["authorized_operations"] = r.int32()
        return t

    topics = r.array(topic)
    if version >= 8:
        r.int32()  # cluster_authorized_operations
    if r.remaining():
        raise ValueError("%d bytes left after Metadata v%d response"
                         % (r.remaining(), version))
    return {"brokers": brokers, "cluster_id": cluster_id,
            "controller_id": controller_id,
            "topics": {t["name"]: t for t in topics}}


def decode_metadata_v4(body):
    return decode_metadata(body, 4)


# ---- a connection ----

class ConnectionClosed(Exception):
    pass


class Connection:
    """One blocking TCP connection with deadlines on every read."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_correlation_id = 1

    @classmethod
    def to(cls, bootstrap, timeout=10.0):
        host, port = bootstrap.rsplit(":", 1)
        return cls(host, int(port), timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, api_key, version, body, flexible=False):
        """Sends one request; returns its correlation id."""
        cid = self.next_correlation_id
        self.next_correlation_id += 1
        self.send_raw(request_frame(api_key, version, cid, body,
                                    flexible=flexible))
        return cid

    def _recv_exact(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete response within the deadline")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except (ConnectionResetError, BrokenPipeError) as e:
                raise ConnectionClosed(str(e)) from e
            if not chunk:
                raise ConnectionClosed("peer closed the connection")
            buf += chunk
        return bytes(buf)

    def recv(self, timeout=10.0, flexible_header=False):
        """Reads one response; returns (correlation_id, body)."""
        deadline = time.monotonic() + timeout
        size = struct.unpack(">i", self._recv_exact(4, deadline))[0]
        frame = self._recv_exact(size, deadline)
        cid = struct.unpack(">i", frame[:4])[0]
        body = frame[4:]
        if flexible_header:
            r = Reader(body)
            r.skip_tags()
            body = body[r.pos:]
        return cid, body

    def request(self, api_key, version, body, flexible=False, timeout=10.0):
        """Sends one request and returns the body of its response."""
        cid = self.send(api_key, version, body, flexible)
        got, resp = self.recv(timeout)
        if got != cid:
            raise AssertionError("response correlation id %d, expected %d"
                                 % (got, cid))
        return resp

    def wait_closed(self, timeout=10.0):
        """True if the peer closes the connection within timeout.

        Any bytes the peer sends first are read and ignored."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                if not self.sock.recv(65536):
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            except socket.timeout:
                return False

    # Convenience wrappers.

    def api_versions(self, version=3):
        body = self.request(API_VERSIONS, version, api_versions_body(version),
                            flexible=version >= 3)
        return decode_api_versions(body, version)

    def produce(self, topic, partition, batch, version=7, acks=-1):
        body = self.request(API_PRODUCE, version,
                            produce_body(topic, partition, batch, acks))
        return decode_produce(body, version)[(topic, partition)]

    def metadata(self, topics, allow_auto_topic_creation=True, version=4):
        body = self.request(API_METADATA, version, metadata_body(
            topics, allow_auto_topic_creation, version))
        return decode_metadata(body, version)
