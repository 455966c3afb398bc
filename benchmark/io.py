"""Files in and out, for every command: one atomic write, one SHA-256, one bounded strict reader.

Anything read back is untrusted, even our own files: every file is opened with ``O_NOFOLLOW``
and checked to be a regular file below a size limit before a byte is parsed; JSON rejects
duplicate keys, NaN/Infinity and absurd nesting.  Errors are ``DataError`` with a one-word
``code`` (``too-large``, ``invalid-json``, ...) that verification reports as the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import tempfile
from pathlib import Path

MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_JSONL_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_JSONL_LINES = 20_000
"""Objects per JSON-lines file: a task logs at most 10,000 docs (verify.checks.MAX_DOCS_PER_TASK).
Counted on the bytes before any line is parsed, so a file of tiny objects (``{}`` is 3 bytes of
text, ~64 of memory) is refused at the size of the file, not 20x it."""


class DataError(ValueError):
    """A file cannot be read as data; ``code`` names the reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text (our own seeds and commitments; lm-eval's hashes are lm-eval's)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, or bytes as they are) to a temporary file beside ``path``, fsync, and rename
    it into place (mode 0644): a kill at any point leaves the old file or the new one, never half of one."""
    path = Path(path)
    if path.is_symlink():
        raise ValueError(f"{path}: symlinks are refused")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8")) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite int or float (never a bool): the one check for numbers read from data."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def shown(value, limit: int = 80) -> str:
    """A value from untrusted data, safe to print: repr-escaped and cut."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise DataError("invalid-json", f"duplicate key {shown(key)}")
        out[key] = value
    return out


def _no_constant(name):
    raise DataError("invalid-json", f"{name} is not JSON")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise DataError("invalid-json", f"number {shown(text)} overflows")
    return value


def parse_json(text: str, where: str):
    """Strict JSON: no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_float=_finite)
    except DataError as exc:
        raise DataError(exc.code, f"{where}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, int too long, nesting
        raise DataError("invalid-json", f"{where}: {str(exc).splitlines()[0][:120]}") from None


def read_bytes(path: Path, limit: int) -> bytearray:
    """The bytes of a regular file, refusing symlinks, special files and anything over ``limit``
    (checked on the file's size before a byte is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise DataError("symlink", f"{path.name}: symlinks are refused") from None
        raise DataError("unreadable", f"{path.name}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError("not-a-file", f"{path.name}: not a regular file")
        if info.st_size > limit:
            raise DataError("too-large", f"{path.name}: {info.st_size} bytes, limit {limit}")
        buf = bytearray(info.st_size)  # one buffer of the file's size: memory 1x the file, never 2x
        view, size = memoryview(buf), 0
        while size < len(buf):
            n = os.readv(fd, [view[size:]])
            if n == 0:  # shrank while we read
                del view
                del buf[size:]
                break
            size += n
        else:
            del view
        if os.read(fd, 1):  # grew while we read
            raise DataError("too-large", f"{path.name}: changed while read (over {info.st_size} bytes)")
        return buf
    finally:
        os.close(fd)


def read_text(path: Path, limit: int) -> str:
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError("invalid-json", f"{path.name}: not UTF-8 ({exc.reason})") from None


def read_json(path: Path, limit: int = MAX_JSON_BYTES):
    """One JSON file, bounded and strict."""
    return parse_json(read_text(Path(path), limit), Path(path).name)


def read_jsonl(path: Path, limit: int = MAX_JSONL_BYTES, max_lines: int = MAX_JSONL_LINES) -> list:
    """A JSON-lines file (lm-eval's samples) as a list: ``iter_jsonl``'s objects, all kept."""
    return list(iter_jsonl(path, limit, max_lines))


def iter_jsonl(path: Path, limit: int = MAX_JSONL_BYTES, max_lines: int = MAX_JSONL_LINES):
    """The objects of a JSON-lines file, one at a time: bounded per file, per line and in lines,
    strict per line; DataError (raised while iterating) on the first problem.

    Memory: the file's bytes once (one buffer), then one line at a time; the line count is checked
    on the bytes before any line is parsed.  A consumer that keeps only what it needs of each object
    (``verify.docs.check_samples``) reads a file in about 1x its size.
    """
    path = Path(path)
    data = read_bytes(path, limit)
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if n_lines > max_lines:
        raise DataError("too-large", f"{path.name}: {n_lines} lines, limit {max_lines}")
    start, number = 0, 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        number += 1
        if end - start > MAX_LINE_BYTES:
            raise DataError("too-large", f"{path.name}:{number}: line over {MAX_LINE_BYTES} bytes")
        try:
            line = data[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError("invalid-json", f"{path.name}:{number}: not UTF-8 ({exc.reason})") from None
        start = end + 1
        yield parse_json(line, f"{path.name}:{number}")
