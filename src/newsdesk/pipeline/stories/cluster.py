"""Online story clustering: each article joins a live story or opens one.

Pure in the house style: :class:`StoryClusterer` holds the sliding window's state and
``add(docs)`` returns intents (:class:`~newsdesk.model.StoryAssignment`,
:class:`~newsdesk.model.StoryMerge`) for the enrichment pass to write. The clock is the
documents' own ``published`` times, never the wall clock, so the same stream always gives the
same stories, whatever the batch sizes.

Evidence is a hybrid, because each kind alone fails somewhere:

* lexical TF-IDF (log tf, title terms counted twice, the first ``max_words`` words of the body)
  with an IDF learned online from the documents in the window;
* entity-like features (:mod:`newsdesk.pipeline.stories.cluster_text`: names, runs of names, numbers):
  two events of the same kind share their topic words, not their names, places and figures, so
  these get a vote of their own (``entity_weight``);
* time decay on the gap between an article and the story (``half_life_s``);
* an optional dense embedding (``embed(texts)`` → L2-normalised float32 rows). Between two
  languages there are no shared words, so a document whose language the story lacks is judged
  by the embedding (``cross_lingual_match``) plus whatever names and numbers both share; within
  one language the embedding only nudges the score (``embedding_weight``), because a topic
  embedding finds two earthquakes alike.

A single greedy threshold cannot undo a wrong join: the first articles of a second, look-alike
event join the first event's story and the rest follow them. So every ``refine_every``
documents a refinement pass revisits the stories that changed: a story that has grown by a
quarter is bisected spectrally (normalised cut of its article-to-article similarities) and
split when the cut is weak, and stories whose centroids have converged merge (the older id
survives, the merge is reported) unless the cut between them is one a split would make.

A story's id is the id of the article that opened it (a split's new half: its first article's),
so ids are stable, unique without a counter, and the same after a restart.

Memory is bounded by the window: a story whose last article is older than ``window_s`` expires
with its articles (``max_docs`` caps undated streams). The state is rebuildable from stored data
with :meth:`StoryClusterer.restore` (each recent article's id, title, text, time, language,
story id and optional embedding); IDF is learned from the window, so nothing else is stored.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

import numpy as np
import numpy.typing as npt

from newsdesk.model import StoryAssignment, StoryIntent, StoryMerge
from newsdesk.pipeline.stories.cluster_text import doc_features
from newsdesk.pipeline.stories.embedding import embedding_text

__all__ = [
    "ClusterDoc",
    "ClusterParams",
    "DocVectors",
    "Embed",
    "StoredArticle",
    "StoryClusterer",
]

Vector = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int32]  # sorted term ids of a sparse vector
Weights = npt.NDArray[np.float64]
Embed = Callable[[Sequence[str]], Vector]  # texts → L2-normalised float32 rows (``Embedder.embed``)
DocVectors = Callable[[Sequence["ClusterDoc"]], Vector]  # documents → their rows (e.g. computed earlier)


@dataclass(frozen=True, slots=True)
class ClusterDoc:
    """One article as the clusterer sees it; ``source`` is carried, not used for grouping."""

    id: str
    title: str | None
    text: str | None
    published: datetime | None = None  # None: "now" of the stream (the latest time seen)
    language: str | None = None  # ISO 639-1; needed for the cross-lingual rule (detected when missing)
    source: str | None = None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """What is stored per recent article to rebuild the clusterer after a restart."""

    id: str
    title: str | None
    text: str | None
    published: datetime | None
    story_id: str
    language: str | None = None
    embedding: Vector | None = None  # when missing and an embedder is given, it is recomputed
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ClusterParams:
    """Tuning of the clusterer.

    The defaults are shared by every data set and language (ECB+ full articles, MStream
    headlines, the live stream): none is tuned per file. Scores are cosine-like, in [0, 1].
    """

    join_threshold: float = 0.25  # score an article needs to join its best story
    merge_threshold: float = 0.25  # centroid-to-centroid score two stories need to merge
    split_ncut: float = 0.8  # a story splits when its best bisection's normalised cut is below this
    min_split: int = 3  # each half of a split has at least this many articles
    entity_weight: float = 0.35  # share of the entity cosine in the score (when the article has entities)
    entity_floor: float = 4.0  # weight of each article's private entity dimension (≈ the idf of a common name)
    embedding_weight: float = 0.25  # same language: score += weight · (embedding cosine − pivot)
    embedding_pivot: float = 0.6
    cross_lingual_match: float = 0.7  # another language: the embedding cosine at which an article joins
    window_s: float = 3 * 86400.0  # a story with no article for this long expires
    half_life_s: float = 36 * 3600.0  # the score halves per this much time between article and story
    refine_every: int = 64  # documents between refinement passes
    max_docs: int = 100_000  # articles kept at most (undated streams never expire by time)
    max_words: int = 250  # words of a body read: the lead carries the event, the tail adds background
    title_weight: float = 2.0
    idf_drift: float = 1.25  # an article's vector is recomputed when the window grew or shrank this much
    query_terms: int = 12  # a lookup uses this many of the heaviest terms
    index_terms: int = 32  # a story is indexed under this many of its heaviest terms
    posting_cap: int = 256  # a lookup counts at most this many (newest) stories per term
    max_candidates: int = 16  # stories scored in full per article
    merge_candidates: int = 8  # stories scored in full per story in a merge check
    embedding_candidates: int = 8  # nearest stories by embedding added to the candidates
    split_sample: int = 120  # a bisection looks at most at this many (newest) articles


_NO_IDS: Ids = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS: Weights = np.zeros(0, dtype=np.float64)


@dataclass(slots=True, eq=False)
class _Doc:
    """An article in the window. Its vectors are sparse, as arrays: sorted term ids (of the
    window's :class:`_Vocabulary`) with float32 weights beside them, 8 bytes a term where a
    dict of strings to floats took about 100. Two arrays per article (numpy's header is 100
    bytes): the parts are views."""

    id: str
    time: float
    seq: int  # arrival order
    language: str | None
    emb: Vector | None
    ids: Ids  # term ids (sorted), then entity ids (sorted; the private dimension among them)
    weights: npt.NDArray[np.float32]  # rows: log term frequencies; idf-weighted, L2-normalised (per part)
    terms: int  # how many of ``ids`` are terms
    private: int = -1  # the id of the article's private entity dimension (-1: it has no entities)
    vec_n: int = 0  # window size when the vectors were computed (the age of their IDF)
    story: _Story | None = None

    @property
    def tid(self) -> Ids:
        return self.ids[: self.terms]

    @property
    def eid(self) -> Ids:
        return self.ids[self.terms :]

    @property
    def vec(self) -> npt.NDArray[np.float32]:
        return self.weights[1, : self.terms]

    @property
    def ent(self) -> npt.NDArray[np.float32]:
        return self.weights[1, self.terms :]


@dataclass(slots=True, eq=False)
class _Story:
    id: str
    seq: int  # arrival order of its first article: the lower, the older
    serial: int  # unique per story object (an id can come back after a merge and a split)
    first: float
    last: float
    docs: dict[str, _Doc] = field(default_factory=dict)
    vid: Ids = field(default_factory=lambda: _NO_IDS)  # sum of member vectors: term ids ...
    vec: Weights = field(default_factory=lambda: _NO_WEIGHTS)  # ... and weights
    vec_sq: float = 0.0  # its squared norm
    eid: Ids = field(default_factory=lambda: _NO_IDS)
    ent: Weights = field(default_factory=lambda: _NO_WEIGHTS)
    ent_sq: float = 0.0
    with_entities: int = 0  # members that have entities
    emb: npt.NDArray[np.float64] | None = None  # sum of member embeddings
    languages: Counter[str] = field(default_factory=Counter)
    indexed: Ids = field(default_factory=lambda: _NO_IDS)  # term ids it is indexed under, heaviest first
    checked_size: int = 0  # size at the last split check


class StoryClusterer:
    """The sliding window of live stories; feed it documents in stream order.

    Not thread-safe: one writer owns it (live ingestion keeps one per process and rebuilds it
    with :meth:`restore` after a restart).
    """

    def __init__(self, params: ClusterParams | None = None, *, embed: Embed | None = None) -> None:
        self.params = params or ClusterParams()
        self._vectors_for: DocVectors | None = None
        if embed is not None:
            self.use_embeddings(lambda docs: embed([embedding_text(d.title, d.text) for d in docs]))
        self._docs: dict[str, _Doc] = {}
        self._stories: dict[str, _Story] = {}
        self._terms = _Vocabulary()  # term ids and document frequencies over the window
        self._entities = _Vocabulary()
        # term id → stories, in the order they were indexed under it (lists: a dict per term cost
        # a third of the window's memory; removal scans from the oldest end, where expiry removes)
        self._index: dict[int, list[_Story]] = {}
        self._vectors = _EmbeddingIndex()
        self._clock = -math.inf
        self._seq = 0
        self._serial = 0
        self._since_refine = 0
        self._dirty: set[_Story] = set()
        self._by_last: list[tuple[float, int, _Story]] = []  # (last seen, serial, story), lazily pruned

    # -- public API ---------------------------------------------------------------------------

    def use_embeddings(self, vectors_for: DocVectors | None) -> None:
        """Take each new document's embedding from ``vectors_for(docs)`` (None: lexical only).

        For a caller that has embedded the batch already (the vectors are stored for related
        articles too); ``embed=`` of the constructor is the same for a text embedder.
        """
        self._vectors_for = vectors_for

    @property
    def story_count(self) -> int:
        return len(self._stories)

    @property
    def doc_count(self) -> int:
        return len(self._docs)

    def story_of(self, article_id: str) -> str | None:
        """The live story of an article in the window, or None."""
        doc = self._docs.get(article_id)
        return doc.story.id if doc is not None and doc.story is not None else None

    def stories(self) -> dict[str, list[str]]:
        """Live stories, oldest first: story id → article ids in arrival order."""
        out: dict[str, list[str]] = {}
        for s in sorted(self._stories.values(), key=lambda s: s.seq):
            out[s.id] = [d.id for d in sorted(s.docs.values(), key=lambda d: d.seq)]
        return out

    def add(self, docs: Iterable[ClusterDoc]) -> list[StoryIntent]:
        """Place each document, in order; return what changed, in the order to apply it.

        Adding is idempotent: a document whose id is already in the window is skipped. The
        result depends on the order of the documents, never on how they are batched.
        """
        batch: list[ClusterDoc] = []
        seen: set[str] = set()
        for d in docs:
            if d.id not in self._docs and d.id not in seen:
                seen.add(d.id)
                batch.append(d)
        embs = self._vectors_for(batch) if self._vectors_for is not None and batch else None
        out: list[StoryIntent] = []
        for i, d in enumerate(batch):
            doc = self._new_doc(d, embs[i] if embs is not None else None)
            self._expire()
            out.append(self._place(doc))
            self._since_refine += 1
            if self._since_refine >= self.params.refine_every:
                out.extend(self.refine())
        return out

    def refine(self) -> list[StoryIntent]:
        """Revisit the stories changed since the last pass: split the mixed, merge the converged.

        ``add`` calls it every ``refine_every`` documents; call it at the end of a stream (or
        when ingestion is idle) so the last documents are revisited too.
        """
        self._since_refine = 0
        dirty = sorted((s for s in self._dirty if self._live(s)), key=lambda s: s.seq)
        self._dirty = set()
        out: list[StoryIntent] = []
        for s in dirty:
            self._revectorise(s)
            if len(s.docs) >= s.checked_size + max(1, s.checked_size // 4):
                s.checked_size = len(s.docs)
                out.extend(self._split(s))
        touched = sorted((s for s in self._dirty.union(dirty) if self._live(s)), key=lambda s: s.seq)
        while touched:
            self._dirty = set()
            for s in touched:
                if self._live(s):
                    merge = self._merge_into_best(s)
                    if merge is not None:
                        out.append(merge)
            touched = sorted((s for s in self._dirty if self._live(s)), key=lambda s: s.seq)
        self._dirty = set()
        return out

    @classmethod
    def restore(
        cls, articles: Iterable[StoredArticle], params: ClusterParams | None = None, *, embed: Embed | None = None
    ) -> StoryClusterer:
        """Rebuild the window from stored articles (any order) as they were assigned; nothing is re-decided."""
        c = cls(params, embed=embed)
        rows = sorted(articles, key=lambda a: (a.published is not None, _epoch(a.published) or 0.0, a.id))
        docs = [ClusterDoc(a.id, a.title, a.text, a.published, a.language, a.source) for a in rows]
        missing = [d for a, d in zip(rows, docs, strict=True) if a.embedding is None]
        computed: dict[str, Vector] = {}
        if c._vectors_for is not None and missing:
            computed = dict(zip((d.id for d in missing), c._vectors_for(missing), strict=True))
        for a, d in zip(rows, docs, strict=True):
            doc = c._new_doc(d, a.embedding if a.embedding is not None else computed.get(a.id))
            story = c._stories.get(a.story_id)
            if story is None:
                story = c._new_story(a.story_id, doc)
            c._attach(doc, story)
        for s in c._stories.values():
            c._revectorise(s)
            s.checked_size = len(s.docs)
        c._dirty = set()
        return c

    # -- documents ----------------------------------------------------------------------------

    def _new_doc(self, d: ClusterDoc, emb: Vector | None) -> _Doc:
        t = _epoch(d.published)
        if t is None:
            t = self._clock  # undated articles live at the stream's "now"
        self._clock = max(self._clock, t)
        feats = doc_features(d.title, d.text, title_weight=self.params.title_weight, max_words=self.params.max_words)
        entities = dict(feats.entities)
        if entities:
            # a private dimension no other document shares: a lone common name ("Apple") shared
            # by two short items is weak evidence, many shared or rare names are strong
            entities["\x00" + d.id] = 1.0
        tid, ttf = self._terms.enter(feats.terms)
        eid, etf = self._entities.enter(entities)
        self._seq += 1
        language = _language(d) if emb is not None else None
        weights = np.concatenate([ttf, etf])
        ids = np.concatenate([tid, eid])
        doc = _Doc(d.id, t, self._seq, language, emb, ids, np.stack([weights, weights]), len(tid))
        if entities:
            doc.private = self._entities.id_of("\x00" + d.id)
        self._vectorise(doc)
        self._docs[d.id] = doc
        return doc

    def _vectorise(self, doc: _Doc) -> None:
        n = len(self._docs) + 1
        doc.vec_n = n
        # idf = ln((n + 1) / (df + 1)) + 1 (scikit-learn's smoothing); df counts the window
        top = math.log(n + 1) + 1.0
        tf, k = doc.weights[0], doc.terms
        doc.weights[1, :k] = _normalise(tf[:k] * (top - np.log1p(self._terms.df[doc.tid])))
        ent = tf[k:] * (top - np.log1p(self._entities.df[doc.eid]))
        if doc.private >= 0:
            ent[np.searchsorted(doc.eid, doc.private)] = self.params.entity_floor
        doc.weights[1, k:] = _normalise(ent)

    def _revectorise(self, s: _Story) -> None:
        """Bring aged member vectors up to date; re-index the story under its heaviest terms.

        An article's vector carries the IDF of the window it arrived in; it is recomputed when
        the window has grown or shrunk by ``idf_drift`` since (early in a stream, the first
        articles were weighted by a handful of documents).
        """
        n = len(self._docs) + 1
        drift = self.params.idf_drift
        aged = [doc for doc in s.docs.values() if doc.vec_n * drift < n or n * drift < doc.vec_n]
        for doc in aged:
            self._vectorise(doc)
        if aged:
            _set_sums(s, s.docs.values())
        self._reindex(s)

    # -- placing ------------------------------------------------------------------------------

    def _place(self, doc: _Doc) -> StoryAssignment:
        best, score = None, -math.inf
        for s in self._candidates(doc):
            sc = self._score(doc, s)
            if sc > score:  # candidates come oldest-first on ties, so the older story wins
                best, score = s, sc
        if best is not None and score >= self.params.join_threshold:
            self._attach(doc, best)
            return StoryAssignment(doc.id, best.id, score=score)
        story = self._new_story(doc.id, doc)
        self._attach(doc, story)
        return StoryAssignment(doc.id, story.id, opened=True)

    def _candidates(self, doc: _Doc) -> list[_Story]:
        p = self.params
        found = self._lookup(_heaviest(doc.tid, doc.vec, p.query_terms), None, p.max_candidates)
        if doc.emb is not None:
            for s in self._vectors.nearest(doc.emb, p.embedding_candidates):
                if s not in found:
                    found.append(s)
        found.sort(key=lambda s: s.seq)
        return found

    def _lookup(self, terms: Iterable[tuple[int, float]], exclude: _Story | None, limit: int) -> list[_Story]:
        """Stories indexed under ``terms``, the ``limit`` best by summed term weight.

        A term shared by very many stories says little and would make the lookup slow: only its
        ``posting_cap`` newest stories are counted.
        """
        cap = self.params.posting_cap
        votes: dict[_Story, float] = {}
        get = votes.get
        for t, w in terms:
            post = self._index.get(t)
            if post is None:
                continue
            for s in islice(reversed(post), cap) if len(post) > cap else post:
                votes[s] = get(s, 0.0) + w
        if exclude is not None:
            votes.pop(exclude, None)
        if len(votes) > limit:
            return [s for s, _ in heapq.nlargest(limit, votes.items(), key=lambda kv: kv[1])]
        return list(votes)

    def _score(self, doc: _Doc, s: _Story) -> float:
        """Evidence that ``doc`` belongs to story ``s``."""
        p = self.params
        lex = _dot(doc.tid, doc.vec, s.vid, s.vec) / math.sqrt(s.vec_sq) if s.vec_sq > 1e-12 else 0.0
        if len(doc.eid) and s.ent_sq > 1e-12:
            ent = _dot(doc.eid, doc.ent, s.eid, s.ent) / math.sqrt(s.ent_sq)
            lex = (1.0 - p.entity_weight) * lex + p.entity_weight * ent
        if doc.emb is not None and s.emb is not None:
            norm = float(np.sqrt(s.emb @ s.emb))
            if norm > 1e-9:
                cross = doc.language is not None and doc.language not in s.languages and bool(s.languages)
                lex = self._with_embedding(lex, float(doc.emb @ s.emb) / norm, cross=cross)
        return lex * self._decay(max(0.0, doc.time - s.last, s.first - doc.time))

    def _with_embedding(self, lex: float, cos: float, *, cross: bool) -> float:
        p = self.params
        if cross:  # no shared words to expect: the embedding decides, shared names and numbers help
            return p.join_threshold + (cos - p.cross_lingual_match) + lex
        return lex + p.embedding_weight * (cos - p.embedding_pivot)

    def _decay(self, gap_s: float) -> float:
        return 0.5 ** (gap_s / self.params.half_life_s) if gap_s > 0.0 else 1.0

    # -- story bookkeeping --------------------------------------------------------------------

    def _new_story(self, story_id: str, opener: _Doc) -> _Story:
        self._serial += 1
        s = _Story(story_id, opener.seq, self._serial, opener.time, opener.time)
        self._stories[story_id] = s
        return s

    def _live(self, s: _Story) -> bool:
        return self._stories.get(s.id) is s

    def _sum_in(self, s: _Story, doc: _Doc) -> None:
        s.vid, s.vec, s.vec_sq = _add(s.vid, s.vec, doc.tid, doc.vec, 1.0)
        s.eid, s.ent, s.ent_sq = _add(s.eid, s.ent, doc.eid, doc.ent, 1.0)

    def _sum_out(self, s: _Story, doc: _Doc) -> None:
        s.vid, s.vec, s.vec_sq = _add(s.vid, s.vec, doc.tid, doc.vec, -1.0)
        s.eid, s.ent, s.ent_sq = _add(s.eid, s.ent, doc.eid, doc.ent, -1.0)

    def _attach(self, doc: _Doc, s: _Story) -> None:
        doc.story = s
        s.docs[doc.id] = doc
        self._sum_in(s, doc)
        s.with_entities += 1 if len(doc.eid) else 0
        if doc.language is not None:
            s.languages[doc.language] += 1
        if doc.emb is not None:
            s.emb = doc.emb.astype(np.float64) if s.emb is None else s.emb + doc.emb
            self._vectors.put(s)
        s.first = min(s.first, doc.time)
        if doc.time > s.last or len(s.docs) == 1:
            s.last = max(s.last, doc.time)
            heapq.heappush(self._by_last, (s.last, s.serial, s))
        have = set(s.indexed.tolist())
        new = [t for t, _ in _heaviest(doc.tid, doc.vec, self.params.query_terms) if t not in have]
        if new:
            s.indexed = np.concatenate([s.indexed, np.asarray(new, dtype=np.int32)])
            for t in new:
                self._index.setdefault(t, []).append(s)
        self._dirty.add(s)

    def _detach(self, doc: _Doc) -> None:
        s = doc.story
        assert s is not None
        del s.docs[doc.id]
        self._sum_out(s, doc)
        s.with_entities -= 1 if len(doc.eid) else 0
        if doc.language is not None:
            s.languages[doc.language] -= 1
            if s.languages[doc.language] <= 0:
                del s.languages[doc.language]
        if doc.emb is not None and s.emb is not None:
            s.emb = s.emb - doc.emb
            self._vectors.put(s)
        doc.story = None
        self._dirty.add(s)

    def _move(self, docs: Iterable[_Doc], to: _Story) -> None:
        for d in docs:
            self._detach(d)
            self._attach(d, to)

    def _reindex(self, s: _Story) -> None:
        top = [t for t, _ in _heaviest(s.vid, s.vec, self.params.index_terms)]
        kept, old = set(top), set(s.indexed.tolist())
        for t in old:
            if t not in kept:
                self._unindex_term(s, t)
        for t in top:
            if t not in old:
                self._index.setdefault(t, []).append(s)
        s.indexed = np.asarray(top, dtype=np.int32)

    def _unindex_term(self, s: _Story, t: int) -> None:
        post = self._index.get(t)
        if post is not None:
            post.remove(s)
            if not post:
                del self._index[t]

    def _drop_story(self, s: _Story) -> None:
        for t in s.indexed.tolist():
            self._unindex_term(s, t)
        s.indexed = _NO_IDS
        self._vectors.drop(s)
        del self._stories[s.id]
        self._dirty.discard(s)

    # -- refinement ---------------------------------------------------------------------------

    def _split(self, s: _Story) -> list[StoryIntent]:
        """Bisect a story by its normalised cut; split it when the two halves are far apart.

        A spectral bisection of the articles' pairwise similarities finds the two groups (unlike
        2-means or average linkage, a normalised cut is not fooled by one outlier). The split is
        kept when the cut is weak (``split_ncut``) and each half has ``min_split`` articles.
        """
        p = self.params
        if len(s.docs) < 2 * p.min_split:
            return []
        docs = sorted(s.docs.values(), key=lambda d: d.seq)
        sample = docs[-p.split_sample :]
        side, ncut = _bisect(sample, self._pair_weights)
        if ncut >= p.split_ncut:
            return []
        part_a = [d for d, x in zip(sample, side, strict=True) if x]
        part_b = [d for d, x in zip(sample, side, strict=True) if not x]
        if len(sample) < len(docs):  # the older articles follow the closer half
            a, b = _centroid(part_a), _centroid(part_b)
            for d in docs[: len(docs) - len(sample)]:
                (part_a if self._score(d, a) >= self._score(d, b) else part_b).append(d)
            part_a.sort(key=lambda d: d.seq)
            part_b.sort(key=lambda d: d.seq)
        if min(len(part_a), len(part_b)) < p.min_split:
            return []
        keep, leave = (part_a, part_b) if part_a[0].seq < part_b[0].seq else (part_b, part_a)
        if s.docs.get(s.id) in leave:  # the article whose id the story bears stays with it
            keep, leave = leave, keep
        new_id = next((d.id for d in leave if d.id not in self._stories), f"{leave[0].id}~{self._serial + 1}")
        child = self._new_story(new_id, leave[0])
        self._move(leave, child)
        child.checked_size = len(child.docs)
        s.checked_size = len(s.docs)
        self._reindex(s)
        self._reindex(child)
        return [StoryAssignment(d.id, new_id, opened=d is leave[0], moved=True) for d in leave]

    def _pair_weights(self, docs: Sequence[_Doc]) -> npt.NDArray[np.float64]:
        """Pairwise similarity of articles for bisection: lexical and entity cosines; across
        languages, the embedding rule of :meth:`_with_embedding`."""
        p = self.params
        lw, ew = 1.0 - p.entity_weight, p.entity_weight
        w = lw * _gram([(d.tid, d.vec) for d in docs]) + ew * _gram([(d.eid, d.ent) for d in docs])
        langs = [d.language for d in docs]
        if all(d.emb is not None for d in docs) and len({x for x in langs if x is not None}) > 1:
            emb = np.stack([d.emb for d in docs if d.emb is not None]).astype(np.float64)
            cos = np.stack([emb @ row for row in emb])
            cross = np.array([[a is not None and b is not None and a != b for b in langs] for a in langs])
            w = np.where(cross, np.maximum(w + p.join_threshold + cos - p.cross_lingual_match, 0.0), w)
        np.fill_diagonal(w, 0.0)
        return w

    def _story_score(self, a: _Story, b: _Story) -> float:
        p = self.params
        lex = 0.0
        if a.vec_sq > 1e-12 and b.vec_sq > 1e-12:
            lex = _dot(a.vid, a.vec, b.vid, b.vec) / math.sqrt(a.vec_sq * b.vec_sq)
        if a.ent_sq > 1e-12 and b.ent_sq > 1e-12:
            ent = _dot(a.eid, a.ent, b.eid, b.ent) / math.sqrt(a.ent_sq * b.ent_sq)
            lex = (1.0 - p.entity_weight) * lex + p.entity_weight * ent
        if a.emb is not None and b.emb is not None:
            norm = float(np.sqrt((a.emb @ a.emb) * (b.emb @ b.emb)))
            if norm > 1e-9:
                lex = self._with_embedding(lex, float(a.emb @ b.emb) / norm, cross=_disjoint(a, b))
        return lex * self._decay(max(0.0, max(a.first, b.first) - min(a.last, b.last)))

    def _merge_into_best(self, s: _Story) -> StoryMerge | None:
        p = self.params
        terms = _weights_of(s.vid, s.vec, s.indexed[: p.query_terms].tolist())
        cands = self._lookup(terms, s, p.merge_candidates)
        if s.emb is not None:
            for o in self._vectors.nearest(s.emb, p.embedding_candidates):
                if o is not s and o not in cands:
                    cands.append(o)
        best: _Story | None = None
        best_score = p.merge_threshold
        for o in sorted(cands, key=lambda o: o.seq):
            sc = self._story_score(s, o)
            # two stories a split would separate again stay apart (across languages the cut is
            # not lexical: the embedding rule of _story_score decided)
            if (
                sc >= best_score
                and (sc > best_score or best is None)
                and (_disjoint(s, o) or _pair_ncut(s, o, p.entity_weight) >= p.split_ncut)
            ):
                best, best_score = o, sc
        if best is None:
            return None
        old, young = (s, best) if s.seq < best.seq else (best, s)
        self._move(sorted(young.docs.values(), key=lambda d: d.seq), old)
        self._drop_story(young)
        self._reindex(old)
        return StoryMerge(merged=young.id, into=old.id)

    # -- expiry -------------------------------------------------------------------------------

    def _expire(self) -> None:
        """Forget stories whose last article left the window (and the oldest ones past ``max_docs``).

        Expiry is silent (no intent): the stored assignments stay true, the story stops growing.
        """
        horizon = self._clock - self.params.window_s
        heap = self._by_last
        while heap and (heap[0][0] < horizon or len(self._docs) > self.params.max_docs):
            last, _, s = heapq.heappop(heap)
            if not self._live(s) or s.last != last:
                continue  # stale entry: the story grew since (a newer entry exists) or is gone
            for doc in s.docs.values():
                del self._docs[doc.id]
                self._terms.leave(doc.tid)
                self._entities.leave(doc.eid)
            self._drop_story(s)


class _EmbeddingIndex:
    """Story embedding centroids as rows of one matrix, for nearest-story lookups.

    Brute force, in blocks of rows: a few thousand live stories take well under a millisecond,
    and matrix-vector products of that size stay off the threaded BLAS path (which is slower by
    orders of magnitude on a busy 2-core machine).
    """

    _BLOCK = 1024

    def __init__(self) -> None:
        self._rows: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self._slot: dict[_Story, int] = {}
        self._owner: list[_Story | None] = []
        self._free: list[int] = []

    def put(self, s: _Story) -> None:
        assert s.emb is not None
        norm = float(np.sqrt(s.emb @ s.emb))
        row = (s.emb / norm).astype(np.float32) if norm > 1e-9 else np.zeros(len(s.emb), dtype=np.float32)
        i = self._slot.get(s)
        if i is None:
            i = self._allocate(len(row))
            self._slot[s] = i
            self._owner[i] = s
        self._rows[i] = row

    def drop(self, s: _Story) -> None:
        i = self._slot.pop(s, None)
        if i is not None:
            self._rows[i] = 0.0
            self._owner[i] = None
            self._free.append(i)

    def nearest(self, vec: npt.NDArray[np.floating], k: int) -> list[_Story]:
        used = len(self._owner)
        if not self._slot or k <= 0:
            return []
        q = vec.astype(np.float32)
        sims = np.concatenate([self._rows[i : min(i + self._BLOCK, used)] @ q for i in range(0, used, self._BLOCK)])
        k = min(k, used)
        top = np.argpartition(-sims, k - 1)[:k]
        out = []
        for i in sorted(top.tolist(), key=lambda i: (-sims[i], i)):
            s = self._owner[i]
            if s is not None:
                out.append(s)
        return out

    def _allocate(self, dim: int) -> int:
        if self._free:
            return self._free.pop()
        i = len(self._owner)
        if i >= len(self._rows) or self._rows.shape[1] != dim:
            grown = np.zeros((max(64, 2 * len(self._rows)), dim), dtype=np.float32)
            grown[: len(self._rows)] = self._rows if self._rows.shape[1] == dim else 0.0
            self._rows = grown
        self._owner.append(None)
        return i


# -- vector helpers ---------------------------------------------------------------------------


def _dot(a_ids: Ids, a_w: npt.NDArray[np.floating], b_ids: Ids, b_w: npt.NDArray[np.floating]) -> float:
    """Dot product of two sparse vectors (sorted ids with their weights)."""
    if len(a_ids) > len(b_ids):
        a_ids, a_w, b_ids, b_w = b_ids, b_w, a_ids, a_w
    if not len(a_ids):
        return 0.0
    pos = np.searchsorted(b_ids, a_ids)
    pos[pos == len(b_ids)] = 0
    hit = b_ids[pos] == a_ids
    return float(np.dot(a_w[hit].astype(np.float64), b_w[pos[hit]]))


def _add(
    acc_ids: Ids, acc_w: Weights, ids: Ids, w: npt.NDArray[np.floating], sign: float
) -> tuple[Ids, Weights, float]:
    """acc + sign·vec as a new sparse vector, with its squared norm (recomputed: no drift)."""
    if not len(ids):
        return acc_ids, acc_w, float(acc_w @ acc_w)
    return _sparse_sum([acc_ids, ids], [acc_w, sign * w.astype(np.float64)])


def _sparse_sum(ids: Sequence[Ids], weights: Sequence[npt.NDArray[np.floating]]) -> tuple[Ids, Weights, float]:
    every = np.concatenate(ids)
    if not len(every):
        return _NO_IDS, _NO_WEIGHTS, 0.0
    keys, where = np.unique(every, return_inverse=True)
    total = np.asarray(
        np.bincount(where, weights=np.concatenate(weights).astype(np.float64), minlength=len(keys)), dtype=np.float64
    )
    keep = np.abs(total) > 1e-12
    out_ids, out_w = keys[keep].astype(np.int32), total[keep]
    return out_ids, out_w, float(out_w @ out_w)


def _set_sums(s: _Story, docs: Iterable[_Doc]) -> None:
    """Recompute a story's sum vectors from ``docs`` in one pass."""
    members = list(docs)
    s.vid, s.vec, s.vec_sq = _sparse_sum([d.tid for d in members], [d.vec for d in members])
    s.eid, s.ent, s.ent_sq = _sparse_sum([d.eid for d in members], [d.ent for d in members])


