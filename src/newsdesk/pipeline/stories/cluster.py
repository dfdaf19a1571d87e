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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from operator import itemgetter

import numpy as np
import numpy.typing as npt

from newsdesk.model import StoryAssignment, StoryIntent, StoryMerge
from newsdesk.pipeline.stories.cluster_text import DocFeatures, doc_features
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


@dataclass(slots=True, eq=False)
class _Doc:
    id: str
    feats: DocFeatures
    time: float
    seq: int  # arrival order
    language: str | None
    emb: Vector | None
    vec: dict[str, float] = field(default_factory=dict)  # idf-weighted, L2-normalised terms
    ent: dict[str, float] = field(default_factory=dict)  # idf-weighted, L2-normalised entities
    vec_n: int = 0  # window size when the vectors were computed (the age of their IDF)
    story: _Story | None = None


@dataclass(slots=True, eq=False)
class _Story:
    id: str
    seq: int  # arrival order of its first article: the lower, the older
    serial: int  # unique per story object (an id can come back after a merge and a split)
    first: float
    last: float
    docs: dict[str, _Doc] = field(default_factory=dict)
    vec: dict[str, float] = field(default_factory=dict)  # sum of member vectors
    vec_sq: float = 0.0  # its squared norm
    ent: dict[str, float] = field(default_factory=dict)
    ent_sq: float = 0.0
    with_entities: int = 0  # members that have entities
    emb: npt.NDArray[np.float64] | None = None  # sum of member embeddings
    languages: Counter[str] = field(default_factory=Counter)
    indexed: dict[str, None] = field(default_factory=dict)  # terms it is indexed under (ordered set)
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
        self._df: Counter[str] = Counter()  # document frequencies over the window
        self._edf: Counter[str] = Counter()
        self._index: dict[str, dict[_Story, None]] = {}  # term → stories (ordered set: deterministic)
        self._vectors = _EmbeddingIndex()
        self._clock = -math.inf
        self._seq = 0
        self._serial = 0
        self._since_refine = 0
        self._forgotten = 0  # articles expired since the document frequencies were last pruned
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
        self._df.update(feats.terms.keys())
        self._edf.update(feats.entities.keys())
        self._seq += 1
        language = _language(d) if emb is not None else None
        doc = _Doc(d.id, feats, t, self._seq, language, emb)
        self._vectorise(doc)
        self._docs[d.id] = doc
        return doc

    def _vectorise(self, doc: _Doc) -> None:
        n = len(self._docs) + 1
        doc.vec_n = n
        # idf = ln((n + 1) / (df + 1)) + 1 (scikit-learn's smoothing); df counts the window
        top = math.log(n + 1) + 1.0
        log, df, edf = math.log, self._df, self._edf
        doc.vec = _normalise({t: w * (top - log(df.get(t, 0) + 1)) for t, w in doc.feats.terms.items()})
        ent = {t: w * (top - log(edf.get(t, 0) + 1)) for t, w in doc.feats.entities.items()}
        if ent:
            # a private dimension no other document shares: a lone common name ("Apple") shared
            # by two short items is weak evidence, many shared or rare names are strong
            ent["\x00" + doc.id] = self.params.entity_floor
        doc.ent = _normalise(ent)

    def _revectorise(self, s: _Story) -> None:
        """Bring aged member vectors up to date; re-index the story under its heaviest terms.

        An article's vector carries the IDF of the window it arrived in; it is recomputed when
        the window has grown or shrunk by ``idf_drift`` since (early in a stream, the first
        articles were weighted by a handful of documents).
        """
        n = len(self._docs) + 1
        drift = self.params.idf_drift
        for doc in s.docs.values():
            if doc.vec_n * drift < n or n * drift < doc.vec_n:
                self._sum_out(s, doc)
                self._vectorise(doc)
                self._sum_in(s, doc)
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
        terms = heapq.nlargest(p.query_terms, doc.vec.items(), key=itemgetter(1))
        found = self._lookup(terms, None, p.max_candidates)
        if doc.emb is not None:
            for s in self._vectors.nearest(doc.emb, p.embedding_candidates):
                if s not in found:
                    found.append(s)
        found.sort(key=lambda s: s.seq)
        return found

    def _lookup(self, terms: Iterable[tuple[str, float]], exclude: _Story | None, limit: int) -> list[_Story]:
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
            return [s for s, _ in heapq.nlargest(limit, votes.items(), key=itemgetter(1))]
        return list(votes)

    def _score(self, doc: _Doc, s: _Story) -> float:
        """Evidence that ``doc`` belongs to story ``s``."""
        p = self.params
        lex = _dot(doc.vec, s.vec) / math.sqrt(s.vec_sq) if s.vec_sq > 1e-12 else 0.0
        if doc.ent and s.ent_sq > 1e-12:
            lex = (1.0 - p.entity_weight) * lex + p.entity_weight * _dot(doc.ent, s.ent) / math.sqrt(s.ent_sq)
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
        s.vec_sq = _add_into(s.vec, doc.vec, 1.0, s.vec_sq)
        s.ent_sq = _add_into(s.ent, doc.ent, 1.0, s.ent_sq)

    def _sum_out(self, s: _Story, doc: _Doc) -> None:
        s.vec_sq = _add_into(s.vec, doc.vec, -1.0, s.vec_sq)
        s.ent_sq = _add_into(s.ent, doc.ent, -1.0, s.ent_sq)

    def _attach(self, doc: _Doc, s: _Story) -> None:
        doc.story = s
        s.docs[doc.id] = doc
        self._sum_in(s, doc)
        s.with_entities += 1 if doc.ent else 0
        if doc.language is not None:
            s.languages[doc.language] += 1
        if doc.emb is not None:
            s.emb = doc.emb.astype(np.float64) if s.emb is None else s.emb + doc.emb
            self._vectors.put(s)
        s.first = min(s.first, doc.time)
        if doc.time > s.last or len(s.docs) == 1:
            s.last = max(s.last, doc.time)
            heapq.heappush(self._by_last, (s.last, s.serial, s))
        for t, _ in heapq.nlargest(self.params.query_terms, doc.vec.items(), key=itemgetter(1)):
            if t not in s.indexed:
                s.indexed[t] = None
                self._index.setdefault(t, {})[s] = None
        self._dirty.add(s)

    def _detach(self, doc: _Doc) -> None:
        s = doc.story
        assert s is not None
        del s.docs[doc.id]
        self._sum_out(s, doc)
        s.with_entities -= 1 if doc.ent else 0
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
        top = dict.fromkeys(t for t, _ in heapq.nlargest(self.params.index_terms, s.vec.items(), key=itemgetter(1)))
        for t in s.indexed:
            if t not in top:
                self._unindex_term(s, t)
        for t in top:
            if t not in s.indexed:
                self._index.setdefault(t, {})[s] = None
        s.indexed = top

    def _unindex_term(self, s: _Story, t: str) -> None:
        post = self._index.get(t)
        if post is not None:
            post.pop(s, None)
            if not post:
                del self._index[t]

    def _drop_story(self, s: _Story) -> None:
        for t in s.indexed:
            self._unindex_term(s, t)
        s.indexed = {}
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
        w = (1.0 - p.entity_weight) * _gram([d.vec for d in docs]) + p.entity_weight * _gram([d.ent for d in docs])
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
            lex = _dot(a.vec, b.vec) / math.sqrt(a.vec_sq * b.vec_sq)
        if a.ent_sq > 1e-12 and b.ent_sq > 1e-12:
            lex = (1.0 - p.entity_weight) * lex + p.entity_weight * _dot(a.ent, b.ent) / math.sqrt(a.ent_sq * b.ent_sq)
        if a.emb is not None and b.emb is not None:
            norm = float(np.sqrt((a.emb @ a.emb) * (b.emb @ b.emb)))
            if norm > 1e-9:
                lex = self._with_embedding(lex, float(a.emb @ b.emb) / norm, cross=_disjoint(a, b))
        return lex * self._decay(max(0.0, max(a.first, b.first) - min(a.last, b.last)))

    def _merge_into_best(self, s: _Story) -> StoryMerge | None:
        p = self.params
        terms = [(t, s.vec.get(t, 0.0)) for t in islice(s.indexed, p.query_terms)]
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
                self._df.subtract(doc.feats.terms.keys())
                self._edf.subtract(doc.feats.entities.keys())
            self._forgotten += len(s.docs)
            self._drop_story(s)
        if self._forgotten > max(1000, len(self._docs) // 2):  # drop the zero counts expiry leaves behind
            self._df = +self._df
            self._edf = +self._edf
            self._forgotten = 0


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


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    # the key intersection runs in C and most pairs share few terms; fsum is exact, so the
    # result does not depend on the set's (hash-seeded) order
    return math.fsum([a[t] * b[t] for t in a.keys() & b.keys()])


def _add_into(acc: dict[str, float], vec: dict[str, float], sign: float, sq: float) -> float:
    """acc += sign·vec; returns the new squared norm of ``acc`` given the old one (``sq``)."""
    cross = 0.0
    for t, w in vec.items():
        old = acc.get(t, 0.0)
        cross += old * w
        new = old + sign * w
        if abs(new) < 1e-12:
            acc.pop(t, None)
        else:
            acc[t] = new
    sq_vec = sum(w * w for w in vec.values())
    return max(sq + 2.0 * sign * cross + sq_vec, 0.0)


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    n = math.sqrt(sum(w * w for w in vec.values()))
    if n <= 0.0:
        return {}
    return {t: w / n for t, w in vec.items()}


def _centroid(docs: Iterable[_Doc]) -> _Story:
    """A throw-away story holding ``docs``' vectors (their ``story`` stays untouched)."""
    c = _Story("", 0, 0, math.inf, -math.inf)
    for d in docs:
        c.vec_sq = _add_into(c.vec, d.vec, 1.0, c.vec_sq)
        c.ent_sq = _add_into(c.ent, d.ent, 1.0, c.ent_sq)
        c.with_entities += 1 if d.ent else 0
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
    cut = lw * _dot(a.vec, b.vec) + ew * _dot(a.ent, b.ent)
    if cut <= 1e-12:
        return 0.0
    within_a = lw * (a.vec_sq - len(a.docs)) + ew * (a.ent_sq - a.with_entities)
    within_b = lw * (b.vec_sq - len(b.docs)) + ew * (b.ent_sq - b.with_entities)
    return cut / (within_a + cut) + cut / (within_b + cut)


def _gram(vecs: Sequence[dict[str, float]]) -> npt.NDArray[np.float64]:
    """Pairwise dot products of sparse vectors (the diagonal is not meaningful).

    Only terms shared by two or more vectors add to an off-diagonal entry, so the dense matrix
    is built over those alone: a few hundred columns instead of the whole vocabulary.
    """
    seen: Counter[str] = Counter()
    for v in vecs:
        seen.update(v.keys())
    cols = {t: i for i, t in enumerate(t for t, c in seen.items() if c > 1)}
    m = np.zeros((len(vecs), max(len(cols), 1)))
    for i, v in enumerate(vecs):
        for t, x in v.items():
            j = cols.get(t)
            if j is not None:
                m[i, j] = x
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
