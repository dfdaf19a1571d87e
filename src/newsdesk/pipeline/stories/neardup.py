"""Near-duplicate folding: syndicated wire copy, reprints, and a summary beside its full text (issue 3 §2, issue 16 §2).

Exact duplicates (same canonical URL or same words) are caught by :mod:`~newsdesk.pipeline.feed.dedup`
at ingestion. This stage catches what differs: a wire story carried by five papers, each
changing a headline, swapping a few words, writing its own first paragraph or cutting the last
ones; a feed that gives only the first sentences of an article another feed gives in full; a
page whose extraction kept some of the site's share, cookie or newsletter lines. Each such
group is folded under one *primary* — the earliest published article, ties broken by id — and
the others are listed as its copies ("also in …").

How:

* **Signature** (:func:`signature`): the text's word 3-shingles (lower-cased, punctuation
  dropped; character 5-shingles for scripts written without spaces), from its first
  ``MAX_WORDS`` words, each reduced to a 16-bit fingerprint and kept in the order the text
  first uses them: at most ``MAX_FINGERPRINTS`` (1 KB). Stored with the article, so the index
  can be rebuilt without re-reading texts. Two different shingles share a fingerprint once in
  65,536 times: between two 500-shingle articles that is about four chance matches, a
  containment error under 1%.
* **Candidates**: *anchors*, runs of three consecutive fingerprints whose first is chosen by
  its value (so two texts choose the same ones wherever their shingles agree): one in
  ``LEAD_EVERY`` among the first ``LEAD_SHINGLES`` shingles, where a feed summary sits in its
  full text even behind a few lines of page furniture, and one in ``ANCHOR_EVERY`` after that.
  Two articles are compared when they share ``MIN_SHARED_ANCHORS`` anchors and a share
  ``MIN_ANCHOR_SHARE`` of those of the one with fewer (see ``_candidates``): a 25-word summary
  has about six anchors and shares them all with its article. An anchor held by more than
  ``MAX_POSTINGS`` articles of the window (a site's footer, a stock phrase) proposes nothing.
* **Verification** is exact on the fingerprints: a candidate pair is folded if its Jaccard
  similarity is at least ``min_jaccard``, or if its *containment* — shared shingles over those
  of the shorter text — is at least ``min_containment`` (with Jaccard at least
  ``min_jaccard_contained``). Containment is what folds a summary with its article (Jaccard
  0.05), a copy with its ending cut or its lead rewritten, a page with boilerplate added;
  while two different articles that share a site's boilerplate or a long quote share a
  minority of the shorter one's shingles. A new article joins the group of the article it
  matches; two groups merge only if their primaries match each other as well, so one article
  cannot chain unrelated ones.
* **Window**: only articles published within ``window`` of each other are compared, and
  :meth:`NearDupIndex.expire` forgets those older than ``now - window``: memory is bounded by
  the window, not by history.

The thresholds (containment ≥ 0.5 with Jaccard ≥ 0.01, or Jaccard ≥ 0.6 alone) were chosen by
cross-validation over labelled pairs (``bench/neardup_pairs.py --cv``: the shared bench corpus,
the Zyte article bodies and ECB+, with truncations, new leads, boilerplate, shared quotes and
same-topic articles; each fold holds one source or one kind out, a false fold costs ten missed
ones, and the default is the median of the folds' choices). They hold on the shared corpus's
syndication plan too (``bench/neardup.py``).

The index is a plain in-memory structure: anchor keys in one sorted NumPy array plus a small
buffer of recent keys merged into it now and then, and the fingerprints, sorted, in a fixed
array: about 2.4 KB an article while it is held (83 MB for 34,500 articles). It decides and
returns :class:`FoldDecision` intents; storing them is the caller's job.

Known limits: a summary written anew (not the article's first sentences) shares no shingles
with it and is not found; a summary found more than ``LEAD_SHINGLES`` shingles into the other
text (behind a long header) may share too few anchors; boilerplate longer than the article
itself makes two different articles contained in each other; a short text made only of
boilerplate, arriving *before* the articles that contain it, can gather them. Signatures of
version 1 (MinHash, before containment was exact) stand alone until they leave the window.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

SHINGLE_WORDS = 3
SHINGLE_CHARS = 5  # for scripts without spaces between words (Chinese, Japanese, Thai)
MAX_WORDS = 500  # the lead decides; longer texts are cut here
MAX_FINGERPRINTS = 500  # distinct shingles kept (character shingles of a long text stop here)
MIN_SHINGLES = 8  # less text than this (about ten words) cannot be told apart from chance
LEAD_SHINGLES = 128  # where a summary is looked for in a longer text …
LEAD_EVERY = 4  # … with one anchor in this many shingles;
ANCHOR_EVERY = 16  # one in this many after it
MIN_SHARED_ANCHORS = 2  # and …
MIN_ANCHOR_SHARE = 0.15  # … this share of the anchors of the one with fewer (see _candidates)
MAX_POSTINGS = 64  # an anchor held by more articles than this proposes no candidates
SIGNATURE_VERSION = 2
_HEADER = 3  # version byte + uint16 fingerprint count
SIGNATURE_BYTES = _HEADER + 2 * MAX_FINGERPRINTS  # at most

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
U16 = npt.NDArray[np.uint16]
I64 = npt.NDArray[np.int64]

_SHINGLE_MUL = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_FINGERPRINT_MUL = np.uint32(0x2C1B3C6D)  # odd: shingle hash → fingerprint is a bijection before the cut
_ANCHOR_TAG = np.uint64(1 << 62)

# Lower-case ASCII letters and digits survive; everything else separates words.
_ASCII_WORDS = bytes.maketrans(
    bytes(range(65, 91)) + bytes(c for c in range(128) if not chr(c).isalnum()),
    bytes(range(97, 123)) + b" " * sum(1 for c in range(128) if not chr(c).isalnum()),
)


_WORD = re.compile(r"\w+")
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK ideographs.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def signature(text: str) -> bytes | None:
    """The signature of ``text``: its shingle fingerprints in text order; None when too short to compare safely."""
    fps = _fingerprints(text)
    if fps is None:
        return None
    return bytes([SIGNATURE_VERSION]) + len(fps).to_bytes(2, "little") + fps.astype("<u2").tobytes()


def signatures(texts: Sequence[str]) -> list[bytes | None]:
    """:func:`signature` of many texts."""
    return [signature(t) for t in texts]


def is_current(sig: bytes) -> bool:
    """Whether ``sig`` was made by this version of :func:`signature` (else recompute it)."""
    if len(sig) < _HEADER or sig[0] != SIGNATURE_VERSION:
        return False
    n = int.from_bytes(sig[1:3], "little")
    return MIN_SHINGLES <= n <= MAX_FINGERPRINTS and len(sig) == _HEADER + 2 * n


def estimate_similarity(a: bytes, b: bytes) -> tuple[float, float]:
    """(Jaccard similarity, containment of the shorter in the longer) of two signatures' fingerprints."""
    fa, fb = np.unique(_unpack(a)), np.unique(_unpack(b))
    return _similarity(fa, fb)


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
    primary_fps: U16  # the primary's fingerprints (sorted), kept after it leaves the window
    members: list[int]  # slots of the members still held (an article matching no other has no group)


