"""Story clustering across outlets: MinHash-LSH over word shingles, persisted in the ledger.

Pure module (no Scrapy imports). :class:`StoryIndex` gives every new record a
``story_id`` and, when it is a near-copy of a record seen earlier, ``duplicate_of``
(the id of the story's first record). Each outlet's record is still kept.

Text model
    The body is normalised (Unicode NFC, lower case, punctuation and ``_`` turned into
    spaces, so ``5.000`` -> ``5 000``) and cut into overlapping **5-word shingles**.
    Similarity is the Jaccard index of the two shingle sets, estimated from
    128-permutation MinHash signatures (seed 1, permutation scheme ``affine32`` on datasketch
    2.x, ``legacy`` on 1.x): the same text gives the same signature in every process and
    run. Python's randomised ``hash()`` is never used.

    Each shingle's UTF-8 bytes are hashed to 32 bits, then the scheme's permutations (the
    same ``(a, b)`` as datasketch's, from seed 1) are applied to all shingles at once with
    numpy and the minimum kept per permutation. Two shingle hashes, each recorded in the
    ledger with the index, which keeps it:

    * ``poly64`` (new indexes since issue 15): the polynomial hash of the bytes mod 2**64,
      mixed by MurmurHash3's fmix64, high 32 bits. Computed from prefix sums over the whole
      text, for every shingle at once: ~30 us for a 900-shingle body, where one SHA-1 call
      per shingle takes ~450 us. Band keys: ``fmix64`` of the band number and values, for
      every band at once.
    * ``sha1_hash32`` (indexes made before): datasketch's default, SHA-1 of each shingle,
      first 4 bytes little-endian; band keys BLAKE2b. Their signatures are bit-identical to
      datasketch's ``MinHash`` (the tests compare them value for value), and such an index
      keeps making them, so its clusters do not change.

    Both are estimates of the same Jaccard index with the same error; on the tests' golden
    corpus they make the same joins except at the threshold (two pairs of 78).

Threshold: **Jaccard >= 0.5**, shingle size **5**. Why:
    * A changed word breaks ``k`` shingles, so with ``J = (n - m) / (n + m)`` a copy
      stays above 0.5 while at most a third of its ``n`` shingles change: with ``k = 5``
      that is about one changed word in 15 (10 scattered edits in a 150-word story), or
      a third of the text cut. On the constructed cases in ``tests/test_stories.py``
      (about 170-225 words), exact Jaccard (MinHash estimate): a syndicated copy with a
      new dateline, a swapped outlet name and a rewritten sentence 0.71 (0.68), a copy
      with a paragraph removed 0.72 (0.64), a copy with eight small word edits, a new
      dateline and an added sentence 0.68 (0.73); a different story about the same phone
      (same company, names and specs) 0.005 (0.0), a rival's launch written from the
      same template 0.07 (0.07).
    * Shorter shingles tolerate more rewording but merge *templated* reports: two daily
      Bitcoin-price reports that differ only in their ~15 figures score 0.53 with 3-word
      shingles (merged) and 0.35 (estimate 0.25) with 5-word shingles (kept apart).
    * 0.5 leaves room for the MinHash estimation error (standard deviation about
      ``sqrt(J(1-J)/128)`` = 0.044 at J = 0.5) on both sides; 0.6 would put lightly
      edited copies (0.68) within two standard deviations of the line.
    * It sits with published practice: text-dedup's NEWS-COPY benchmark configuration
      uses a 0.45 threshold (with 2-grams and 256 permutations); KoPI-CC uses datasketch
      MinHash-LSH for Indonesian near-duplicates.

LSH
    The 128 values are cut into bands of ``r`` rows; two records become candidates when
    any band is equal. ``r`` is the largest value for which a pair exactly at the threshold
    is a candidate with probability >= 0.99 (for 0.5: ``r = 3``, 42 bands, 0.996), and every
    candidate is then verified with the full 128-value estimate, so LSH only saves work and
    does not decide. Band keys and signatures live in the ledger (SQLite: ``story_members``,
    and ``story_bands`` with the newest members' keys waiting in ``story_pending``, see
    :mod:`newscrawl.ledger`; Redis: sets), not in this object; an assignment costs one
    indexed query for the candidates and one write transaction.

Short bodies
    Bodies with fewer than 30 words (after normalisation) get their own story and are
    never matched: a handful of shingles gives a noisy estimate, and short items (photo
    captions, video stubs, breaking-news one-liners) share most of their words by chance.
    Exact copies of them are still caught by ``content_hash``.

Order
    ``duplicate_of`` points at the story's first record *in assignment order*. After a
    backfill that is not always the earliest published one; ``min(published_at)`` within a
    ``story_id`` gives that. A record that joins picks the story of its most similar
    earlier record (no stories are merged afterwards).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.metadata import version as _version
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from newscrawl.ledger_protocol import Ledger, NewStoryMember, StoryMember, parse_iso

if TYPE_CHECKING:
    from datasketch import LeanMinHash

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_HASHFUNC",
    "MIN_WORDS",
    "NUM_PERM",
    "SHINGLE_SIZE",
    "THRESHOLD",
    "StoryIndex",
    "SignatureSpec",
    "StoryMatch",
    "band_keys",
    "choose_rows",
    "estimated_similarity",
    "jaccard",
    "normalize_words",
    "poly64_hash32",
    "shingles",
    "signature",
    "signature_values",
    "story_id_for",
]

THRESHOLD = 0.5
SHINGLE_SIZE = 5
NUM_PERM = 128
MIN_WORDS = 30
SEED = 1
_META_KEY = "story_index"
_CANDIDATE_LIMIT = 50
_IN_BATCH = 1 << 62  # member numbers of a batch's own records: newer than any stored one
_SIGN_BATCH = 500  # records signed together (and matched together) in a long batch

# datasketch 2.x has permutation "schemes" (default affine32); 1.x only had what 2.x calls
# "legacy". Both give 32-bit values, stored as little-endian uint32. An index remembers its
# scheme so reopening it with another datasketch version either keeps working or says why not.
# The version is read from the package metadata: importing datasketch pulls in scipy (~0.4 s
# of every process's start), so it is imported only when a signature is made.
_HAS_SCHEMES = int(_version("datasketch").split(".")[0]) >= 2
DEFAULT_SCHEME = "affine32" if _HAS_SCHEMES else "legacy"
# The shingle hash and band-key hash of a new index. An index keeps those it was made with
# (recorded in the ledger): one made before poly64 goes on with datasketch's sha1_hash32 and
# BLAKE2b band keys, and its clusters do not change.
DEFAULT_HASHFUNC = "poly64"
DEFAULT_BAND_HASH = "fmix64"
_BAND_HASH_OF = {"poly64": "fmix64", "sha1_hash32": "blake2b8"}


@lru_cache(maxsize=1)
def _datasketch() -> Any:
    import datasketch

    return datasketch

_NOT_WORD = re.compile(r"[^\w\s]|_")


def normalize_words(text: str) -> list[str]:
    """Words of ``text``: NFC, lower case, punctuation (and ``_``) treated as spaces."""
    text = unicodedata.normalize("NFC", text or "").lower()
    return _NOT_WORD.sub(" ", text).split()


def _shingles_of(words: list[str], k: int) -> set[str]:
    if not words:
        return set()
    if len(words) <= k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def shingles(text: str, k: int = SHINGLE_SIZE) -> set[str]:
    """Word ``k``-grams of the normalised ``text`` (shorter than ``k`` words: one shingle)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    return _shingles_of(normalize_words(text), k)


