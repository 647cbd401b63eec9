"""The raw pages, kept: WARC/1.1 files written while crawling, read back by a pointer.

Pure module (no Scrapy imports). Layout under the data directory::

    warc/<source>/<YYYY-MM>/newscrawl-<source>-<UTC stamp>-<serial>-<host>-<pid>.warc.gz

Each file starts with a `warcinfo` record (software, user agent, robots policy, and where the
pages came from: the live sites, an offline mirror or a stand-in host), then one `response`
and one `request` record per fetched page. Every record is its own gzip member, so any record
can be read with one seek (`ArchivePointer`: file, offset, length of the response record) and
standard tools (`warcio index`, `warcio check`, pywb, the Internet Archive's readers) read the
files as they are.

Crash safety: a file being written is named `….warc.gz.open` and held under an exclusive
flock; a page's two records are appended with one write, after which the record's pointer is
handed out. A clean close renames the file to its final name. A process killed mid-write
leaves an `.open` file whose last gzip member may be cut: `recover_open_files` (run when the
next crawl or re-extraction opens the archive) cuts it back to its last complete record and
gives it its final name, so every pointer ever handed out stays valid. Files are never
appended to once closed: every run starts a new one.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import logging
import mmap
import os
import socket
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl.config import default
from newscrawl.jsonl import StorageError, append_line

logger = logging.getLogger(__name__)

ARCHIVE_DIR = "warc"
OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
# Fields this project adds to response records (extension fields; WARC- names are reserved).
SOURCE_FIELD = "Newscrawl-Source"
KIND_FIELD = "Newscrawl-Kind"
# The host's rights signals when the page was fetched (tdmrep.json, robots.txt; JSON), which
# the page alone does not show: re-extraction gives its records the same `rights`.
HOST_RIGHTS_FIELD = "Newscrawl-Host-Rights"
# Scrapy hands over bodies already de-chunked: a kept Transfer-Encoding header would make WARC
# readers de-chunk them again.
DROPPED_HEADERS = {"transfer-encoding"}


class ArchiveError(Exception):
    """An archived record that cannot be read back (missing file, cut or corrupt record)."""


@dataclass(frozen=True, slots=True)
class ArchivePointer:
    """Where one response record is: `file` relative to the data directory."""

    file: str
    offset: int
    length: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "offset": self.offset, "length": self.length}

    @classmethod
    def from_value(cls, value: Any) -> ArchivePointer | None:
        """The pointer of a stored record's `archive` field, or None when it has none."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(str(value["file"]), int(value["offset"]), int(value["length"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """One response as it was received: status, headers, body (still content-encoded)."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    source: str
    kind: str
    pointer: ArchivePointer
    host_rights: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """A response record found by scanning: enough to choose it and read it later."""

    url: str
    date: str
    source: str
    kind: str
    status: int
    pointer: ArchivePointer


