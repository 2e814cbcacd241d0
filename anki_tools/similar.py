"""Fronts that are the same or nearly the same in one deck: a likely double contribution.

Fronts are compared as sets of letter trigrams of their words (so "returns" and "return",
or a typo, still look alike) by Jaccard similarity. Comparing every pair would be slow
for big decks, so candidates come from a prefix filter (Bayardo et al., "Scaling up all
pairs similarity search", 2007): two sets this alike must share one of their rarest
trigrams.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Sequence

from .errors import Problems
from .identity import normalize
from .notes import Note

THRESHOLD = 0.8
EPSILON = 1e-9
WORD_RE = re.compile(r"\w+")


def warn_double_contributions(notes: list[Note], new: list[bool], problems: Problems) -> None:
    """Warn about each pair of alike fronts in one deck, in different files, one of them new.

    Pairs of notes both known to the lock were reported when the second one came in, so
    known notes are only indexed, never looked up: a rebuild with few new cards is quick.
    """
    by_deck: dict[str, list[int]] = defaultdict(list)
    for position in sorted(range(len(notes)), key=lambda p: new[p]):  # known ones first
        by_deck[notes[position].deck].append(position)
    warnings = []
    for positions in by_deck.values():
        if not any(new[p] for p in positions):
            continue
        texts = [_words(notes[p].front) for p in positions]
        files = [notes[p].source.path for p in positions]
        probing = [new[p] for p in positions]
        for first, second, score in alike_pairs(texts, THRESHOLD, probing, files):
            one, other = sorted((positions[first], positions[second]))
            same = texts[first] == texts[second]
            warnings.append((other, one, _message(notes[one], score, same)))
    for other, _, message in sorted(warnings):  # in build order, whatever the deck
        problems.warning(notes[other].source, message)


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

    With `probing`, a text marked False is only indexed: pairs of two such texts are not
    looked for (put them first). With `groups`, pairs within one group are left out.
    """
    sets = [trigrams(text) for text in texts]
    frequency = Counter(gram for grams in sets for gram in grams)
    index: dict[str, list[int]] = defaultdict(list)
    for position, grams in enumerate(sets):
        if not grams:
            continue
        rarest_first = sorted(grams, key=lambda gram: (frequency[gram], gram))
        # EPSILON: 0.55 * 100 is 55.000000000000007 in floating point, not 55.
        prefix = rarest_first[: len(grams) - math.ceil(threshold * len(grams) - EPSILON) + 1]
        if probing is None or probing[position]:
            candidates = sorted({earlier for gram in prefix for earlier in index[gram]})
            for earlier in candidates:
                if groups is not None and groups[earlier] == groups[position]:
                    continue
                score = _alike(sets[earlier], grams, threshold)
                if score is not None:
                    yield earlier, position, score
        for gram in prefix:
            index[gram].append(position)


def _alike(one: frozenset[str], other: frozenset[str], threshold: float) -> float | None:
    """Their Jaccard similarity if it reaches `threshold` (sizes too far apart can't)."""
    small, large = sorted((len(one), len(other)))
    if small < threshold * large - EPSILON:
        return None
    score = _jaccard(one, other)
    return score if score >= threshold else None


def _jaccard(one: frozenset[str], other: frozenset[str]) -> float:
    shared = len(one & other)
    return shared / (len(one) + len(other) - shared)