def _scheme_kwargs(scheme: str) -> dict[str, str]:
    if _HAS_SCHEMES:
        return {"scheme": scheme}
    if scheme != "legacy":
        raise ValueError(f"MinHash scheme {scheme!r} needs datasketch >= 2.0")
    return {}


@lru_cache(maxsize=8)
def _permutations(num_perm: int, scheme: str) -> Any:
    minhash = _datasketch().MinHash
    return minhash(num_perm=num_perm, seed=SEED, **_scheme_kwargs(scheme)).permutations


def _minhash(
    shingle_set: set[str], num_perm: int, scheme: str, hashfunc: str = "sha1_hash32"
) -> LeanMinHash:
    """datasketch's own MinHash of the shingles: the reference the fast path must equal."""
    m = _datasketch().MinHash(
        num_perm=num_perm,
        seed=SEED,
        permutations=_permutations(num_perm, scheme),
        **({"hashfunc": poly64_hash32} if hashfunc == "poly64" else {}),
        **_scheme_kwargs(scheme),
    )
    m.update_batch([s.encode("utf-8") for s in shingle_set])
    return _datasketch().LeanMinHash(m)


def _values(sig: LeanMinHash) -> np.ndarray:
    return np.asarray(sig.hashvalues).astype("<u4")


# ASCII byte -> itself for digits and lower-case letters, the lower-case letter for an upper-case
# one, a space for anything else: for ASCII text that gives the words normalize_words() gives
# (ASCII is already NFC; \w there is [A-Za-z0-9_] and "_" is cut), at C speed in one pass.
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256)
)


def _is_plain_separator(char: str) -> bool:
    """Whether ``normalize_words`` treats ``char`` as a space whatever stands around it: not a
    word character, uncased, not combining, and with no canonical decomposition to join."""
    return (
        normalize_words(f"a{char}b") == ["a", "b"]
        and char.lower() == char
        and unicodedata.combining(char) == 0
        and unicodedata.normalize("NFD", char) == char
    )


# The non-ASCII characters news bodies carry most (typographic quotes and dashes, no-break and
# thin spaces, ellipses, bullets) are all word separators: translated to spaces, such a body is
# ASCII and takes the fast path. Any other non-ASCII character (an accent, another script)
# sends the body through normalize_words().
_PLAIN_SEPARATORS = re.compile("[{}]".format("".join(
    chr(code)
    for code in (*range(0x80, 0xC0), *range(0x2000, 0x2070), 0x3000, 0xFEFF)
    if _is_plain_separator(chr(code))
)))


def _joined_words(text: str) -> tuple[bytes, int]:
    """The normalised words of ``text`` joined by single spaces as UTF-8 (what the shingles
    are cut from), and how many."""
    if not text.isascii():
        plain = _PLAIN_SEPARATORS.sub(" ", text)
        if not plain.isascii():
            words = normalize_words(text)
            return " ".join(words).encode("utf-8"), len(words)
        text = plain
    # One C pass maps every byte to itself, its lower case or a space; numpy then keeps each
    # word byte and the first space after it (splitting into ~1,000 bytes objects and joining
    # them again costs three times as much).
    chars = np.frombuffer(text.encode("ascii").translate(_ASCII_WORDS), dtype=np.uint8)
    in_word = chars != 32
    kept = in_word.copy()
    kept[1:] |= in_word[:-1]
    count = int(np.count_nonzero(in_word[1:] > in_word[:-1])) + bool(len(chars) and in_word[0])
    return chars[kept].tobytes().rstrip(b" "), count


