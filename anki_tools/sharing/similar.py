"""Fronts that are the same or nearly the same in one deck: a likely double contribution.

Fronts are compared as sets of letter trigrams of their words (so "returns" and "return",
or a typo, still look alike) by Jaccard similarity. Comparing every pair would be slow
for big decks, so candidates come from a prefix filter: two sets this alike must share
one of their rarest trigrams.

The work is bounded, linear in the number of fronts whatever they are. A prefix filter
alone is quadratic when many fronts share their rarest trigrams (thousands of fronts like
"What does `x_17` do?", one front in many files, or any big deck of common words): each
front would be compared with all the others. So:

- A trigram's index holds only the last POSTINGS fronts given to it. Fronts come from
  small to large, so these are the largest so far: the nearest in size to the front
  looking them up, the likeliest to be alike it (a much smaller one cannot be).
- A front is compared with at most CANDIDATES of the fronts its rarest trigrams lead to:
  those sharing most of these trigrams with it, the likeliest to be alike.

A front costs at most (its prefix × POSTINGS) index look-ups and CANDIDATES comparisons,
and memory is a tuple of trigrams a front and POSTINGS places a trigram: never a list of
pairs, which can be quadratic. The result is exact as long as no trigram is among the
rarest of more than POSTINGS fronts and no front has more than CANDIDATES candidates,
which holds for ordinary notes at the threshold of 0.8: a typo, "return" for "returns",
a word added are found (tests/test_similar.py checks against comparing every pair).
Beyond that, on decks where many fronts look alike, some alike pairs are not found: a
front alike many others is found alike some of them, enough to show it in their group.
A threshold far below 0.8 would need more candidates: at 0.3, a test front is alike up
to 43 others.

Warnings are one a card: a new (or reworded) card whose front is alike an earlier one's,
in another file, names the one most alike. The cards linked so make clusters, shown
together by `shown_alike`, which holds the rule of how many a run shows.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict, deque
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import replace
from itertools import chain
from pathlib import Path

from ..errors import Alike, Problem, Problems
from ..notes import Note, Source, display_path
from .identity import has_front_guid, normalize

THRESHOLD = 0.8
EPSILON = 1e-9
WORD_RE = re.compile(r"\w+")
# Measured: 16 keeps the tests' pairs at 0.6 and above exact (at 0.3 they need 64), and
# keeps a front's work in the tens of microseconds.
POSTINGS = 16
CANDIDATES = 16
GROUPS_SHOWN = 10  # near-duplicate lines (pairs or clusters) a build shows; check shows all
PLACES_SHOWN = 10  # cards a cluster's line names


def warn_double_contributions(notes: list[Note], new: list[bool], problems: Problems) -> None:
    """Warn about each card whose front is alike an earlier card's in the same deck, in
    another file, one of the two new: once a card, naming the one most alike.

    Pairs of notes both known to the lock were reported when the second one came in, so
    they are not looked for: a rebuild with few new cards is quick.
    """
    warn_alike(notes, alike_cards(front_rows(notes), new), problems)


# What the check reads of a card: a number for its deck, its front, a number for its
# file, and whether its guid is made from its front. Plain data, so that a process of its
# own can do the work (numbers: no two copies of every deck's name and path).
FrontRow = tuple[int, str, int, bool]
AlikeCards = dict[int, tuple[float, int]]  # later card: (score, -earlier card)


def front_rows(notes: list[Note]) -> list[FrontRow]:
    decks: dict[str, int] = {}
    files: dict[Path, int] = {}  # ints compare faster than paths
    return [
        (
            decks.setdefault(note.deck, len(decks)),
            note.front,
            files.setdefault(note.source.path, len(files)),
            has_front_guid(note),
        )
        for note in notes
    ]


def alike_cards(rows: list[FrontRow], new: list[bool]) -> AlikeCards:
    """For each card alike an earlier one (see `warn_double_contributions`), the most
    alike, then the earliest: by the cards' places in `rows`."""
    by_deck: dict[int, list[int]] = defaultdict(list)
    for position, (deck, _, _, _) in enumerate(rows):
        by_deck[deck].append(position)
    alike: AlikeCards = {}
    for positions in by_deck.values():
        if not any(new[p] for p in positions):
            continue
        texts = [_words(rows[p][1]) for p in positions]
        files = [rows[p][2] for p in positions]
        probing = [new[p] for p in positions]
        # The front as the guid sees it, for a card whose guid is made from it: two such
        # cards with one guid front were given identities of their own by the build,
        # which warned (pipeline._warn_same_fronts).
        guid_fronts = [normalize(rows[p][1]) if rows[p][3] else None for p in positions]
        for first, second, score in alike_pairs(texts, THRESHOLD, probing, files):
            if guid_fronts[first] is not None and guid_fronts[first] == guid_fronts[second]:
                continue  # the build told the cards apart and warned already
            earlier, later = positions[first], positions[second]
            alike[later] = max(alike.get(later, (0.0, 0)), (score, -earlier))  # then earliest
    return alike


