"""Fronts that are the same or nearly the same in one deck: a likely double contribution.

Fronts are compared as sets of letter trigrams of their words (so "returns" and "return",
or a typo, still look alike) by Jaccard similarity. Comparing every pair would be slow
for big decks, so candidates come from a prefix filter: two sets this alike must share
one of their rarest trigrams.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Sequence

from ..errors import Problems
from ..notes import Note
from .identity import has_front_guid, normalize

THRESHOLD = 0.8
EPSILON = 1e-9
WORD_RE = re.compile(r"\w+")


def warn_double_contributions(notes: list[Note], new: list[bool], problems: Problems) -> None:
    """Warn about each pair of alike fronts in one deck, in different files, one of them new.

    Pairs of notes both known to the lock were reported when the second one came in, so
    they are not looked for: a rebuild with few new cards is quick.
    """
    by_deck: dict[str, list[int]] = defaultdict(list)
    for position, note in enumerate(notes):
        by_deck[note.deck].append(position)
    warnings = []
    for positions in by_deck.values():
        if not any(new[p] for p in positions):
            continue
        texts = [_words(notes[p].front) for p in positions]
        paths = [str(notes[p].source.path) for p in positions]
        probing = [new[p] for p in positions]
        for first, second, score in alike_pairs(texts, THRESHOLD, probing, paths):
            one, other = sorted((positions[first], positions[second]))
            if _told_apart_already(notes[one], notes[other]):
                continue
            same = texts[first] == texts[second]
            warnings.append((other, one, _message(notes[one], score, same)))
    for other, _, message in sorted(warnings):  # in build order, whatever the deck
        problems.warning(notes[other].source, message)


def _told_apart_already(earlier: Note, later: Note) -> bool:
    """Fronts equal to the guid's eye: the build gave the later card its own identity
    and warned already (pipeline._warn_same_fronts)."""
    return (
        has_front_guid(earlier)
        and has_front_guid(later)
        and normalize(earlier.front) == normalize(later.front)
    )


def _message(earlier: Note, score: float, same: bool) -> str:
    how = "the same front" if same else f"nearly the same front ({score:.0%} alike)"
    return f"{how} as {earlier.source}: a double contribution? Merge them, or reword one"


def _words(front: str) -> str:
    return " ".join(WORD_RE.findall(normalize(front)))


def trigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2)) if text else frozenset()


def alike_pairs(
    texts: list[str],
    threshold: float = THRESHOLD,
    probing: list[bool] | None = None,
    groups: Sequence[Hashable] | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Every pair (earlier, later, similarity) of texts at least `threshold` alike.

    With `probing`, pairs of two texts marked False are not looked for. With `groups`,
    pairs within one group are left out. Texts go from small to large, each looked up
    with its probing prefix and indexed with the shorter indexing prefix (Xiao et al.,
    "Efficient similarity joins for near duplicate detection", 2008).
    """
    sets = [trigrams(text) for text in texts]
    labels = list(groups) if groups is not None else list(range(len(texts)))
    frequency = Counter(gram for grams in sets for gram in grams)
    every: dict[str, list[int]] = defaultdict(list)  # all texts so far
    looked_for: dict[str, list[int]] = defaultdict(list)  # those marked True so far
    for position in sorted(range(len(sets)), key=lambda p: (len(sets[p]), p)):
        grams = sets[position]
        rarest_first = sorted(grams, key=lambda gram: (frequency[gram], gram))
        probes = probing is None or probing[position]
        index = every if probes else looked_for
        prefix = rarest_first[: _prefix_length(len(grams), threshold)]
        # Texts come small to large: a much smaller earlier one cannot be this alike.
        smallest = threshold * len(grams) - EPSILON
        for earlier in sorted({earlier for gram in prefix for earlier in index[gram]}):
            if len(sets[earlier]) < smallest or labels[earlier] == labels[position]:
                continue
            score = _jaccard(sets[earlier], grams)
            if score >= threshold:
                yield min(earlier, position), max(earlier, position), score
        for gram in rarest_first[: _prefix_length(len(grams), 2 * threshold / (1 + threshold))]:
            every[gram].append(position)
            if probes:
                looked_for[gram].append(position)


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest items two sets this alike must share one of."""
    # EPSILON: 0.55 * 100 is 55.000000000000007 in floating point, not 55.
    return size - math.ceil(threshold * size - EPSILON) + 1 if size else 0


def _jaccard(one: frozenset[str], other: frozenset[str]) -> float:
    shared = len(one & other)
    return shared / (len(one) + len(other) - shared)
