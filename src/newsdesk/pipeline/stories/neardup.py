"""Near-duplicate folding: syndicated wire copy and lightly edited reprints (issue 3 §2).

Exact duplicates (same canonical URL or same words) are caught by :mod:`~newsdesk.pipeline.feed.dedup`
at ingestion. This stage catches what differs a little: a wire story carried by five papers,
each changing a headline, swapping a few words, cutting the last sentence. Each such group is
folded under one *primary* — the earliest published article, ties broken by id — and the others
are listed as its copies ("also in …").

How:

* **Signature** (:func:`signature`): the text's word 3-shingles (lower-cased, punctuation
  dropped; character 5-shingles for scripts written without spaces) are MinHashed with
  ``NUM_PERM`` hash functions ``a·x + b mod 2³²``, and the low 16 bits of each minimum are kept
  (b-bit MinHash: two different minima agree by chance once in 65,536, a negligible bias).
  The signature also records the number of distinct shingles, so that containment can be
  estimated beside Jaccard similarity. 515 bytes per article, stored with it, so the index
  can be rebuilt without re-reading texts. Only the first ``MAX_WORDS`` words count: an
  article and its longer page version still share their lead, and the cost stays bounded.
* **Candidates**: locality-sensitive hashing over ``BANDS`` bands of ``ROWS`` values; two
  articles become candidates when one band agrees. With 42 bands of 3, a pair with Jaccard
  0.45 is found with probability 0.98, 0.5 with 0.996, 0.6 with 0.99996.
* **Verification** keeps precision: a candidate pair is folded only if its estimated
  Jaccard similarity (over all 256 values: ±0.03) is at least ``min_jaccard`` (0.5: about
  one word in ten changed throughout), or at least ``min_jaccard_contained`` (0.4) with an
  estimated containment (shared shingles over the smaller set) of ``min_containment`` (0.75).
  Containment is what tells a copy with its last sentences cut (Jaccard can fall to 0.45)
  from two unrelated articles that share a paragraph of boilerplate (containment near one
  half). A new article joins the group of the article it matches; two groups merge only if
  their primaries match each other as well, so one article cannot chain unrelated ones.
* **Window**: only articles published within ``window`` of each other are compared, and
  :meth:`NearDupIndex.expire` forgets those older than ``now - window``: memory is bounded by
  the window, not by history.

The thresholds were set on the shared bench corpus (``bench/neardup.py``), whose generated
text makes unrelated articles share long verbatim stretches far more often than news does: at
5,000 feeds its copy pairs have estimated Jaccard ≥ 0.40 and containment ≥ 0.76, while its
unrelated candidate pairs reach Jaccard 0.41 and containment 0.74 (never both above the rule).

The index is a plain in-memory structure: band keys in one sorted NumPy array plus a small
buffer of recent keys merged into it now and then. An article costs about 2.5 KB while it is
held (its signature, 42 band keys, its id and the arrays' headroom; 80 MB for 34,500 articles).
It decides and returns :class:`FoldDecision` intents; storing them is the caller's job.

Known limits: a text much shorter than its copy (a feed summary against the full page) has a
low Jaccard similarity and is not found; a short text made only of boilerplate, arriving
*before* the articles that contain it, can gather them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

NUM_PERM = 256  # MinHash values per signature
BANDS = 42  # LSH bands …
ROWS = 3  # … of this many values each (the first BANDS * ROWS of the NUM_PERM)
SHINGLE_WORDS = 3
SHINGLE_CHARS = 5  # for scripts without spaces between words (Chinese, Japanese, Thai)
MAX_WORDS = 500  # the lead decides; longer texts are cut here
MIN_SHINGLES = 8  # less text than this (about ten words) cannot be told apart from chance
SIGNATURE_VERSION = 1
_HEADER = 3  # version byte + uint16 shingle count
SIGNATURE_BYTES = _HEADER + 2 * NUM_PERM

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
U16 = npt.NDArray[np.uint16]

# Fixed constants, drawn from SHAKE-256 of a label: a signature must mean the same thing in
# every process, on every platform and in every release (SIGNATURE_VERSION changes with them).
_BYTES = hashlib.shake_256(b"newsdesk near-duplicate signature v1").digest(8 * NUM_PERM + 8 * BANDS)
_MUL = np.frombuffer(_BYTES, dtype="<u4", count=NUM_PERM).astype(np.uint32) | np.uint32(1)  # odd
_ADD = np.frombuffer(_BYTES, dtype="<u4", count=NUM_PERM, offset=4 * NUM_PERM).astype(np.uint32)
_BAND_SALT = np.frombuffer(_BYTES, dtype="<u8", count=BANDS, offset=8 * NUM_PERM).astype(np.uint64)
_SHINGLE_MUL = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
del _BYTES

# Lower-case ASCII letters and digits survive; everything else separates words.
_ASCII_WORDS = bytes.maketrans(
    bytes(range(65, 91)) + bytes(c for c in range(128) if not chr(c).isalnum()),
    bytes(range(97, 123)) + b" " * sum(1 for c in range(128) if not chr(c).isalnum()),
)


_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text``; None when it is too short to compare safely."""
    shingles = _shingles(text)
    if shingles is None:
        return None
    return _pack(_minhash_many([shingles])[0], len(shingles))