# Defaults chosen by cross-validation (bench/neardup_pairs.py --cv: folds hold one source or one
# pair kind out; the median of the folds' choices).
MIN_JACCARD = 0.6
MIN_JACCARD_CONTAINED = 0.01
MIN_CONTAINMENT = 0.5


class NearDupIndex:
    """Fingerprints of the articles of a sliding time window, grouped into copies of each other.

    Not thread-safe: one writer owns it (the enrichment pass), as with the database.
    """

    def __init__(
        self,
        *,
        window: timedelta = timedelta(days=3),
        min_jaccard: float = MIN_JACCARD,
        min_jaccard_contained: float = MIN_JACCARD_CONTAINED,
        min_containment: float = MIN_CONTAINMENT,
    ) -> None:
        self.window = window
        self.min_jaccard = min_jaccard
        self.min_jaccard_contained = min_jaccard_contained
        self.min_containment = min_containment
        cap = 64
        self._fps = np.zeros((cap, MAX_FINGERPRINTS), dtype=np.uint16)  # sorted, distinct
        self._sizes = np.zeros(cap, dtype=np.int32)
        self._anchors = np.zeros(cap, dtype=np.int32)  # anchor keys per slot
        self._times = np.zeros(cap, dtype=np.float64)
        self._alive = np.zeros(cap, dtype=bool)
        self._group = np.full(cap, -1, dtype=np.int64)
        self._ids: list[str] = []
        self._n = 0  # slots used (alive or dead)
        self._slot_of: dict[str, int] = {}
        self._groups: dict[int, _Group] = {}
        self._next_group = 0
        # anchor keys sorted (main) plus a buffer of recent ones merged in now and then
        self._keys = np.zeros(0, dtype=np.uint64)
        self._key_slots = np.zeros(0, dtype=np.int32)
        self._recent_keys = np.zeros(0, dtype=np.uint64)
        self._recent_slots = np.zeros(0, dtype=np.int32)
        self._table = np.zeros(1 << 16, dtype=bool)  # scratch: one article's fingerprints

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
        min_jaccard: float = MIN_JACCARD,
        min_jaccard_contained: float = MIN_JACCARD_CONTAINED,
        min_containment: float = MIN_CONTAINMENT,
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
            slots, keys, owners = self._append(batch)
            pairs = self._candidates(slots, keys, owners)
            self._insert_keys(keys, owners)
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

    def _append(self, batch: list[NearDupDoc]) -> tuple[I64, U64, I64]:
        """Hold the batch's fingerprints; return (slots, anchor keys, the slot of each key)."""
        m = len(batch)
        need = self._n + m
        if need > len(self._alive):
            self._grow(max(need, 2 * len(self._alive)))
        slots = np.arange(self._n, need, dtype=np.int64)
        sigs: list[bytes] = []
        for s, d in zip(slots.tolist(), batch, strict=True):
            assert d.signature is not None
            sigs.append(d.signature)
            self._times[s] = d.published.timestamp()
            self._ids.append(d.id)
            self._slot_of[d.id] = s
        # all the batch's fingerprints in one array: article by article, each in text order
        lengths = np.fromiter(((len(sig) - _HEADER) // 2 for sig in sigs), dtype=np.int64, count=m)
        ordered = np.frombuffer(b"".join(sig[_HEADER:] for sig in sigs), dtype="<u2").astype(np.uint16)
        owner = np.repeat(slots, lengths)
        pos = np.arange(len(ordered)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        self._fps[owner, pos] = np.sort((owner << 16) | ordered) & 0xFFFF  # sorted within each article
        self._sizes[slots] = lengths
        keys, key_owner = _anchors(ordered, owner, pos)
        self._anchors[slots] = np.bincount(key_owner - self._n, minlength=m)
        self._alive[slots] = True
        self._group[slots] = -1
        self._n = need
        return slots, keys, key_owner

    def _grow(self, cap: int) -> None:
        self._fps = _grown(self._fps, cap, 0)
        self._sizes = _grown(self._sizes, cap, 0)
        self._anchors = _grown(self._anchors, cap, 0)
        self._times = _grown(self._times, cap, 0.0)
        self._alive = _grown(self._alive, cap, False)
        self._group = _grown(self._group, cap, -1)

    def _candidates(self, slots: I64, flat: U64, owner: I64) -> I64:
        """Pairs (new slot, other slot) within the window that share enough anchors to be compared.

        At least ``MIN_SHARED_ANCHORS``, and ``MIN_ANCHOR_SHARE`` of the anchors of the one with
        fewer. Anchors sample shingles alike in both texts, so the share follows containment,
        except where one text holds the shared part in its lead (one anchor in ``LEAD_EVERY``
        shingles) and the other after it (one in ``ANCHOR_EVERY``), as a reprint with a longer
        lead of its own does: then a quarter of it. A pair contained at 0.6 still shares 0.15 of
        its anchors that way; the copies of the labelled pairs share 0.17 at least, while the
        unrelated articles of the shared bench corpus, whose Markov prose repeats whole
        sentences, mostly share less.
        """
        found_new: list[I64] = []
        found_old: list[I64] = []
        # 1. the held articles' keys: the main table and the recent one, both sorted
        tables = ((self._keys, self._key_slots), (self._recent_keys, self._recent_slots))
        bounds = [(np.searchsorted(keys, flat, "left"), np.searchsorted(keys, flat, "right")) for keys, _ in tables]
        postings = sum(hi - lo for lo, hi in bounds)
        for (lo, hi), (_, key_slots) in zip(bounds, tables, strict=True):
            counts = hi - lo
            hits = np.flatnonzero((counts > 0) & (postings <= MAX_POSTINGS))
            if len(hits):
                counts = counts[hits]
                starts = np.repeat(lo[hits] - np.cumsum(counts) + counts, counts)
                at = starts + np.arange(int(counts.sum()))
                found_new.append(np.repeat(owner[hits], counts))
                found_old.append(key_slots[at].astype(np.int64))
        # 2. within the batch: equal keys among the new docs (every pair of a run of equal keys)
        if len(slots) > 1:
            order = np.argsort(flat, kind="stable")
            sk, so = flat[order], owner[order]
            starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
            lengths = np.diff(np.r_[starts, len(sk)])
            run = np.repeat(lengths, lengths)
            sk, so = sk[(run > 1) & (run <= MAX_POSTINGS)], so[(run > 1) & (run <= MAX_POSTINGS)]
            for d in range(1, MAX_POSTINGS):
                same = np.flatnonzero(sk[d:] == sk[:-d])
                if not len(same):
                    break
                found_new.append(np.maximum(so[same], so[same + d]))
                found_old.append(np.minimum(so[same], so[same + d]))
        if not found_new:
            return np.zeros((0, 2), dtype=np.int64)
        new, old = np.concatenate(found_new), np.concatenate(found_old)
        keep = (new != old) & self._alive[old]
        codes, shared = np.unique((new[keep] << 32) | old[keep], return_counts=True)
        pairs = np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)
        fewer = np.minimum(self._anchors[pairs[:, 0]], self._anchors[pairs[:, 1]])
        close = np.abs(self._times[pairs[:, 0]] - self._times[pairs[:, 1]]) <= self.window.total_seconds()
        return pairs[(shared >= MIN_SHARED_ANCHORS) & (shared >= MIN_ANCHOR_SHARE * fewer) & close]

    def _insert_keys(self, keys: U64, owners: I64) -> None:
        """Add the batch's keys to the recent table (merged into the main one when it grows)."""
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order].astype(np.int32)
        at = np.searchsorted(self._recent_keys, keys)
        self._recent_keys = np.insert(self._recent_keys, at, keys)
        self._recent_slots = np.insert(self._recent_slots, at, owners)
        if len(self._recent_keys) > max(50_000, len(self._keys) // 8):
            self._merge_recent()

    def _merge_recent(self) -> None:
        """Move the recent keys into the main table, dropping those of articles no longer held."""
        keys = np.concatenate([self._keys, self._recent_keys])
        owners = np.concatenate([self._key_slots, self._recent_slots])
        keep = self._alive[owners]
        keys, owners = keys[keep], owners[keep]
        order = np.argsort(keys, kind="stable")
        self._keys, self._key_slots = keys[order], owners[order]
        self._recent_keys = np.zeros(0, dtype=np.uint64)
        self._recent_slots = np.zeros(0, dtype=np.int32)

    def _similarities(self, pairs: I64) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(Jaccard, containment over the smaller) of candidate pairs (new slot, other slot).

        Per new article: its fingerprints marked in a 65,536-entry table, then looked up for
        all its candidates at once.
        """
        shared = np.zeros(len(pairs), dtype=np.float64)
        xs, ys = pairs[:, 0], pairs[:, 1]
        starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
        ends = np.r_[starts[1:], len(xs)]
        table = self._table
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            fx = self._fingerprints_of(int(xs[a]))
            table[fx] = True
            rows = ys[a:b]
            sizes = self._sizes[rows]
            width = int(sizes.max())
            present = table[self._fps[rows, :width]] & (np.arange(width) < sizes[:, None])
            shared[a:b] = np.count_nonzero(present, axis=1)
            table[fx] = False
        nx, ny = self._sizes[xs], self._sizes[ys]
        return shared / (nx + ny - shared), shared / np.minimum(nx, ny)

    def _verify(self, jaccard: float, containment: float) -> bool:
        return jaccard >= self.min_jaccard or (
            containment >= self.min_containment and jaccard >= self.min_jaccard_contained
        )

    def _fold(self, slots: I64, pairs: I64) -> set[str]:
        """Verify candidate pairs and group them; return the ids of held articles whose primary changed.

        Verified pairs are taken strongest first. A new article joins the group of the article
        it matches; two existing groups are merged only if their primaries are near-duplicates
        of each other too, so one article that matches two unrelated ones (a short text made
        mostly of shared boilerplate) cannot chain them together.
        """
        changed: set[str] = set()
        if not len(pairs):
            return changed
        j, c = self._similarities(pairs)
        ok = np.flatnonzero((j >= self.min_jaccard) | ((c >= self.min_containment) & (j >= self.min_jaccard_contained)))
        order = ok[np.lexsort((pairs[ok, 1], pairs[ok, 0], -c[ok], -j[ok]))]
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
            primary_fps=self._fingerprints_of(first).copy(),
            members=members,
        )
        self._group[members] = g
        return {self._ids[s] for s in members if s != first}

    def _key_of(self, slot: int) -> tuple[float, str]:
        return (float(self._times[slot]), self._ids[slot])

    def _fingerprints_of(self, slot: int) -> U16:
        return self._fps[slot, : self._sizes[slot]]

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
            group.primary_fps = self._fingerprints_of(slot).copy()
        group.members.append(slot)
        self._group[slot] = g
        return changed

    def _primary_fingerprints(self, slot: int) -> U16:
        """The fingerprints of the primary of ``slot``'s group (its own if it has none)."""
        g = int(self._group[slot])
        return self._fingerprints_of(slot) if g < 0 else self._groups[g].primary_fps

    def _similar(self, x: int, y: int) -> bool:
        return self._verify(*_similarity(self._primary_fingerprints(x), self._primary_fingerprints(y)))

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
            gb.primary, gb.primary_key, gb.primary_fps = gs.primary, gs.primary_key, gs.primary_fps
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
        self._key_slots = renumber[self._key_slots].astype(np.int32)
        m = len(alive)
        self._fps[:m] = self._fps[alive]
        self._sizes[:m] = self._sizes[alive]
        self._anchors[:m] = self._anchors[alive]
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


def _fingerprints(text: str) -> U16 | None:
    """The distinct shingle fingerprints of ``text`` in the order it first uses them (None if too few).

    Runs of words written without spaces (Chinese, Japanese, Thai…) give character 5-shingles,
    other runs word 3-shingles: decided run by run, so a line in another script (a headline,
    "iPhone") changes the shingles of that line only, and two copies of a text shingle alike.
    """
    if text.isascii():
        return _distinct_in_order(_word_shingles(text.encode("ascii").translate(_ASCII_WORDS).split()[:MAX_WORDS]))
    tokens = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    runs: list[U32] = []
    budget = 3 * MAX_WORDS  # a word counts three characters
    for unspaced, group in groupby(tokens, key=lambda t: _UNSPACED.search(t) is not None):
        if unspaced:
            chars = "".join(group)[:budget]
            budget -= len(chars)
            grams = [chars[i : i + SHINGLE_CHARS].encode("utf-8") for i in range(len(chars) - SHINGLE_CHARS + 1)]
            runs.append(np.fromiter(map(zlib.crc32, grams), dtype=np.uint32, count=len(grams)))
        else:
            words = [t.encode("utf-8") for t in group][: budget // 3]
            budget -= 3 * len(words)
            runs.append(_word_shingles(words))
        if budget <= 0:
            break
    return _distinct_in_order(np.concatenate(runs)) if runs else None


def _word_shingles(words: list[bytes]) -> U32:
    """Hashes of the word 3-shingles of ``words``, in order."""
    if len(words) < SHINGLE_WORDS:
        return np.zeros(0, dtype=np.uint32)
    h = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    with np.errstate(over="ignore"):
        x = h[:-2] * _SHINGLE_MUL[0] + h[1:-1] * _SHINGLE_MUL[1] + h[2:]
    return (x ^ (x >> np.uint64(32))).astype(np.uint32)


def _distinct_in_order(hashes: U32) -> U16 | None:
    """16-bit fingerprints of 32-bit shingle hashes: the first ``MAX_FINGERPRINTS`` distinct, in text order
    (None if fewer than ``MIN_SHINGLES``)."""
    with np.errstate(over="ignore"):
        fps = ((hashes * _FINGERPRINT_MUL) >> np.uint32(16)).astype(np.uint16)
    _, first = np.unique(fps, return_index=True)
    if len(first) < MIN_SHINGLES:
        return None
    return fps[np.sort(first)[:MAX_FINGERPRINTS]]


def _unpack(sig: bytes) -> U16:
    """A signature's fingerprints, in text order."""
    if not is_current(sig):
        raise ValueError(f"not a version-{SIGNATURE_VERSION} near-duplicate signature ({len(sig)} bytes)")
    return np.frombuffer(sig, dtype="<u2", offset=_HEADER).astype(np.uint16)


def _anchors(ordered: U16, owner: I64, pos: I64) -> tuple[U64, I64]:
    """The anchor keys of articles (their fingerprints in text order, concatenated), and each key's article.

    A key is three consecutive fingerprints whose first is chosen by its value: one in
    ``LEAD_EVERY`` among an article's first ``LEAD_SHINGLES``, one in ``ANCHOR_EVERY`` after.
    Each article's keys are distinct.
    """
    first = ordered[:-2].astype(np.uint64)
    every = np.where(pos[:-2] < LEAD_SHINGLES, LEAD_EVERY, ANCHOR_EVERY).astype(np.uint64)
    pick = np.flatnonzero((owner[:-2] == owner[2:]) & (first % every == 0))
    keys = (first[pick] << np.uint64(32)) | (ordered[pick + 1].astype(np.uint64) << np.uint64(16))
    keys |= ordered[pick + 2].astype(np.uint64) | _ANCHOR_TAG
    key_owner = owner[pick]
    order = np.lexsort((keys, key_owner))
    keys, key_owner = keys[order], key_owner[order]
    repeat = np.r_[False, (keys[1:] == keys[:-1]) & (key_owner[1:] == key_owner[:-1])]
    return keys[~repeat], key_owner[~repeat]


def _similarity(a: U16, b: U16) -> tuple[float, float]:
    """(Jaccard, containment over the smaller) of two sorted arrays of distinct fingerprints."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    small = min(len(a), len(b))
    union = len(a) + len(b) - shared
    return (shared / union if union else 0.0), (shared / small if small else 0.0)


_A = TypeVar("_A", bound="npt.NDArray[Any]")


def _grown(a: _A, cap: int, fill: object) -> _A:
    b = np.full((cap, *a.shape[1:]), fill, dtype=a.dtype)
    b[: len(a)] = a
    return cast(_A, b)