def warc_date(when: datetime | None = None) -> str:
    """WARC/1.1 date: UTC with microseconds."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _gzip_member(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def _serialise(record: Any) -> bytes:
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


class ArchiveWriter:
    """The WARC files of one source in one process: opened on the first page, rotated by
    size, closed (renamed to their final name) by `close`."""

    def __init__(
        self,
        data_dir: Path,
        source: str,
        info: dict[str, str] | None = None,
        *,
        max_bytes: int = default("NEWSCRAWL_ARCHIVE_MAX_BYTES"),
        level: int = default("NEWSCRAWL_ARCHIVE_GZIP_LEVEL"),
        fsync: bool = False,
    ):
        self.data_dir = Path(data_dir)
        self.source = source
        self.info = dict(info or {})
        self.max_bytes = max_bytes
        self.level = level
        self.fsync = fsync
        self.builder = RecordBuilder(warc_version="1.1")
        self.host = socket.gethostname().split(".")[0] or "host"
        self.serial = 0
        self.handle: int | None = None
        self.path: Path | None = None  # the final name of the file being written
        self.warcinfo_id = ""
        self.files: list[Path] = []

    # -------------------------------------------------------------- files
    def _open(self) -> None:
        now = datetime.now(timezone.utc)
        self.serial += 1
        name = (f"newscrawl-{self.source}-{now:%Y%m%d%H%M%S%f}-{self.serial:05d}-"
                f"{self.host}-{os.getpid()}{WARC_SUFFIX}")
        path = self.data_dir / ARCHIVE_DIR / self.source / f"{now:%Y-%m}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(f"{path}{OPEN_SUFFIX}", os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL,
                         0o644)
        fcntl.flock(handle, fcntl.LOCK_EX)
        self.handle, self.path = handle, path
        info = {"software": software(), "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                              "warc-format/warc-1.1/",
                "hostname": socket.gethostname(), "isPartOf": f"newscrawl-{self.source}",
                **self.info}
        record = self.builder.create_warcinfo_record(name, info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        try:
            append_line(handle, _gzip_member(_serialise(record), self.level), self.fsync)
        except StorageError:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """Drop a file that could not even take its warcinfo record."""
        assert self.handle is not None and self.path is not None
        os.close(self.handle)
        try:
            os.unlink(f"{self.path}{OPEN_SUFFIX}")
        except OSError:
            pass
        self.handle = self.path = None

    def close(self) -> None:
        """Finish the current file: flushed to disk and given its final name."""
        if self.handle is None or self.path is None:
            return
        try:
            os.fsync(self.handle)
            os.rename(f"{self.path}{OPEN_SUFFIX}", self.path)
            self.files.append(self.path)
        except OSError as exc:
            # Left as .open: the next start recovers it under its final name.
            logger.warning("Could not close the archive file %s: %s", self.path, exc)
        finally:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
            self.handle = self.path = None

    # -------------------------------------------------------------- records
    def write(
        self,
        *,
        url: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        request_headers: Iterable[tuple[str, str]] = (),
        method: str = "GET",
        kind: str = "",
        ip_address: str | None = None,
        when: datetime | None = None,
        host_rights: list[dict[str, Any]] | None = None,
    ) -> ArchivePointer:
        """Append one fetched page (its response, then its request) and return the pointer to
        the response record. Raises StorageError when the disk refuses (nothing half-written
        is left behind)."""
        if self.handle is None:
            self._open()
        assert self.handle is not None and self.path is not None
        date = warc_date(when)
        response = self._response_record(url, status, headers, body, date, kind, ip_address,
                                         host_rights)
        request = self._request_record(url, method, request_headers, date,
                                       response.rec_headers.get_header("WARC-Record-ID"))
        response_member = _gzip_member(_serialise(response), self.level)
        request_member = _gzip_member(_serialise(request), self.level)
        start, _ = append_line(self.handle, response_member + request_member, self.fsync)
        pointer = ArchivePointer(
            os.path.relpath(self.path, self.data_dir), start, len(response_member)
        )
        if start + len(response_member) + len(request_member) >= self.max_bytes:
            self.close()
        return pointer

    def _response_record(self, url: str, status: int, headers: Iterable[tuple[str, str]],
                         body: bytes, date: str, kind: str, ip_address: str | None,
                         host_rights: list[dict[str, Any]] | None = None) -> Any:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        fields = {"WARC-Date": date, "WARC-Warcinfo-ID": self.warcinfo_id,
                  SOURCE_FIELD: self.source}
        if kind:
            fields[KIND_FIELD] = kind
        if ip_address:
            fields["WARC-IP-Address"] = ip_address
        if host_rights:
            fields[HOST_RIGHTS_FIELD] = json.dumps(host_rights, ensure_ascii=True,
                                                   separators=(",", ":"))
        return self.builder.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=http_headers, warc_headers_dict=fields,
        )

    def _request_record(self, url: str, method: str, headers: Iterable[tuple[str, str]],
                        date: str, concurrent_to: str) -> Any:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = [("Host", parts.netloc), *((k, v) for k, v in headers if k.lower() != "host")]
        http_headers = StatusAndHeaders(f"{method} {target} HTTP/1.1", sent,
                                        protocol="HTTP/1.1", is_http_request=True)
        fields = {"WARC-Date": date, "WARC-Warcinfo-ID": self.warcinfo_id,
                  "WARC-Concurrent-To": concurrent_to}
        return self.builder.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=http_headers, warc_headers_dict=fields,
        )


def software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return f"newscrawl/{of('newscrawl')} (warcio/{of('warcio')})"


# ------------------------------------------------------------------ reading
def resolve(data_dir: Path, file: str) -> Path:
    """The file a pointer names; its `.open` form while it is still being written (or was
    left by a killed process and not yet recovered)."""
    path = Path(data_dir) / file
    if not path.exists():
        open_path = path.with_name(path.name + OPEN_SUFFIX)
        if open_path.exists():
            return open_path
    return path


def read_response(data_dir: Path, pointer: ArchivePointer) -> ArchivedResponse:
    """The response record a pointer names, checked against its payload digest."""
    path = resolve(data_dir, pointer.file)
    try:
        with open(path, "rb") as handle:
            handle.seek(pointer.offset)
            member = handle.read(pointer.length)
    except OSError as exc:
        raise ArchiveError(f"{pointer.file}: {exc.strerror or exc}") from exc
    if len(member) != pointer.length:
        raise ArchiveError(f"{pointer.file}: {len(member)} of {pointer.length} bytes at "
                           f"offset {pointer.offset}")
    try:
        raw = zlib.decompress(member, zlib.MAX_WBITS | 16)
        record = next(iter(ArchiveIterator(io.BytesIO(raw))))
        body = record.raw_stream.read()
    except (zlib.error, StopIteration, ValueError, EOFError) as exc:
        raise ArchiveError(f"{pointer.file}: no readable record at offset {pointer.offset} "
                           f"({exc})") from exc
    if record.rec_type != "response" or record.http_headers is None:
        raise ArchiveError(f"{pointer.file}: the record at offset {pointer.offset} is a "
                           f"{record.rec_type} record, not a response")
    expected = record.rec_headers.get_header("WARC-Payload-Digest")
    if expected and expected != _digest(body):
        raise ArchiveError(f"{pointer.file}: the record at offset {pointer.offset} fails its "
                           "payload digest")
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=list(record.http_headers.headers),
        body=body,
        date=record.rec_headers.get_header("WARC-Date") or "",
        source=record.rec_headers.get_header(SOURCE_FIELD) or "",
        kind=record.rec_headers.get_header(KIND_FIELD) or "",
        pointer=pointer,
        host_rights=_host_rights(record.rec_headers.get_header(HOST_RIGHTS_FIELD)),
    )


def _host_rights(value: str | None) -> list[dict[str, Any]]:
    try:
        signals = json.loads(value) if value else []
    except ValueError:
        return []
    return [s for s in signals if isinstance(s, dict)] if isinstance(signals, list) else []


def archive_files(data_dir: Path, sources: Iterable[str] | None = None) -> list[Path]:
    """The closed WARC files of the given sources (all when None), oldest first per source."""
    root = Path(data_dir) / ARCHIVE_DIR
    wanted = set(sources) if sources is not None else None
    files = []
    for path in sorted(root.glob(f"*/*/*{WARC_SUFFIX}")):
        if wanted is None or path.parent.parent.name in wanted:
            files.append(path)
    return files


GZIP_MAGIC = b"\x1f\x8b\x08"
# The WARC and HTTP headers of a record are in its first few kilobytes.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Member:
    """One gzip member of a file: its place, the start of its content, or why it is bad
    ("damaged": not valid gzip; "cut": the file ends inside it)."""

    offset: int
    length: int
    head: bytes
    problem: str = ""


def members(data: Any) -> Iterator[Member]:
    """The gzip members of a file's bytes (bytes or an mmap). A damaged member does not end
    the walk: it goes on at the next gzip header, as archive readers resynchronise."""
    size = len(data)
    position = 0
    while position < size:
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        head = b""
        consumed = position
        problem = ""
        try:
            while not decompressor.eof and consumed < size:
                chunk = data[consumed:consumed + (1 << 20)]
                out = decompressor.decompress(chunk)
                if len(head) < HEAD_BYTES:
                    head += out[:HEAD_BYTES - len(head)]
                consumed += len(chunk) - len(decompressor.unused_data)
            if not decompressor.eof:
                problem = "cut"
        except zlib.error:
            problem = "damaged"
        if not problem:
            yield Member(position, consumed - position, head)
            position = consumed
            continue
        following = data.find(GZIP_MAGIC, position + 1) if problem == "damaged" else -1
        end = following if following != -1 else size
        yield Member(position, end - position, b"", problem)
        position = end


def _fields(head: bytes) -> tuple[dict[str, str], bytes]:
    """A record's WARC header fields (names lower-cased) and the bytes after them."""
    block, _, rest = head.partition(b"\r\n\r\n")
    lines = block.decode("utf-8", "replace").split("\r\n")
    if not lines[0].startswith("WARC/"):
        raise ValueError("not a WARC record")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields, rest