def signatures(texts: Sequence[str]) -> list[bytes | None]:
    """:func:`signature` of many texts at once (the hashing is vectorised over the batch)."""
    sets = [_shingles(t) for t in texts]
    present = [s for s in sets if s is not None]
    if not present:
        return [None] * len(texts)
    mins = _minhash_many(present)
    out: list[bytes | None] = []
    k = 0
    for s in sets:
        if s is None:
            out.append(None)
        else:
            out.append(_pack(mins[k], len(s)))
            k += 1
    return out


def is_current(sig: bytes) -> bool:
    """Whether ``sig`` was made by this version of :func:`signature` (else recompute it)."""
    return len(sig) == SIGNATURE_BYTES and sig[0] == SIGNATURE_VERSION


def estimate_similarity(a: bytes, b: bytes) -> tuple[float, float]:
    """(estimated Jaccard similarity, estimated containment) of two signatures."""
    (na, va), (nb, vb) = _unpack(a), _unpack(b)
    j = float(np.count_nonzero(va == vb)) / NUM_PERM
    return j, _containment_of(j, na, nb)


@dataclass(frozen=True, slots=True)
class NearDupDoc:
    """What folding needs to know about an article.

    ``published`` is the publication time, or the time it was first seen when the feed gives
    none: it decides which copy is the primary and which articles are compared at all.
    """

    id: str
    published: datetime
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class FoldDecision:
    """Intent: ``article_id`` is a copy of ``primary_id`` (None: it is a primary or stands alone).

    Emitted for every new article, and again for every held article whose primary changes
    (an earlier copy arrived late, or two groups were joined by a new copy).
    """

    article_id: str
    primary_id: str | None


@dataclass(slots=True)
class _Group:
    primary: str
    primary_key: tuple[float, str]  # (published timestamp, id): the smallest member ever seen
    primary_sig: U16  # the primary's MinHash values, kept after it leaves the window
    primary_size: int
    members: list[int]  # slots of the members still held (an article matching no other has no group)