def warn_alike(notes: list[Note], alike: AlikeCards, problems: Problems) -> None:
    """The warnings of `alike_cards`, in build order, each card in its cluster."""
    cluster: dict[int, int] = {}
    shown: dict[Path, str] = {}
    for later in sorted(alike):  # in build order, whatever the deck
        score, earlier = alike[later][0], -alike[later][1]
        # Earlier cards come first, so the earlier one's cluster is known: its first card.
        cluster[later] = cluster.get(earlier, earlier)
        one, other = notes[earlier], notes[later]
        same = _words(one.front) == _words(other.front)
        how = "the same front" if same else f"nearly the same front ({score:.0%} alike)"
        problems.warning(
            other.source,
            f"{how} as {_place(one.source, shown)}: a double contribution? "
            "Merge them, or reword one",
            Alike(one.source, other.deck, cluster[later]),
        )


def shown_alike(problems: list[Problem], every_group: bool) -> list[Problem]:
    """The problems as shown: the near-duplicate warnings of one cluster as one line (a
    cluster of two cards keeps its pair's warning), at the place of its first warning,
    naming PLACES_SHOWN of its cards. Without `every_group` (a build), the first
    GROUPS_SHOWN lines, then one saying how many more there are and that a check lists
    them all."""
    clusters: dict[int, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.alike is not None:
            clusters[problem.alike.cluster].append(problem)
    if not clusters:
        return problems
    total = len(clusters)
    kept: list[Problem] = []
    hidden: list[list[Problem]] = []  # the clusters not shown, from `more_at` in `kept`
    more_at = 0
    shown: dict[Path, str] = {}
    for problem in problems:
        if problem.alike is None:
            kept.append(problem)
            continue
        members = clusters.pop(problem.alike.cluster, None)
        if members is None:
            continue  # shown with its cluster's first warning
        reached = total - len(clusters)  # clusters met so far, this one included
        if every_group or reached <= GROUPS_SHOWN:
            kept.append(members[0] if len(members) == 1 else _cluster_line(members, shown))
            continue
        if not hidden:
            more_at = len(kept)
            kept.append(problem)  # its place, for the line saying how many more
        hidden.append(members)
    if hidden:
        kept[more_at] = _more_line(kept[more_at], hidden)
    return kept


def _cluster_line(members: list[Problem], shown: dict[Path, str]) -> Problem:
    """`37 fronts in deck 'Python' are nearly the same: a.md:3, b.md:9, … (and 27 more)`."""
    cards = _cards(members)
    places = ", ".join(_place(card, shown) for card in cards[:PLACES_SHOWN])
    more = len(cards) - PLACES_SHOWN
    places += f", … (and {more} more)" if more > 0 else ""
    deck = members[0].alike.deck if members[0].alike else ""
    return replace(
        members[0],
        message=f"{len(cards)} fronts in deck '{deck}' are the same or nearly the same: "
        f"{places}: double contributions? Merge them, or reword them so they differ",
        alike=None,
    )


def _more_line(first_hidden: Problem, hidden: list[list[Problem]]) -> Problem:
    """At the first cluster not shown: how many more and where to see them."""
    cards = sum(len(_cards(members)) for members in hidden)
    groups = f"{len(hidden)} more group{'s' if len(hidden) > 1 else ''}"
    return replace(
        first_hidden,
        message=f"and {groups} of the same or nearly the same fronts ({cards} cards), "
        f"not shown: 'anki-tools check' lists them all",
        alike=None,
    )


def _cards(members: list[Problem]) -> list[Source]:
    """A cluster's cards, each once, in the order of its warnings."""
    cards: dict[Source, None] = {}
    for problem in members:
        if problem.alike is not None:
            cards.setdefault(problem.alike.earlier)
        cards.setdefault(problem.source)
    return list(cards)


def _place(source: Source, shown: dict[Path, str]) -> str:
    """`str(source)`, each file's shown path worked out once: `display_path` asks the
    file system, and a big deck's warnings name each file many times."""
    path = shown.get(source.path)
    if path is None:
        path = shown[source.path] = display_path(source.path)
    if source.cell is not None:
        return f"{path}:cell {source.cell}"
    return f"{path}:{source.line}" if source.line is not None else path


def _words(front: str) -> str:
    return " ".join(WORD_RE.findall(normalize(front)))


def trigrams(text: str) -> frozenset[str]:
    return frozenset(_trigrams(text))


def alike_pairs(
    texts: list[str],
    threshold: float = THRESHOLD,
    probing: list[bool] | None = None,
    groups: Sequence[Hashable] | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs (earlier, later, similarity) of texts at least `threshold` alike: every such
    pair within the bounds of the module docstring, some of them beyond.

    With `probing`, pairs of two texts marked False are not looked for. With `groups`,
    pairs within one group are left out. Texts go from small to large, each looked up
    with its probing prefix and indexed with the shorter indexing prefix (Xiao et al.,
    "Efficient similarity joins for near duplicate detection", 2008).
    """
    sets = _rarest_first(texts)
    labels = list(groups) if groups is not None else list(range(len(texts)))
    # The last POSTINGS texts indexed with a trigram: all texts so far, and those marked True.
    every: dict[str, deque[int]] = defaultdict(lambda: deque(maxlen=POSTINGS))
    looked_for: dict[str, deque[int]] = defaultdict(lambda: deque(maxlen=POSTINGS))
    sizes = [len(grams) for grams in sets]
    largest = max(sizes, default=0)
    count, most = len(sets), largest + 1  # more than any text's positions and shared trigrams
    probed = _prefix_lengths(largest, threshold)
    indexed = _prefix_lengths(largest, 2 * threshold / (1 + threshold))
    for position in sorted(range(len(sets)), key=lambda p: (sizes[p], p)):
        rarest_first, size, label = sets[position], sizes[position], labels[position]
        probes = probing is None or probing[position]
        index = every if probes else looked_for
        # How many of this text's rarest trigrams each earlier text shares, counted in
        # one pass (a Counter.update per trigram was a fifth of the time at 100k fronts).
        postings = [index[gram] for gram in rarest_first[: probed[size]] if gram in index]
        hits = Counter(chain.from_iterable(postings))
        # Texts come small to large: a much smaller earlier one cannot be this alike.
        smallest = threshold * size - EPSILON
        # Most shared first, then the earliest: (-shared, earlier) as one int, which
        # sorts several times faster than the tuple. Sorting every hit and then taking
        # the first CANDIDATES that may be alike reads far fewer hits than filtering
        # them all first (at 100k fronts a front has about 150).
        ranked = [(most - shared) * count + earlier for earlier, shared in hits.items()]
        ranked.sort()
        candidates: list[int] = []
        for key in ranked:
            earlier = key % count
            if sizes[earlier] >= smallest and labels[earlier] != label:
                candidates.append(earlier)
                if len(candidates) == CANDIDATES:
                    break
        grams = set(rarest_first)
        for earlier in sorted(candidates):
            shared = len(grams.intersection(sets[earlier]))
            score = shared / (size + sizes[earlier] - shared)
            if score >= threshold:
                yield min(earlier, position), max(earlier, position), score
        for gram in rarest_first[: indexed[size]]:
            every[gram].append(position)
            if probes:
                looked_for[gram].append(position)


def _rarest_first(texts: list[str]) -> list[tuple[str, ...]]:
    """Each text's trigrams, the rarest in all texts first (then in code point order). A
    tuple is a third of a set's memory, and one string stands for each trigram."""
    one_string: dict[str, str] = {}
    sets = [tuple(map(one_string.setdefault, grams, grams)) for grams in map(_trigrams, texts)]
    frequency = Counter(chain.from_iterable(sets))
    order = sorted(frequency, key=lambda gram: (frequency[gram], gram))
    rank = {gram: at for at, gram in enumerate(order)}
    for at, grams in enumerate(sets):  # in place: never two copies of every text's trigrams
        sets[at] = tuple(sorted(grams, key=rank.__getitem__))
    return sets


def _trigrams(text: str) -> list[str]:
    """The text's letter trigrams, each once, with a space before and after it."""
    padded = f" {text} "
    return list({padded[i : i + 3] for i in range(len(padded) - 2)}) if text else []


def _prefix_lengths(largest: int, threshold: float) -> list[int]:
    """`_prefix_length` for every size up to `largest`, by size."""
    return [_prefix_length(size, threshold) for size in range(largest + 1)]


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest items two sets this alike must share one of."""
    # EPSILON: 0.55 * 100 is 55.000000000000007 in floating point, not 55.
    return size - math.ceil(threshold * size - EPSILON) + 1 if size else 0
