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
from collections.abc import Iterator

from .errors import Problems
from .identity import normalize
from .notes import Note

THRESHOLD = 0.8
EPSILON = 1e-9
WORD_RE = re.compile(r"\w+")


def warn_double_contributions(notes: list[Note], new: list[bool], problems: Problems) -> None:
    """Warn about each pair of alike fronts in one deck, in different files, one of them new.

    Pairs of notes both known to the lock were reported when the second one came in.
    """
    by_deck: dict[str, list[int]] = defaultdict(list)
    for position, note in enumerate(notes):
        by_deck[note.deck].append(position)
    for positions in by_deck.values():
        texts = [_words(notes[p].front) for p in positions]
        for first, second, score in alike_pairs(texts):
            one, other = notes[positions[first]], notes[positions[second]]
            if one.source.path == other.source.path:
                continue
            if new[positions[first]] or new[positions[second]]:
                problems.warning(other.source, _message(one, score, texts[first] == texts[second]))


def _message(earlier: Note, score: float, same: bool) -> str:
    how = "the same front" if same else f"nearly the same front ({score:.0%} alike)"
    return f"{how} as {earlier.source}: a double contribution? Merge them, or reword one"


def _words(front: str) -> str:
    return " ".join(WORD_RE.findall(normalize(front)))


def trigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2)) if text else frozenset()


def alike_pairs(texts: list[str], threshold: float = THRESHOLD) -> Iterator[tuple[int, int, float]]:
    """Every pair (earlier, later, similarity) of texts at least `threshold` alike."""
    sets = [trigrams(text) for text in texts]
    frequency = Counter(gram for grams in sets for gram in grams)
    index: dict[str, list[int]] = defaultdict(list)
    for position, grams in enumerate(sets):
        if not grams:
            continue
        rarest_first = sorted(grams, key=lambda gram: (frequency[gram], gram))
        # EPSILON: 0.55 * 100 is 55.000000000000007 in floating point, not 55.
        prefix = rarest_first[: len(grams) - math.ceil(threshold * len(grams) - EPSILON) + 1]
        candidates = sorted({earlier for gram in prefix for earlier in index[gram]})
        for earlier in candidates:
            sizes = sorted((len(sets[earlier]), len(grams)))
            if sizes[0] < threshold * sizes[1] - EPSILON:  # too different in size to be alike
                continue
            score = _jaccard(sets[earlier], grams)
            if score >= threshold:
                yield earlier, position, score
        for gram in prefix:
            index[gram].append(position)


def _jaccard(one: frozenset[str], other: frozenset[str]) -> float:
    shared = len(one & other)
    return shared / (len(one) + len(other) - shared)