class NearDupIndex:
    """Signatures of the articles of a sliding time window, grouped into copies of each other.

    Not thread-safe: one writer owns it (the enrichment pass), as with the database.
    """

    def __init__(
        self,
        *,
        window: timedelta = timedelta(days=3),
        min_jaccard: float = 0.5,
        min_jaccard_contained: float = 0.4,
        min_containment: float = 0.75,
    ) -> None:
        self.window = window
        self.min_jaccard = min_jaccard
        self.min_jaccard_contained = min_jaccard_contained
        self.min_containment = min_containment
        cap = 1024
        self._sigs = np.zeros((cap, NUM_PERM), dtype=np.uint16)
        self._sizes = np.zeros(cap, dtype=np.int32)
        self._times = np.zeros(cap, dtype=np.float64)
        self._alive = np.zeros(cap, dtype=bool)
        self._group = np.full(cap, -1, dtype=np.int64)
        self._ids: list[str] = []
        self._n = 0  # slots used (alive or dead)
        self._slot_of: dict[str, int] = {}
        self._groups: dict[int, _Group] = {}
        self._next_group = 0
        # LSH table: band keys sorted (main) plus a buffer of recent ones merged in now and then.
        self._keys = np.zeros(0, dtype=np.uint64)
        self._key_slots = np.zeros(0, dtype=np.int64)
        self._recent: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._slot_of

    @classmethod
    def rebuild(
        cls,
        docs: Iterable[NearDupDoc],
        *,
        window: timedelta = timedelta(days=3),
        min_jaccard: float = 0.5,
        min_jaccard_contained: float = 0.4,
        min_containment: float = 0.75,
    ) -> NearDupIndex:
        """An index holding ``docs`` (e.g. the window's stored signatures), grouped as live adds would.

        Docs are replayed in publication order, so every group gets the primary it had when
        its copies arrived one by one.
        """
        index = cls(
            window=window,
            min_jaccard=min_jaccard,
            min_jaccard_contained=min_jaccard_contained,
            min_containment=min_containment,
        )
        ordered = sorted(docs, key=lambda d: (d.published.timestamp(), d.id))
        for start in range(0, len(ordered), 1000):
            index.add(ordered[start : start + 1000])
        return index

    def primary_of(self, article_id: str) -> str | None:
        """The primary of a held article (None if it is one, stands alone or is not held)."""
        slot = self._slot_of.get(article_id)
        if slot is None:
            return None
        g = int(self._group[slot])
        if g < 0:
            return None
        primary = self._groups[g].primary
        return None if primary == article_id else primary

    def add(self, docs: Iterable[NearDupDoc]) -> list[FoldDecision]:
        """Hold ``docs`` and fold each under its primary; return the decisions to store.

        One decision per new doc (ids already held are answered with their current primary,
        so a rerun after a crash gives the same intents), then one per held article whose
        primary changed. Docs without a signature (too little text), or with one of another
        ``SIGNATURE_VERSION`` (see :func:`is_current`), are not held and stand alone.
        """
        batch: list[NearDupDoc] = []
        seen: dict[str, None] = {}  # the docs' ids, in their order
        for d in docs:
            if d.id in seen:
                continue
            seen[d.id] = None
            if d.signature is None or d.id in self._slot_of or not is_current(d.signature):
                continue
            batch.append(d)
        changed: set[str] = set()
        if batch:
            slots = self._append(batch)
            keys = _band_keys(self._sigs[slots])  # (len(batch), BANDS)
            pairs = self._candidates(slots, keys)
            self._insert_keys(slots, keys)
            changed = self._fold(slots, pairs)
        out = [FoldDecision(i, self.primary_of(i)) for i in seen]
        out.extend(FoldDecision(a, self.primary_of(a)) for a in sorted(changed.difference(seen)))
        return out

    def expire(self, now: datetime) -> int:
        """Forget articles published before ``now - window``; return how many were dropped."""
        cutoff = (now - self.window).timestamp()
        n = self._n
        old = self._alive[:n] & (self._times[:n] < cutoff)
        dropped = np.flatnonzero(old)
        if not len(dropped):
            return 0
        self._alive[dropped] = False
        for s in dropped.tolist():
            del self._slot_of[self._ids[s]]
            g = int(self._group[s])
            if g >= 0:
                group = self._groups[g]
                group.members.remove(s)
                if not group.members:
                    del self._groups[g]
        if self._alive[:n].sum() * 2 < n:
            self._compact()
        return len(dropped)

    # -- internals -----------------------------------------------------------------------

    def _append(self, batch: list[NearDupDoc]) -> npt.NDArray[np.int64]:
        m = len(batch)
        need = self._n + m
        if need > len(self._alive):
            self._grow(max(need, 2 * len(self._alive)))
        slots = np.arange(self._n, need, dtype=np.int64)
        for s, d in zip(slots.tolist(), batch, strict=True):
            assert d.signature is not None
            size, values = _unpack(d.signature)
            self._sigs[s] = values
            self._sizes[s] = size
            self._times[s] = d.published.timestamp()
            self._ids.append(d.id)
            self._slot_of[d.id] = s
        self._alive[slots] = True
        self._group[slots] = -1
        self._n = need
        return slots

    def _grow(self, cap: int) -> None:
        self._sigs = _grown(self._sigs, cap, 0)
        self._sizes = _grown(self._sizes, cap, 0)
        self._times = _grown(self._times, cap, 0.0)
        self._alive = _grown(self._alive, cap, False)
        self._group = _grown(self._group, cap, -1)

    def _candidates(self, slots: npt.NDArray[np.int64], keys: U64) -> npt.NDArray[np.int64]:
        """Pairs (new slot, other slot) sharing a band key, other < new, within the window."""
        m = len(slots)
        flat = keys.ravel()
        owner = np.repeat(slots, BANDS)
        found_new: list[npt.NDArray[np.int64]] = []
        found_old: list[npt.NDArray[np.int64]] = []
        # 1. the sorted main table
        if len(self._keys):
            lo = np.searchsorted(self._keys, flat, side="left")
            hi = np.searchsorted(self._keys, flat, side="right")
            hits = np.flatnonzero(hi > lo)
            if len(hits):
                counts = hi[hits] - lo[hits]
                starts = np.repeat(lo[hits] - np.cumsum(counts) + counts, counts)
                pos = starts + np.arange(int(counts.sum()))
                found_new.append(np.repeat(owner[hits], counts))
                found_old.append(self._key_slots[pos])
        # 2. the recent buffer
        if self._recent:
            recent = self._recent
            qs: list[int] = []
            os_: list[int] = []
            for k, s in zip(flat.tolist(), owner.tolist(), strict=True):
                hit = recent.get(k)
                if hit is not None:
                    qs.extend([s] * len(hit))
                    os_.extend(hit)
            if qs:
                found_new.append(np.asarray(qs, dtype=np.int64))
                found_old.append(np.asarray(os_, dtype=np.int64))
        # 3. within the batch: equal keys among the new docs
        if m > 1:
            order = np.argsort(flat, kind="stable")
            sk = flat[order]
            same = np.flatnonzero(sk[1:] == sk[:-1])
            if len(same):
                # every run of equal keys: pair each member with the run's first (enough to connect them)
                run_start = np.maximum.accumulate(np.where(np.r_[True, sk[1:] != sk[:-1]], np.arange(len(sk)), 0))
                a = owner[order[same + 1]]
                b = owner[order[run_start[same + 1]]]
                found_new.append(np.maximum(a, b))
                found_old.append(np.minimum(a, b))
        if not found_new:
            return np.zeros((0, 2), dtype=np.int64)
        pairs = np.stack([np.concatenate(found_new), np.concatenate(found_old)], axis=1)
        pairs = pairs[(pairs[:, 0] != pairs[:, 1]) & self._alive[pairs[:, 1]]]
        pairs = np.unique(pairs, axis=0)
        close = np.abs(self._times[pairs[:, 0]] - self._times[pairs[:, 1]]) <= self.window.total_seconds()
        return pairs[close]

    def _insert_keys(self, slots: npt.NDArray[np.int64], keys: U64) -> None:
        recent = self._recent
        for s, row in zip(slots.tolist(), keys.tolist(), strict=True):
            for k in row:
                hit = recent.get(k)
                if hit is None:
                    recent[k] = [s]
                else:
                    hit.append(s)
        if len(recent) > max(50_000, len(self._keys) // 8):
            self._merge_recent()

    def _merge_recent(self) -> None:
        ks: list[int] = []
        ss: list[int] = []
        for k, hit in self._recent.items():
            ks.extend([k] * len(hit))
            ss.extend(hit)
        self._recent = {}
        keys = np.concatenate([self._keys, np.asarray(ks, dtype=np.uint64)])
        owners = np.concatenate([self._key_slots, np.asarray(ss, dtype=np.int64)])
        keep = self._alive[owners]
        keys, owners = keys[keep], owners[keep]
        order = np.argsort(keys, kind="stable")
        self._keys, self._key_slots = keys[order], owners[order]

    def _fold(self, slots: npt.NDArray[np.int64], pairs: npt.NDArray[np.int64]) -> set[str]:
        """Verify candidate pairs and group them; return the ids of held articles whose primary changed.

        Verified pairs are taken strongest first. A new article joins the group of the article
        it matches; two existing groups are merged only if their primaries are near-duplicates
        of each other too, so one article that matches two unrelated ones (a short text made
        mostly of shared boilerplate) cannot chain them together.
        """
        changed: set[str] = set()
        if not len(pairs):
            return changed
        a, b = pairs[:, 0], pairs[:, 1]
        j = np.count_nonzero(self._sigs[a] == self._sigs[b], axis=1) / NUM_PERM
        c = _containment(j, self._sizes[a], self._sizes[b])
        ok = np.flatnonzero((j >= self.min_jaccard) | ((j >= self.min_jaccard_contained) & (c >= self.min_containment)))
        order = ok[np.lexsort((b[ok], a[ok], -j[ok]))]
        fresh = set(slots.tolist())  # new articles not yet placed in a group by a stronger pair
        for x, y in pairs[order].tolist():
            gx, gy = int(self._group[x]), int(self._group[y])
            if gx >= 0 and gx == gy:
                continue
            if x in fresh or y in fresh:
                # a new article joins what it matches (verified just now)
                fresh.discard(x)
                fresh.discard(y)
                if gx < 0 and gy < 0:
                    changed |= self._new_group([x, y])
                else:
                    changed |= self._enter(gx, y) if gx >= 0 else self._enter(gy, x)
            elif self._similar(x, y):
                # both already placed: their groups' primaries must agree too
                changed |= self._merge(x, y)
        return changed

    def _new_group(self, members: list[int]) -> set[str]:
        """Group articles that stood alone; return the ids that now have a primary."""
        g = self._next_group
        self._next_group += 1
        first = min(members, key=self._key_of)
        self._groups[g] = _Group(
            primary=self._ids[first],
            primary_key=self._key_of(first),
            primary_sig=self._sigs[first].copy(),
            primary_size=int(self._sizes[first]),
            members=members,
        )
        self._group[members] = g
        return {self._ids[s] for s in members if s != first}

    def _key_of(self, slot: int) -> tuple[float, str]:
        return (float(self._times[slot]), self._ids[slot])

    def _enter(self, g: int, slot: int) -> set[str]:
        """Add ``slot`` (standing alone until now) to group ``g``; return the ids whose primary changed.

        That is ``slot`` itself, or, if it is the group's earliest article, every other member.
        """
        group = self._groups[g]
        changed = {self._ids[slot]}
        key = self._key_of(slot)
        if key < group.primary_key:
            changed = {self._ids[s] for s in group.members}
            group.primary, group.primary_key = self._ids[slot], key
            group.primary_sig, group.primary_size = self._sigs[slot].copy(), int(self._sizes[slot])
        group.members.append(slot)
        self._group[slot] = g
        return changed

    def _primary_signature(self, slot: int) -> tuple[U16, int]:
        """The MinHash values and size of the primary of ``slot``'s group (its own if it has none)."""
        g = int(self._group[slot])
        if g < 0:
            return self._sigs[slot], int(self._sizes[slot])
        group = self._groups[g]
        return group.primary_sig, group.primary_size

    def _similar(self, x: int, y: int) -> bool:
        (vx, nx), (vy, ny) = self._primary_signature(x), self._primary_signature(y)
        j = float(np.count_nonzero(vx == vy)) / NUM_PERM
        if j >= self.min_jaccard:
            return True
        return j >= self.min_jaccard_contained and _containment_of(j, nx, ny) >= self.min_containment

    def _merge(self, x: int, y: int) -> set[str]:
        """Join the groups of ``x`` and ``y`` under the earlier primary; return the ids whose primary changed."""
        gx, gy = int(self._group[x]), int(self._group[y])
        if gx < 0:
            return self._enter(gy, x)
        if gy < 0:
            return self._enter(gx, y)
        big, small = (gx, gy) if len(self._groups[gx].members) >= len(self._groups[gy].members) else (gy, gx)
        gb, gs = self._groups[big], self._groups.pop(small)
        losers = gs if gb.primary_key <= gs.primary_key else gb
        changed = {self._ids[s] for s in losers.members}
        if gs.primary_key < gb.primary_key:
            gb.primary, gb.primary_key = gs.primary, gs.primary_key
            gb.primary_sig, gb.primary_size = gs.primary_sig, gs.primary_size
        gb.members.extend(gs.members)
        self._group[gs.members] = big
        return changed

    def _compact(self) -> None:
        """Drop dead slots (after expiry) and renumber the rest."""
        n = self._n
        alive = np.flatnonzero(self._alive[:n])
        renumber = np.full(n, -1, dtype=np.int64)
        renumber[alive] = np.arange(len(alive))
        self._merge_recent()
        self._key_slots = renumber[self._key_slots]
        m = len(alive)
        self._sigs[:m] = self._sigs[alive]
        self._sizes[:m] = self._sizes[alive]
        self._times[:m] = self._times[alive]
        self._group[:m] = self._group[alive]
        self._alive[:m] = True
        self._alive[m:] = False
        self._group[m:] = -1
        self._ids = [self._ids[s] for s in alive.tolist()]
        self._slot_of = {i: s for s, i in enumerate(self._ids)}
        for group in self._groups.values():
            group.members = renumber[group.members].tolist()
        self._n = m


# -- signatures ---------------------------------------------------------------------------


def _shingles(text: str) -> U32 | None:
    """The distinct shingle hashes of ``text`` (None if too few)."""
    if text.isascii():
        words: list[bytes] = text.encode("ascii").translate(_ASCII_WORDS).split()
    else:
        tokens = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
        if tokens and sum(map(len, tokens)) > 10 * len(tokens):  # written without spaces: characters
            chars = "".join(tokens)[: MAX_WORDS * 3]
            grams = [chars[i : i + SHINGLE_CHARS].encode("utf-8") for i in range(len(chars) - SHINGLE_CHARS + 1)]
            if len(grams) < MIN_SHINGLES:
                return None
            return np.unique(np.fromiter(map(zlib.crc32, grams), dtype=np.uint32, count=len(grams)))
        words = [t.encode("utf-8") for t in tokens]
    del words[MAX_WORDS:]
    if len(words) < SHINGLE_WORDS + MIN_SHINGLES - 1:
        return None
    h = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    with np.errstate(over="ignore"):
        x = h[:-2] * _SHINGLE_MUL[0] + h[1:-1] * _SHINGLE_MUL[1] + h[2:]
    return np.unique((x ^ (x >> np.uint64(32))).astype(np.uint32))


def _minhash_many(sets: list[U32], chunk: int = 512) -> U16:
    """Row i: the MinHash values of sets[i].

    Each hash function is ``a*x + b mod 2**32`` (a odd: a permutation of the 32-bit
    shingle hashes), computed in uint32 a few hundred shingles at a time, so the
    (shingles × NUM_PERM) products stay in the CPU cache; the low 16 bits of each
    minimum are kept.
    """
    out = np.empty((len(sets), NUM_PERM), dtype=np.uint16)
    i = 0
    while i < len(sets):
        j, total = i, 0
        while j < len(sets) and (total == 0 or total + len(sets[j]) <= chunk):
            total += len(sets[j])
            j += 1
        flat = np.concatenate(sets[i:j])
        starts = np.cumsum([0] + [len(s) for s in sets[i : j - 1]])
        v = flat[:, None] * _MUL[None, :]
        v += _ADD[None, :]
        out[i:j] = np.minimum.reduceat(v, starts, axis=0).astype(np.uint16)
        i = j
    return out


def _pack(values: U16, size: int) -> bytes:
    return bytes([SIGNATURE_VERSION]) + min(size, 0xFFFF).to_bytes(2, "little") + values.astype("<u2").tobytes()


def _unpack(sig: bytes) -> tuple[int, U16]:
    if len(sig) != SIGNATURE_BYTES or sig[0] != SIGNATURE_VERSION:
        raise ValueError(f"not a version-{SIGNATURE_VERSION} near-duplicate signature ({len(sig)} bytes)")
    values: U16 = np.frombuffer(sig, dtype="<u2", offset=_HEADER).astype(np.uint16)
    return int.from_bytes(sig[1:3], "little"), values


def _band_keys(values: U16) -> U64:
    """(n, BANDS) LSH keys: each band's ROWS 16-bit values packed in 64 bits, salted by band."""
    v = values[:, : BANDS * ROWS].astype(np.uint64).reshape(len(values), BANDS, ROWS)
    packed = np.zeros((len(values), BANDS), dtype=np.uint64)
    for r in range(ROWS):
        packed |= v[:, :, r] << np.uint64(16 * r)
    return packed ^ _BAND_SALT[None, :]


def _containment(
    j: npt.NDArray[np.float64], na: npt.NDArray[np.int32], nb: npt.NDArray[np.int32]
) -> npt.NDArray[np.float64]:
    """Shared shingles over the smaller set, from Jaccard and the two set sizes:
    ``|A ∩ B| = J (|A| + |B|) / (1 + J)``."""
    a, b = na.astype(np.float64), nb.astype(np.float64)
    inter = j * (a + b) / (1.0 + j)
    return np.asarray(inter / np.maximum(np.minimum(a, b), 1.0), dtype=np.float64)


def _containment_of(j: float, na: int, nb: int) -> float:
    return j * (na + nb) / (1.0 + j) / max(min(na, nb), 1)


_A = TypeVar("_A", bound="npt.NDArray[Any]")


def _grown(a: _A, cap: int, fill: object) -> _A:
    b = np.full((cap, *a.shape[1:]), fill, dtype=a.dtype)
    b[: len(a)] = a
    return cast(_A, b)