def _heaviest(ids: Ids, w: npt.NDArray[np.floating], k: int) -> list[tuple[int, float]]:
    """The ``k`` heaviest (id, weight) of a sparse vector, heaviest first (ties: lower id first)."""
    order = np.lexsort((ids, -w))[:k]
    return list(zip(ids[order].tolist(), w[order].tolist(), strict=True))


def _weights_of(ids: Ids, w: Weights, wanted: Sequence[int]) -> list[tuple[int, float]]:
    """(id, weight) for each of ``wanted`` (0.0 when the vector lacks it)."""
    if not wanted:
        return []
    q = np.asarray(wanted, dtype=np.int32)
    pos = np.searchsorted(ids, q)
    pos[pos >= len(ids)] = 0
    found = (ids[pos] == q) if len(ids) else np.zeros(len(q), dtype=bool)
    vals = np.where(found, w[pos] if len(ids) else 0.0, 0.0)
    return list(zip(wanted, vals.tolist(), strict=True))


def _normalise(vec: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    n = float(np.sqrt(np.dot(vec, vec)))
    if n <= 0.0:
        return np.zeros(len(vec), dtype=np.float32)
    return (vec / n).astype(np.float32)


class _Vocabulary:
    """Term ↔ id for the window, with each term's document frequency; ids of terms no article in
    the window holds any more are reused, so the vocabulary is bounded by the window too."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._terms: list[str | None] = []
        self._free: list[int] = []
        self.df: npt.NDArray[np.int32] = np.zeros(1024, dtype=np.int32)

    def enter(self, weights: Mapping[str, float]) -> tuple[Ids, npt.NDArray[np.float32]]:
        """An arriving article's terms as sorted ids with their weights; counts it in the frequencies."""
        ids = np.fromiter((self._id(t) for t in weights), dtype=np.int32, count=len(weights))
        tf = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
        order = np.argsort(ids)
        ids, tf = ids[order], tf[order]
        self.df[ids] += 1
        return ids, tf

    def leave(self, ids: Ids) -> None:
        """An article left the window: its terms count once less; terms at zero free their ids."""
        self.df[ids] -= 1
        for i in ids[self.df[ids] == 0].tolist():
            term = self._terms[i]
            if term is not None:
                del self._ids[term]
                self._terms[i] = None
                self._free.append(i)

    def id_of(self, term: str) -> int:
        return self._ids[term]

    def _id(self, term: str) -> int:
        i = self._ids.get(term)
        if i is None:
            if self._free:
                i = self._free.pop()
                self._terms[i] = term
            else:
                i = len(self._terms)
                self._terms.append(term)
                if i >= len(self.df):
                    self.df = np.concatenate([self.df, np.zeros(len(self.df), dtype=np.int32)])
            self._ids[term] = i
        return i


def _centroid(docs: Iterable[_Doc]) -> _Story:
    """A throw-away story holding ``docs``' vectors (their ``story`` stays untouched)."""
    c = _Story("", 0, 0, math.inf, -math.inf)
    members = list(docs)
    _set_sums(c, members)
    for d in members:
        c.with_entities += 1 if len(d.eid) else 0
        if d.emb is not None:
            c.emb = d.emb.astype(np.float64) if c.emb is None else c.emb + d.emb
        if d.language is not None:
            c.languages[d.language] += 1
        c.docs[d.id] = d
        c.first, c.last = min(c.first, d.time), max(c.last, d.time)
    return c


def _disjoint(a: _Story, b: _Story) -> bool:
    """Both stories have known languages and share none."""
    return bool(a.languages) and bool(b.languages) and not (a.languages.keys() & b.languages.keys())


def _bisect(
    docs: Sequence[_Doc], weights: Callable[[Sequence[_Doc]], npt.NDArray[np.float64]]
) -> tuple[list[bool], float]:
    """Spectral bisection (Shi–Malik normalised cut) of ``docs`` by their pairwise weights.

    Returns the side of each document and the cut's value (0: two unrelated groups; ≈1 and
    above: no real cut). The Fiedler vector comes from power iteration with matrix-vector
    products only: LAPACK's ``eigh`` goes through a threaded BLAS that is slower by orders of
    magnitude on a busy 2-core machine.
    """
    n = len(docs)
    w = weights(docs)
    deg = w.sum(axis=1) + 1e-9
    inv = 1.0 / np.sqrt(deg)
    m = (w * inv[:, None] * inv[None, :] + np.eye(n)) * 0.5  # eigenvalues in [0, 1]; the top one is 1
    top = np.sqrt(deg / deg.sum())  # ... and this is its eigenvector
    x = np.resize(_START, n)
    for _ in range(_POWER_STEPS):
        x -= top * (top @ x)
        x = m @ x
        norm = float(np.sqrt(x @ x))
        if norm < 1e-12:
            break
        x /= norm
    order = np.argsort(x * inv, kind="stable")
    # sweep the cut along the Fiedler vector and keep the smallest normalised cut: moving
    # article k to the first side adds its weights to later articles, removes those to earlier ones
    upper = np.triu(w[np.ix_(order, order)], 1)
    cut = np.cumsum(upper.sum(axis=1) - upper.sum(axis=0))[:-1]
    vol_a = np.cumsum(deg[order])[:-1]
    value = cut / vol_a + cut / (deg.sum() - vol_a)
    k = int(np.argmin(value)) + 1
    side = [False] * n
    for i in order[:k]:
        side[int(i)] = True
    return side, float(value[k - 1])


_POWER_STEPS = 120
_START = np.random.default_rng(20240531).standard_normal(512)  # a fixed start: same stream, same split


def _pair_ncut(a: _Story, b: _Story, entity_weight: float) -> float:
    """The normalised cut between two stories' articles, from their sum vectors alone.

    It uses the lexical weights of :meth:`StoryClusterer._pair_weights`, so two stories that a
    split would separate (a cut below ``split_ncut``) are not merged back.
    """
    lw, ew = 1.0 - entity_weight, entity_weight
    cut = lw * _dot(a.vid, a.vec, b.vid, b.vec) + ew * _dot(a.eid, a.ent, b.eid, b.ent)
    if cut <= 1e-12:
        return 0.0
    within_a = lw * (a.vec_sq - len(a.docs)) + ew * (a.ent_sq - a.with_entities)
    within_b = lw * (b.vec_sq - len(b.docs)) + ew * (b.ent_sq - b.with_entities)
    return cut / (within_a + cut) + cut / (within_b + cut)


def _gram(vecs: Sequence[tuple[Ids, npt.NDArray[np.floating]]]) -> npt.NDArray[np.float64]:
    """Pairwise dot products of sparse vectors (the diagonal is not meaningful).

    Only terms shared by two or more vectors add to an off-diagonal entry, so the dense matrix
    is built over those alone: a few hundred columns instead of the whole vocabulary.
    """
    every = np.concatenate([ids for ids, _ in vecs]) if vecs else _NO_IDS
    keys, counts = np.unique(every, return_counts=True)
    shared = keys[counts > 1]
    m = np.zeros((len(vecs), max(len(shared), 1)))
    if len(shared):
        for i, (ids, w) in enumerate(vecs):
            pos = np.searchsorted(shared, ids)
            pos[pos == len(shared)] = 0
            hit = shared[pos] == ids
            m[i, pos[hit]] = w[hit]
    # m @ m.T one row at a time: matrix-vector products stay off the threaded BLAS path
    return np.stack([m @ row for row in m])


# -- small helpers ----------------------------------------------------------------------------


def _epoch(t: datetime | None) -> float | None:
    return t.timestamp() if t is not None else None


def _language(d: ClusterDoc) -> str | None:
    """The document's language (ISO 639-1), detected from its text when not given."""
    if d.language:
        return d.language.split("-")[0].split("_")[0].lower()
    from newsdesk.pipeline.page.metadata import detect_language

    return detect_language(f"{d.title or ''}\n{d.text or ''}")