def _word_bounds(joined: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of each word in ``joined`` (words joined by single spaces; no
    word holds a space, not even inside a UTF-8 sequence)."""
    spaces = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == 32)
    return np.concatenate(([0], spaces + 1)), np.append(spaces, len(joined))


def _shingle_bounds(joined: bytes, count: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets in ``joined`` (``count`` words) of every ``k``-word shingle."""
    if count <= k:
        return np.zeros(1, dtype=np.int64), np.full(1, len(joined), dtype=np.int64)
    starts, ends = _word_bounds(joined)
    return starts[: count - k + 1], ends[k - 1 :]


def _sha1_hashes(joined: bytes, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``sha1_hash32`` (datasketch's: SHA-1, first 4 bytes little-endian) of each shingle."""
    sha1 = hashlib.sha1
    # Two C calls per shingle (hash, digest) are the floor in Python: ~0.5 us a shingle, most
    # of a signature; everything after this loop runs on all shingles at once.
    digests = b"".join(
        [sha1(joined[a:b]).digest() for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    )
    return np.frombuffer(digests, dtype="<u4")[::5]  # a digest is five 32-bit words


# poly64: the polynomial hash sum(byte_i * B**i) mod 2**64 of a shingle's UTF-8 bytes, mixed
# by MurmurHash3's 64-bit finaliser, high 32 bits. From prefix sums over the whole text, so
# every shingle is hashed by a few numpy operations on all of them at once (~30 us for 900
# shingles, where SHA-1 takes ~450 us). B is odd, hence invertible mod 2**64: a shingle's
# hash is (prefix[end] - prefix[start]) * B**-start, the same wherever the shingle stands.
_POLY_BASE = 0x100000001B3  # the 64-bit FNV prime
_POLY_POWERS: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _poly_powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B**i and B**-i mod 2**64 for i < n (at least), grown on demand and kept (replaced
    whole, so a thread reading the old pair meanwhile still reads a consistent one)."""
    global _POLY_POWERS
    powers = _POLY_POWERS
    if len(powers[0]) < n:
        size = max(n, 2 * len(powers[0]), 1 << 16)
        inverse = pow(_POLY_BASE, -1, 1 << 64)
        grown = []
        for base in (_POLY_BASE, inverse):
            factors = np.full(size, base, dtype=np.uint64)
            factors[0] = 1
            grown.append(np.cumprod(factors, dtype=np.uint64))  # wraps mod 2**64
        powers = _POLY_POWERS = (grown[0], grown[1])
    return powers


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (every input bit reaches every output bit), in place."""
    shifted = h >> np.uint64(33)
    h ^= shifted
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= np.right_shift(h, np.uint64(33), out=shifted)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= np.right_shift(h, np.uint64(33), out=shifted)
    return h


def _poly64_hashes(joined: bytes, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The ``poly64`` hash (uint32) of each shingle ``joined[start:stop]``."""
    size = len(joined)
    power, inverse = _poly_powers(size + 1)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.multiply(np.frombuffer(joined, dtype=np.uint8), power[:size], out=prefix[1:])
    np.cumsum(prefix[1:], out=prefix[1:])
    hashes = prefix[stops]
    hashes -= prefix[starts]
    hashes *= inverse[starts]
    hashes = _fmix64(hashes)
    hashes >>= np.uint64(32)
    return hashes.astype(np.uint32)


def poly64_hash32(data: bytes) -> int:
    """The ``poly64`` hash of ``data`` (a shingle's UTF-8 bytes): datasketch's ``hashfunc``
    form of what a ``poly64`` index computes for all shingles at once."""
    bounds = np.zeros(1, dtype=np.int64), np.full(1, len(data), dtype=np.int64)
    return int(_poly64_hashes(data, *bounds)[0])


_SHINGLE_HASHES = {"sha1_hash32": _sha1_hashes, "poly64": _poly64_hashes}


def _shingle_hashes(joined: bytes, count: int, k: int, hashfunc: str) -> np.ndarray:
    """The ``hashfunc`` hash (uint32) of every ``k``-word shingle of ``count`` joined words
    (a repeated shingle repeats, which leaves the minimum unchanged)."""
    if not count:
        return np.empty(0, dtype=np.uint32)
    return _SHINGLE_HASHES[hashfunc](joined, *_shingle_bounds(joined, count, k))


_MAX32 = np.uint32(0xFFFFFFFF)
_MERSENNE_61 = np.uint64((1 << 61) - 1)
_CHUNK = 4096  # shingles permuted at a time: bounds the (shingles x num_perm) temporary
_PERM_BLOCK = 16  # permutations applied at a time to a batch's shingles


@lru_cache(maxsize=8)
def _typed_permutations(num_perm: int, scheme: str, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    a, b = _permutations(num_perm, scheme)
    return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch's affine32 scheme applies it first; in
    place."""
    shifted = h >> np.uint32(16)
    h ^= shifted
    h *= np.uint32(0x85EBCA6B)
    h ^= np.right_shift(h, np.uint32(13), out=shifted)
    h *= np.uint32(0xC2B2AE35)
    h ^= np.right_shift(h, np.uint32(16), out=shifted)
    return h


def _permuted_min(hashes: np.ndarray, num_perm: int, scheme: str) -> np.ndarray | None:
    """The MinHash values (uint32) of these 32-bit shingle hashes under ``scheme``'s seed-1
    permutations, computed as datasketch's ``update_batch`` does; ``None`` for a scheme
    only datasketch itself knows."""
    out = np.full(num_perm, _MAX32, dtype=np.uint32)
    if scheme == "affine32":
        a32, b32 = _typed_permutations(num_perm, scheme, np.uint32)
        a32, b32 = a32[:, None], b32[:, None]
        for i in range(0, len(hashes), _CHUNK):
            mixed = _fmix32(hashes[i : i + _CHUNK].astype(np.uint32))
            # permutation-major, so each minimum runs along contiguous memory (~20 % faster)
            permuted = np.multiply(a32, mixed)  # wraps mod 2**32, as datasketch's does
            permuted += b32
            np.minimum(out, permuted.min(axis=1), out=out)
        return out
    if scheme == "legacy":
        a64, b64 = _typed_permutations(num_perm, scheme, np.uint64)
        for i in range(0, len(hashes), _CHUNK):
            hv = hashes[i : i + _CHUNK].astype(np.uint64)
            # (a * h + b) mod (2**61 - 1), the product wrapping mod 2**64 as in datasketch
            permuted = np.multiply.outer(hv, a64)
            permuted += b64
            permuted %= _MERSENNE_61
            permuted &= np.uint64(0xFFFFFFFF)
            np.minimum(out, permuted.min(axis=0).astype(np.uint32), out=out)
        return out
    return None


def _signature_values(
    joined: bytes, count: int, k: int, num_perm: int, scheme: str, hashfunc: str
) -> np.ndarray:
    """MinHash values (little-endian uint32) of the shingles of ``count`` joined words."""
    values = _permuted_min(_shingle_hashes(joined, count, k, hashfunc), num_perm, scheme)
    if values is None:  # a scheme without a fast path: datasketch itself
        words = joined.decode("utf-8").split(" ") if joined else []
        return _values(_minhash(_shingles_of(words, k), num_perm, scheme, hashfunc))
    return values.astype("<u4", copy=False)


def _check_hashfunc(hashfunc: str) -> None:
    if hashfunc not in _SHINGLE_HASHES:
        raise ValueError(
            f"unknown shingle hash {hashfunc!r} (known: {', '.join(_SHINGLE_HASHES)}); "
            "a ledger made by a newer newscrawl needs that version"
        )


def signature_values(
    text: str,
    num_perm: int = NUM_PERM,
    k: int = SHINGLE_SIZE,
    *,
    scheme: str = DEFAULT_SCHEME,
    hashfunc: str = DEFAULT_HASHFUNC,
) -> np.ndarray:
    """The MinHash values of ``text`` as little-endian uint32 (what the ledger stores):
    equal to ``signature(text).hashvalues``, computed without datasketch's per-value work."""
    if k < 1:
        raise ValueError("k must be >= 1")
    _check_hashfunc(hashfunc)
    joined, count = _joined_words(text or "")
    return _signature_values(joined, count, k, num_perm, scheme, hashfunc)


def _lean(values: np.ndarray, scheme: str) -> LeanMinHash:
    kwargs = _scheme_kwargs(scheme)
    dtype = np.uint64 if scheme == "legacy" else np.uint32
    return _datasketch().LeanMinHash(seed=SEED, hashvalues=values.astype(dtype), **kwargs)


def signature(
    text: str,
    num_perm: int = NUM_PERM,
    k: int = SHINGLE_SIZE,
    *,
    scheme: str = DEFAULT_SCHEME,
    hashfunc: str = DEFAULT_HASHFUNC,
) -> LeanMinHash:
    """MinHash signature (datasketch's, seed 1) of the ``k``-word shingles of ``text``."""
    return _lean(signature_values(text, num_perm, k, scheme=scheme, hashfunc=hashfunc), scheme)


def estimated_similarity(
    a: str, b: str, num_perm: int = NUM_PERM, k: int = SHINGLE_SIZE, *,
    hashfunc: str = DEFAULT_HASHFUNC,
) -> float:
    """MinHash estimate of the Jaccard similarity of two bodies (what StoryIndex compares)."""
    return signature(a, num_perm, k, hashfunc=hashfunc).jaccard(
        signature(b, num_perm, k, hashfunc=hashfunc))


def jaccard(a: str, b: str, k: int = SHINGLE_SIZE) -> float:
    """Exact Jaccard similarity of the ``k``-word shingle sets of two bodies."""
    sa, sb = shingles(a, k), shingles(b, k)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def choose_rows(threshold: float, num_perm: int, min_recall: float = 0.99) -> int:
    """Rows per LSH band: the largest ``r`` for which a pair exactly at ``threshold``
    becomes a candidate with probability >= ``min_recall``."""
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must be between 0 and 1")
    best = 1
    for r in range(1, num_perm + 1):
        if 1.0 - (1.0 - threshold**r) ** (num_perm // r) >= min_recall:
            best = r
    return best


@lru_cache(maxsize=8)
def _band_prefixes(bands: int) -> tuple[bytes, ...]:
    return tuple(band.to_bytes(2, "little") for band in range(bands))


_BAND_SEED = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: spreads the band numbers


def _fmix64_band_keys(values: np.ndarray, rows: int) -> np.ndarray:
    """``fmix64`` band keys (int64) of signatures (the last axis), for one or many at once:
    band number and rows chained through MurmurHash3's 64-bit finaliser."""
    values = np.asarray(values).astype(np.uint64)
    bands = values.shape[-1] // rows
    grouped = values[..., : bands * rows].reshape(*values.shape[:-1], bands, rows)
    keys = _fmix64(np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SEED)
    for row in range(rows):
        keys = _fmix64(keys ^ grouped[..., row])
    return keys.view(np.int64)


def band_keys(
    hashvalues: np.ndarray, rows: int, band_hash: str = DEFAULT_BAND_HASH
) -> list[int]:
    """Signed 64-bit keys of a signature's LSH bands: ``fmix64`` (see above) or ``blake2b8``
    (BLAKE2b of band number + band values, the hash of indexes made before ``poly64``)."""
    if band_hash == "fmix64":
        return _fmix64_band_keys(hashvalues, rows).tolist()
    if band_hash != "blake2b8":
        raise ValueError(f"unknown band hash {band_hash!r}")
    raw = np.asarray(hashvalues).astype("<u4", copy=False).tobytes()
    step = 4 * rows
    blake2b = hashlib.blake2b
    digests = b"".join([
        blake2b(prefix + raw[band * step : (band + 1) * step], digest_size=8).digest()
        for band, prefix in enumerate(_band_prefixes(len(raw) // step))
    ])
    return np.frombuffer(digests, dtype="<i8").tolist()


class Unset:
    """The type of :data:`UNSET`: "not given", where ``None`` is a meaningful value."""


UNSET = Unset()


def _earlier_sharing_a_key(keys: Sequence[Sequence[int]]) -> dict[int, list[int]]:
    """For each position in ``keys`` (a batch's band keys), the earlier positions that share
    a band key with it: a sort of all the keys, not a dict entry per key (pairs are rare)."""
    sizes = [len(k) for k in keys]
    if sum(sizes) < 2:
        return {}
    flat = np.fromiter((key for row in keys for key in row), dtype=np.int64, count=sum(sizes))
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
    order = np.argsort(flat, kind="stable")  # equal keys keep their owners in batch order
    flat, owner = flat[order], owner[order]
    earlier: dict[int, set[int]] = {}
    run: list[int] = []
    last = -2
    for j in np.flatnonzero(flat[1:] == flat[:-1]).tolist():
        a, b = int(owner[j]), int(owner[j + 1])
        run = [*run, b] if j == last + 1 else [a, b]
        last = j
        if a != b:
            earlier.setdefault(b, set()).update(o for o in run[:-1] if o != b)
    return {i: sorted(found) for i, found in earlier.items()}


def story_id_for(record_id: str) -> str:
    """The story id a record founds: 16 hex digits of BLAKE2b(record id), stable across runs."""
    return hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).hexdigest()


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class SignatureSpec:
    """The parameters a story index makes its signatures with (see :attr:`StoryIndex.spec`)."""

    num_perm: int
    shingle_size: int
    scheme: str
    min_words: int
    hashfunc: str = DEFAULT_HASHFUNC

    def values(self, body: str) -> np.ndarray | None:
        """The body's MinHash values (little-endian uint32, as stored), or ``None`` when it is
        too short (< ``min_words``) to match."""
        joined, count = _joined_words(body or "")
        if count < self.min_words:
            return None
        return _signature_values(
            joined, count, self.shingle_size, self.num_perm, self.scheme, self.hashfunc
        )

    def values_many(self, bodies: Sequence[str]) -> list[np.ndarray | None]:
        """:meth:`values` of each body, the same values; for ``poly64`` under ``affine32``
        made for many bodies at once (numpy's per-call cost is paid per batch, not per body).
        """
        out: list[np.ndarray | None] = [None] * len(bodies)
        if self.hashfunc != "poly64" or self.scheme != "affine32":
            return [self.values(body) for body in bodies]
        group: list[tuple[int, bytes, int]] = []
        shingles = 0
        for i, body in enumerate(bodies):
            joined, count = _joined_words(body or "")
            if count < self.min_words:
                continue
            if not count:  # no words at all (min_words 0): no shingle to hash
                out[i] = _permuted_min(np.empty(0, np.uint32), self.num_perm, self.scheme)
                continue
            group.append((i, joined, count))
            shingles += count
            if shingles >= _CHUNK * 4:  # bounds the (permutations x shingles) temporary
                self._sign_group(group, out)
                group, shingles = [], 0
        if group:
            self._sign_group(group, out)
        return out

    def _sign_group(
        self, group: list[tuple[int, bytes, int]], out: list[np.ndarray | None]
    ) -> None:
        """poly64/affine32 signatures of the bodies in ``group`` (position, joined words, word
        count), into ``out``: their words joined into one text, whose shingles never cross
        from one body into the next, hashed and permuted together, then the minimum taken
        per body."""
        k = self.shingle_size
        joined = b" ".join(words for _, words, _ in group)
        starts, ends = _word_bounds(joined)
        per_body = np.array([count for _, _, count in group], dtype=np.int64)
        first_word = np.cumsum(per_body) - per_body
        counts = np.maximum(per_body - k + 1, 1)  # shorter than k words: one shingle
        offsets = np.cumsum(counts) - counts
        shingle_first = np.repeat(first_word, counts) + (
            np.arange(int(counts.sum())) - np.repeat(offsets, counts))
        shingle_last = np.minimum(shingle_first + k - 1,
                                  np.repeat(first_word + per_body - 1, counts))
        hashes = _fmix32(_poly64_hashes(joined, starts[shingle_first], ends[shingle_last]))
        a32, b32 = _typed_permutations(self.num_perm, self.scheme, np.uint32)
        minima = np.empty((len(group), self.num_perm), dtype="<u4")
        # _PERM_BLOCK permutations at a time: their (permutations x shingles) values stay in
        # the CPU cache between the multiply, the add and the minimum (all 128 at once, ~8 MB,
        # would go out to memory three times: 1.7x slower)
        permuted = np.empty((_PERM_BLOCK, len(hashes)), dtype=np.uint32)
        for first in range(0, self.num_perm, _PERM_BLOCK):
            block = slice(first, first + _PERM_BLOCK)
            rows = permuted[: len(a32[block])]
            np.multiply(a32[block, None], hashes, out=rows)  # wraps mod 2**32, as datasketch's
            rows += b32[block, None]
            minima[:, block] = np.minimum.reduceat(rows, offsets, axis=1).T
        for (i, _, _), row in zip(group, minima, strict=True):
            out[i] = row


# A batch of this many records or more is signed in a worker process while this one matches
# it: a thread shares the GIL with the matching (Python) and so used ~1.25 cores; a process uses
# two (news-length bodies, 100,000 stored: 6,158 assigns/s, 5,294 with the thread). The worker
# starts once (~0.3 s) and serves every later batch of two parts or more.
_PROCESS_FROM = 2000
_signing_pool: ProcessPoolExecutor | None = None


class _Signer:
    """Signs the parts of one long batch beside the matching: in the worker process when it
    pays (``_PROCESS_FROM``, more than one core), else in a thread. A worker that dies is
    replaced by the thread for the rest of the batch (and a new worker for the next one)."""

    def __init__(self, spec: SignatureSpec, records: int) -> None:
        self.spec = spec
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="story-signatures")
        self.pool = _signing_pool
        if self.pool is None and records >= _PROCESS_FROM and (os.cpu_count() or 1) > 1:
            self.pool = _start_signing_pool()

    def __enter__(self) -> _Signer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.shutdown()

    def submit(self, bodies: list[str]) -> tuple[Future[list[np.ndarray | None]], list[str]]:
        if self.pool is not None:
            try:
                return self.pool.submit(self.spec.values_many, bodies), bodies
            except BrokenProcessPool:
                self._lose_pool()
        return self.thread.submit(self.spec.values_many, bodies), bodies

    def result(
        self, signing: tuple[Future[list[np.ndarray | None]], list[str]]
    ) -> list[np.ndarray | None]:
        future, bodies = signing
        try:
            return future.result()
        except BrokenProcessPool:  # the worker was killed: sign here, and go on without it
            self._lose_pool()
            return self.spec.values_many(bodies)

    def _lose_pool(self) -> None:
        global _signing_pool
        logger.warning("story signing worker lost; signing in this process for this batch")
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = _signing_pool = None


def _start_signing_pool() -> ProcessPoolExecutor:
    global _signing_pool
    from newscrawl.workers import forkserver_pool

    _signing_pool = forkserver_pool(1)  # the worker watches this process
    return _signing_pool


@dataclass(frozen=True, slots=True)
class StoryMatch:
    """Where a record landed.

    ``story_id``: its story; ``duplicate_of``: the story's first record (``None`` when this
    record founded the story); ``similarity``: estimated Jaccard similarity with the record
    it matched (``None`` when it founded the story).
    """

    story_id: str
    duplicate_of: str | None
    similarity: float | None

    @property
    def is_new_story(self) -> bool:
        """True when the record founded its story."""
        return self.duplicate_of is None


class StoryIndex:
    """Assigns ``story_id`` / ``duplicate_of``, keeping its LSH index in a :class:`Ledger`.

    The MinHash parameters are stored in the ledger on first use; reopening with a
    different ``num_perm`` or ``shingle_size`` raises ``ValueError`` (signatures would not
    be comparable). The banding is kept from the first use too, so ``threshold`` can be
    changed later: it only affects verification.
    """

    def __init__(
        self,
        ledger: Ledger,
        threshold: float = THRESHOLD,
        num_perm: int = NUM_PERM,
        shingle_size: int = SHINGLE_SIZE,
        *,
        min_words: int = MIN_WORDS,
        candidate_limit: int = _CANDIDATE_LIMIT,
        hashfunc: str = DEFAULT_HASHFUNC,
    ) -> None:
        """``hashfunc``: the shingle hash of a new index (``poly64``, or ``sha1_hash32`` for
        datasketch's own signatures); an index made earlier keeps the one it was made with."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.ledger = ledger
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_words = min_words
        self.candidate_limit = candidate_limit
        params: dict[str, Any] = {
            "num_perm": num_perm,
            "shingle_size": shingle_size,
            "seed": SEED,
            "normalize": "nfc-lower-nopunct",
        }
        # Kept from the first use, whatever is asked later: the banding (so ``threshold`` can
        # change), the permutation scheme and the two hashes.
        kept = ("rows", "scheme", "hashfunc", "band_hash")
        stored = ledger.get_meta(_META_KEY)
        if stored is None:
            _check_hashfunc(hashfunc)
            params.update(
                rows=choose_rows(min(threshold, 0.99), num_perm), scheme=DEFAULT_SCHEME,
                hashfunc=hashfunc, band_hash=_BAND_HASH_OF[hashfunc],
            )
            ledger.set_meta(_META_KEY, json.dumps(params, sort_keys=True))
        else:
            old = json.loads(stored)
            first = {name: old.pop(name) for name in kept}
            if old != params:
                raise ValueError(
                    f"story index in {ledger.path} was built with {old}, not {params}; "
                    "rebuild it (StoryIndex.reconcile over the store into a fresh ledger)"
                )
            _scheme_kwargs(first["scheme"])  # raises if this datasketch cannot make them
            _check_hashfunc(first["hashfunc"])
            if first["band_hash"] not in _BAND_HASH_OF.values():
                raise ValueError(f"story index in {ledger.path} has band keys of an unknown "
                                 f"hash {first['band_hash']!r}; a newer newscrawl made it")
            params.update(first)
        self.rows: int = params["rows"]
        self.scheme: str = params["scheme"]
        self.hashfunc: str = params["hashfunc"]
        self.band_hash: str = params["band_hash"]
        self.bands = num_perm // self.rows
        self._spec = SignatureSpec(num_perm, shingle_size, self.scheme, min_words, self.hashfunc)

    def signature(self, body: str) -> LeanMinHash | None:
        """The body's MinHash, or ``None`` when it is too short (< ``min_words``) to match."""
        values = self.signature_values(body)
        return None if values is None else _lean(values, self.scheme)

    @property
    def spec(self) -> SignatureSpec:
        """How this index makes signatures (picklable: worker processes make them too)."""
        return self._spec

    def signature_values(self, body: str) -> np.ndarray | None:
        """The body's MinHash values (little-endian uint32, as stored), or ``None`` when it is
        too short (< ``min_words``) to match."""
        return self._spec.values(body)

    def band_keys(self, values: np.ndarray) -> list[int]:
        """The LSH band keys of a signature, as this index stores and looks them up."""
        return band_keys(values, self.rows, self.band_hash)

    def get(self, record_id: str) -> StoryMatch | None:
        """The assignment made earlier for ``record_id``, if any."""
        member = self.ledger.story_member(record_id)
        if member is None:
            return None
        return StoryMatch(member.story_id, member.duplicate_of, member.similarity)

    def assign(
        self,
        record_id: str,
        body: str,
        published_at: str | None = None,
        *,
        values: np.ndarray | None | Unset = UNSET,
    ) -> StoryMatch:
        """Put ``record_id`` in the story of its most similar earlier record (Jaccard estimate
        >= threshold), or let it found a new story.

        ``values``: the body's signature when it was already made (``signature_values(body)``,
        e.g. in a worker process); by default it is made here.
        Idempotent: a record assigned before keeps its assignment (later versions too).
        """
        # The signature is made before the transaction, which it would otherwise hold for most
        # of the call. A record assigned before is found inside (the dedupe stage only calls
        # this for new records, so asking first as well would cost every call a query).
        if isinstance(values, Unset):
            values = self.signature_values(body)
        keys = [] if values is None else self.band_keys(values)
        # One write transaction (BEGIN IMMEDIATE): lookup and insert see one state, also
        # when several crawler processes share the ledger.
        with self.ledger.batch():
            previous = self.get(record_id)
            if previous is not None:
                return previous
            match = self._match(values, keys) if values is not None else None
            if match is None:
                match = StoryMatch(story_id_for(record_id), None, None)
            self.ledger.add_story_member(
                record_id,
                match.story_id,
                match.duplicate_of,
                match.similarity,
                published_at,
                None if values is None else values.tobytes(),
                keys,
            )
        return match

    def assign_many(
        self,
        records: Sequence[tuple[str, str, str | None]],
        *,
        values: Sequence[np.ndarray | None] | None = None,
    ) -> list[StoryMatch]:
        """:meth:`assign` for each ``(record_id, body, published_at)``, in order, in one write
        transaction; returns their matches. The same matches as one call each (a record is
        matched against the records before it in the batch too), for one lookup of the whole
        batch's band keys and one bulk insert instead of a transaction per record: what a
        backfill or a rebuild should use. ``values``: the bodies' signatures, when made.

        A long batch is taken ``_SIGN_BATCH`` records at a time, the signatures of the next
        part made while this part is matched and written: in a worker process from
        ``_PROCESS_FROM`` records on (see :class:`_Signer`), else in a thread, so the signatures
        use a second core.
        """
        if values is not None:
            if len(values) != len(records):
                raise ValueError(f"{len(values)} signatures for {len(records)} records")
            return self._assign_part(records, values)
        parts = [records[i : i + _SIGN_BATCH] for i in range(0, len(records), _SIGN_BATCH)]
        if len(parts) <= 1:
            return self._assign_part(records, self._spec.values_many([b for _, b, _ in records]))
        matches: list[StoryMatch] = []
        with self.ledger.batch(), _Signer(self._spec, len(records)) as signer:
            signing = signer.submit([b for _, b, _ in parts[0]])
            for n, part in enumerate(parts):
                made = signer.result(signing)
                if n + 1 < len(parts):
                    signing = signer.submit([b for _, b, _ in parts[n + 1]])
                matches += self._assign_part(part, made)
        return matches

    def _assign_part(
        self, records: Sequence[tuple[str, str, str | None]], values: Sequence[np.ndarray | None]
    ) -> list[StoryMatch]:
        """:meth:`assign_many` of records whose signatures are made."""
        keys = self._band_keys_of(values)
        matches: list[StoryMatch] = []
        with self.ledger.batch():
            earlier = self.ledger.story_members(record_id for record_id, _, _ in records)
            todo = [
                i for i, (record_id, _, _) in enumerate(records)
                if record_id not in earlier and values[i] is not None
            ]
            found = self.ledger.story_candidates_many([keys[i] for i in todo],
                                                      self.candidate_limit)
            from_ledger = dict(zip(todo, found, strict=True))
            sharing = _earlier_sharing_a_key(keys)
            # This batch's members so far, as a lookup of the ledger would find them.
            batch_members: dict[int, StoryMember] = {}
            assigned: dict[str, StoryMatch] = {}
            new: list[tuple[NewStoryMember, Sequence[int]]] = []
            for i, (record_id, _body, published_at) in enumerate(records):
                if record_id in assigned:  # twice in the batch
                    matches.append(assigned[record_id])
                    continue
                stored = earlier.get(record_id)
                if stored is not None:
                    matches.append(StoryMatch(stored.story_id, stored.duplicate_of,
                                              stored.similarity))
                    continue
                value = values[i]
                match = None
                if value is not None:
                    candidates = from_ledger[i]
                    in_batch = [batch_members[j] for j in sharing.get(i, ()) if j in batch_members]
                    if in_batch:
                        candidates = self._top_candidates(value, candidates, in_batch)
                    match = self._best_match(value, candidates)
                if match is None:
                    match = StoryMatch(story_id_for(record_id), None, None)
                assigned[record_id] = match
                matches.append(match)
                signature = None if value is None else value.tobytes()
                new.append((NewStoryMember(record_id, match.story_id, match.duplicate_of,
                                           match.similarity, published_at, signature), keys[i]))
                if value is not None:
                    batch_members[i] = StoryMember(_IN_BATCH + i, record_id, match.story_id,
                                                   match.duplicate_of, match.similarity,
                                                   published_at, signature)
            self.ledger.add_story_members(new)
        return matches

    def _band_keys_of(self, values: Sequence[np.ndarray | None]) -> list[list[int]]:
        """The band keys of each signature (none for a body too short to match)."""
        keys: list[list[int]] = [[] for _ in values]
        signed = [i for i, value in enumerate(values) if value is not None]
        if signed and self.band_hash == "fmix64":  # every band of every signature at once
            matrix = np.stack([values[i] for i in signed])  # type: ignore[misc]
            for i, row in zip(signed, _fmix64_band_keys(matrix, self.rows).tolist(),
                              strict=True):
                keys[i] = row
        else:
            for i in signed:
                keys[i] = self.band_keys(values[i])  # type: ignore[arg-type]
        return keys

    def _top_candidates(
        self, values: np.ndarray, stored: list[StoryMember], in_batch: Iterable[StoryMember]
    ) -> list[StoryMember]:
        """The ledger's candidates and the batch's, ranked as one lookup ranks them (most
        shared bands, then newest), cut to ``candidate_limit``."""
        candidates = [c for c in (*stored, *in_batch) if c.signature]
        matrix = np.frombuffer(b"".join(c.signature for c in candidates if c.signature),
                               dtype="<u4").reshape(len(candidates), self.num_perm)
        width = self.bands * self.rows
        equal = matrix[:, :width].reshape(len(candidates), self.bands, self.rows) == (
            values[:width].reshape(self.bands, self.rows))
        shared = equal.all(axis=2).sum(axis=1).tolist()
        order = sorted(range(len(candidates)), key=lambda j: (shared[j], candidates[j].member),
                       reverse=True)
        return [candidates[j] for j in order[: self.candidate_limit]]

    def _match(self, values: np.ndarray, keys: list[int]) -> StoryMatch | None:
        return self._best_match(values, self.ledger.story_candidates(keys, self.candidate_limit))

    def _best_match(
        self, values: np.ndarray, candidates: Sequence[StoryMember]
    ) -> StoryMatch | None:
        """The match with the most similar candidate at or above the threshold, if any."""
        candidates = [c for c in candidates if c.signature]
        if not candidates:
            return None
        blob = b"".join(c.signature for c in candidates if c.signature)
        matrix = np.frombuffer(blob, dtype="<u4").reshape(len(candidates), self.num_perm)
        # The same estimate as datasketch's MinHash.jaccard: the share of equal values.
        sims = (matrix == values).mean(axis=1)
        best: tuple[float, int] | None = None  # (similarity, -member): older wins a tie
        best_cand = None
        for cand, sim in zip(candidates, sims.tolist(), strict=True):
            if sim >= self.threshold and (best is None or (sim, -cand.member) > best):
                best, best_cand = (sim, -cand.member), cand
        if best is None or best_cand is None:
            return None
        return StoryMatch(
            best_cand.story_id, best_cand.duplicate_of or best_cand.record_id, round(best[0], 4)
        )

    def reconcile(
        self,
        records: Iterable[dict[str, Any]],
        *,
        batch_size: int = 1000,
        matchable_since: datetime | None = None,
    ) -> int:
        """Add store records missing from the index; returns how many were added.

        ``records`` are store lines (``id``, ``body``, ``story_id``, ``duplicate_of``,
        ``published_at``, ``crawled_at``). The store is the truth: a record carrying a
        ``story_id`` keeps it (and its ``duplicate_of``); one without is assigned as new.
        Both kinds are written ``batch_size`` at a time, in store order: a bulk insert for
        those that keep their story, :meth:`assign_many` for those to assign, each matched
        against every earlier record, as in a crawl. With ``matchable_since``, a record that keeps its story and was
        stored before then joins the index as :meth:`prune` leaves a record, without a
        signature: a ledger rebuilt from years of records signs only the story window's
        (and old records do not become matchable again for another window).
        """
        added = 0
        for chunk in _chunks(records, batch_size):
            with self.ledger.batch():
                known = self.ledger.story_members(rec["id"] for rec in chunk if rec.get("id"))
                # Runs of records that keep their story (signed together, one bulk insert) and
                # of records to assign (a batch), written in store order: each record is
                # matched against every record before it, as in a crawl.
                keeping: list[tuple[dict[str, Any], bool]] = []  # (record, signed)
                assigning: list[tuple[str, str, str | None]] = []
                queued: set[str] = set()
                for rec in chunk:
                    record_id = rec.get("id")
                    if not record_id or record_id in queued or record_id in known:
                        continue
                    queued.add(record_id)
                    body = rec.get("body") or ""
                    if not rec.get("story_id"):
                        added += self._keep(keeping)
                        keeping = []
                        assigning.append((record_id, body, rec.get("published_at")))
                        continue
                    if assigning:
                        added += len(self.assign_many(assigning))
                        assigning = []
                    stored = parse_iso(rec.get("crawled_at"))
                    old = matchable_since is not None and stored is not None and (
                        stored < matchable_since)
                    keeping.append((rec, not old))
                added += self._keep(keeping)
                if assigning:
                    added += len(self.assign_many(assigning))
        return added

    def _keep(self, keeping: list[tuple[dict[str, Any], bool]]) -> int:
        """Insert store records that keep their story (and ``duplicate_of``), the ``signed``
        ones with their signatures and band keys, all made at once; how many were added."""
        if not keeping:
            return 0
        made = iter(self._spec.values_many(
            [rec.get("body") or "" for rec, sign in keeping if sign]))
        values = [next(made) if sign else None for _rec, sign in keeping]
        keys = self._band_keys_of(values)
        members = [
            (NewStoryMember(rec["id"], rec["story_id"], rec.get("duplicate_of"), None,
                            rec.get("published_at"),
                            None if value is None else value.tobytes()), member_keys)
            for (rec, _sign), value, member_keys in zip(keeping, values, keys, strict=True)
        ]
        return self.ledger.add_story_members(members)

    def prune(self, assigned_before: datetime) -> int:
        """Stop matching against records assigned before ``assigned_before``; frees their band
        keys and signatures on disk (they keep their story). Returns how many were pruned."""
        return self.ledger.prune_story_bands(assigned_before)