def scan(path: Path, data_dir: Path, problems: list[str] | None = None) -> Iterator[ArchiveEntry]:
    """The response records of one WARC file, without keeping their bodies. A damaged record
    is skipped (and noted in `problems`); the records after it are still found."""
    relative = os.path.relpath(path, data_dir)
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for member in members(data):
                try:
                    if member.problem:
                        raise ValueError(f"{member.problem} record")
                    fields, rest = _fields(member.head)
                    if fields.get("warc-type") != "response":
                        continue
                    status_line = rest.split(b"\r\n", 1)[0].split()
                    status = int(status_line[1]) if len(status_line) > 1 else 0
                except (ValueError, IndexError) as exc:
                    if problems is not None:
                        problems.append(f"{path}: {exc} at offset {member.offset}")
                    continue
                yield ArchiveEntry(
                    url=fields.get("warc-target-uri", ""),
                    date=fields.get("warc-date", ""),
                    source=fields.get(SOURCE_FIELD.lower()) or path.parent.parent.name,
                    kind=fields.get(KIND_FIELD.lower(), ""),
                    status=status,
                    pointer=ArchivePointer(relative, member.offset, member.length),
                )


# ------------------------------------------------------------------ recovery
def complete_length(handle: Any) -> tuple[int, int]:
    """(bytes, good members) up to the end of the last good gzip member of an open binary
    file: what a file a kill cut mid-record is cut back to. A damaged member followed by good
    ones is kept (cutting there would lose the good ones)."""
    if os.fstat(handle.fileno()).st_size == 0:
        return 0, 0
    end = count = 0
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for member in members(data):
            if not member.problem:
                end, count = member.offset + member.length, count + 1
    return end, count


@dataclass(frozen=True, slots=True)
class Recovered:
    path: Path
    records: int
    cut_bytes: int


def recover_open_files(data_dir: Path) -> list[Recovered]:
    """Give every `.open` file no live process is writing (killed runs) its final name, cut
    back to its last complete record. Files another process holds are left alone."""
    recovered = []
    root = Path(data_dir) / ARCHIVE_DIR
    for open_path in sorted(root.glob(f"*/*/*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        try:
            handle = open(open_path, "r+b")
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer
            size = os.fstat(handle.fileno()).st_size
            end, members = complete_length(handle)
            if end < size:
                handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
            final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
            if members == 0:
                open_path.unlink()
            else:
                os.rename(open_path, final)
            recovered.append(Recovered(final, members, size - end))
            logger.warning("Recovered the archive file %s left by a stopped run: %d records kept, "
                           "%d bytes of an unfinished record cut", final, members, size - end)
    return recovered
