"""Unit tests of near-duplicate fronts: trigram Jaccard, the prefix filter and the warnings."""

from __future__ import annotations

import random
import string
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest

from anki_tools.errors import Problems
from anki_tools.notes import Kind, Note, Source
from anki_tools.sharing import similar
from anki_tools.sharing.similar import alike_pairs, trigrams, warn_double_contributions


def note(front: str, file: str = "a.md", line: int = 1, deck: str = "Deck") -> Note:
    return Note(
        kind=Kind.BASIC,
        front=front,
        back="back",
        hint="",
        deck=deck,
        tags=(),
        source=Source(Path("notes") / file, line),
        title=front,
        root=Path("notes"),
    )


def warnings(notes: list[Note], new: list[bool] | None = None) -> list[str]:
    problems = Problems()
    warn_double_contributions(notes, new if new is not None else [True] * len(notes), problems)
    assert problems.errors == []
    return [str(p) for p in problems.items]


def brute_force(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    sets = [trigrams(text) for text in texts]
    pairs = []
    for first, second in combinations(range(len(texts)), 2):
        one, other = sets[first], sets[second]
        if one and other:
            score = len(one & other) / len(one | other)
            if score >= threshold:
                pairs.append((first, second, score))
    return pairs


# --- trigrams ----------------------------------------------------------------------------------


def test_trigrams_of_padded_words() -> None:
    assert trigrams("list") == {" li", "lis", "ist", "st "}
    assert trigrams("a b") == {" a ", "a b", " b "}
    assert trigrams("") == frozenset()
    assert trigrams("x") == {" x "}


# --- what is and is not alike ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("What is a list?", "what is a LIST"),  # case and punctuation
        ("What is a list?", "What is a list!"),
        ("  What   is\ta list?", "What is a list!"),  # spacing and punctuation
        ("ﬁle modes", "file modes!"),  # compatibility forms
        ("What are Python decorators?", "What are python decorator?"),  # plural
        ("What does `len()` return?", "What does len() returns?"),  # code marks, verb form
        ("How do you reverse a list in Python?", "How do you reverce a list in Python?"),  # typo
        ("Which keyword defines a function?", "Which keyword defines functions?"),
    ],
)
def test_alike_fronts_are_flagged(one: str, other: str) -> None:
    (warning,) = warnings([note(one, "a.md"), note(other, "b.md")])
    assert "a double contribution?" in warning


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("What is a list?", "What is a tuple?"),
        ("`git add -p`", "`git add -u`"),
        ("What does git add -p do?", "What does git add -u do?"),
        ("What does str.split return?", "What does str.strip return?"),
        ("What is a decorator?", "What is a generator?"),
        ("How do you sort a list?", "How do you sort a dict?"),
    ],
)
def test_different_fronts_are_not_flagged(one: str, other: str) -> None:
    assert warnings([note(one, "a.md"), note(other, "b.md")]) == []


def test_fronts_without_words_are_not_compared() -> None:
    assert warnings([note("`+=`", "a.md"), note("`+=`", "b.md")]) == []
    assert warnings([note("", "a.md"), note("", "b.md")]) == []


# --- the prefix filter loses nothing -------------------------------------------------------------

WORDS = [
    word
    for line in (
        "what is a list tuple dict set how do you sort reverse open file for writing",
        "reading does return value python git add commit push branch merge rebase why",
        "when which keyword function class method object string bytes int float loop",
        "iterate generator decorator",
    )
    for word in line.split()
]


def mutate(text: str, rng: random.Random) -> str:
    words = text.split()
    action = rng.randrange(5)
    if action == 0 and words:  # a typo
        at = rng.randrange(len(words))
        word = words[at]
        spot = rng.randrange(len(word))
        words[at] = word[:spot] + rng.choice(string.ascii_lowercase) + word[spot + 1 :]
    elif action == 1 and len(words) > 1:  # a word left out
        del words[rng.randrange(len(words))]
    elif action == 2:  # a word added
        words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
    elif action == 3 and words:  # a plural
        at = rng.randrange(len(words))
        words[at] += "s"
    else:  # two words swapped
        if len(words) > 1:
            first, second = rng.sample(range(len(words)), 2)
            words[first], words[second] = words[second], words[first]
    return " ".join(words)


def generated_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = ["", "a", "a", "ab"]
    while len(texts) < count:
        if texts[4:] and rng.random() < 0.6:
            text = rng.choice(texts[4:])
            for _ in range(rng.randrange(1, 3)):
                text = mutate(text, rng)
            texts.append(text)
        else:
            texts.append(" ".join(rng.choices(WORDS, k=rng.randrange(1, 9))))
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0])
def test_alike_pairs_equals_brute_force(seed: int, threshold: float) -> None:
    texts = generated_texts(seed, 300)
    expected = brute_force(texts, threshold)
    assert len(expected) > 10  # the texts do hold pairs at this threshold
    assert sorted(alike_pairs(texts, threshold)) == expected


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_alike_pairs_equals_brute_force_on_random_letters(threshold: float) -> None:
    # Few letters, so trigrams repeat a lot across texts and the rarest ones are still shared.
    rng = random.Random(threshold)
    base = ["".join(rng.choices("abcd ", k=rng.randrange(1, 25))).strip() for _ in range(120)]
    texts = base + [mutate(text, rng) for text in base]
    assert sorted(alike_pairs(texts, threshold)) == brute_force(texts, threshold)


def test_alike_pairs_default_threshold_and_order() -> None:
    texts = ["what is a list", "what is a tuple", "What is a list", "what is a lists"]
    pairs = list(alike_pairs(texts))
    assert [(a, b) for a, b, _ in pairs] == [(0, 3)]
    assert all(a < b and similar.THRESHOLD <= score <= 1 for a, b, score in pairs)
    assert list(alike_pairs(["same", "same"])) == [(0, 1, 1.0)]


def grown(text: str, size: int, rng: random.Random) -> str:
    """`text` with words added until it has exactly `size` trigrams."""
    while len(trigrams(text)) < size:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randrange(1, 4)))
        longer = f"{text} {word}".strip()
        if len(trigrams(longer)) <= size:
            text = longer
    return text


@pytest.mark.parametrize(
    ("threshold", "larger", "smaller"),
    [(0.5, 20, 10), (0.6, 25, 15), (0.7, 30, 21), (0.8, 10, 8), (0.8, 50, 40), (0.55, 100, 55)],
)
def test_pair_exactly_at_the_threshold_is_found(
    threshold: float, larger: int, smaller: int
) -> None:
    # The smaller text's trigrams are all in the larger one: Jaccard = smaller / larger,
    # exactly the threshold. The larger text's own trigrams are the rarest, so the prefix
    # filter finds the pair only if its prefix is not a trigram too short.
    rng = random.Random(larger)
    short = grown("", smaller, rng)
    long = grown(short, larger, rng)
    assert trigrams(short) <= trigrams(long)
    assert (len(trigrams(short)), len(trigrams(long))) == (smaller, larger)
    texts = [short, long]
    assert brute_force(texts, threshold) == [(0, 1, smaller / larger)]
    assert list(alike_pairs(texts, threshold)) == [(0, 1, smaller / larger)]


# --- warnings ------------------------------------------------------------------------------------


def test_warning_names_both_places() -> None:
    notes = [note("What is a list?", "a.md", 3), note("what is a LIST", "b.md", 7)]
    assert warnings(notes) == [
        "notes/b.md:7: warning: the same front as notes/a.md:3: a double contribution? "
        "Merge them, or reword one"
    ]


def test_warning_for_nearly_the_same_front_gives_the_score() -> None:
    notes = [
        note("What are Python decorators?", "a.md", 3),
        note("What are python decorator?", "b.md", 9),
    ]
    (warning,) = warnings(notes)
    assert warning.startswith("notes/b.md:9: warning: nearly the same front (89% alike) as ")
    assert "notes/a.md:3" in warning


def test_no_warning_within_one_file() -> None:
    notes = [note("What is a list?", "a.md", 1), note("what is a list", "a.md", 5)]
    assert warnings(notes) == []


def test_no_warning_across_decks() -> None:
    notes = [note("What is a list?", "a.md", deck="One"), note("What is a list?", "b.md")]
    assert warnings(notes) == []
    notes[1] = note("What is a list?", "b.md", deck="One::Sub")  # a subdeck is another deck
    assert warnings(notes) == []


def test_warning_only_when_one_of_the_pair_is_new() -> None:
    notes = [note("What is a list?", "a.md"), note("what is a list", "b.md")]
    assert warnings(notes, [False, False]) == []
    assert len(warnings(notes, [True, False])) == 1
    assert len(warnings(notes, [False, True])) == 1
    assert len(warnings(notes, [True, True])) == 1


def test_warning_goes_to_the_later_note_whichever_is_new() -> None:
    notes = [note("What is a list?", "a.md", 2), note("what is a list", "b.md", 4)]
    (warning,) = warnings(notes, [True, False])
    assert warning.startswith("notes/b.md:4: warning: ")
    assert "as notes/a.md:2:" in warning


def test_each_alike_pair_in_a_deck_is_warned_once() -> None:
    notes = [
        note("What is a list?", "a.md", 1),
        note("How do you sort a list?", "a.md", 5),
        note("what is a list", "b.md", 1),
        note("What is a list?", "c.md", 1, deck="Other"),
        note("What is a list!", "d.md", 1),
        note("How do you sort lists?", "d.md", 4),
    ]
    found = warnings(notes, [False, False, True, True, False, False])
    assert found == [
        "notes/b.md:1: warning: the same front as notes/a.md:1: a double contribution? "
        "Merge them, or reword one",
        "notes/d.md:1: warning: the same front as notes/b.md:1: a double contribution? "
        "Merge them, or reword one",
    ]


def test_fronts_equal_to_the_guid_are_left_to_the_build() -> None:
    """Fronts that differ only in spacing and case give the same guid: the build tells the
    cards apart and warns about them itself (pipeline); no second warning from here. With
    an explicit id, such a pair is still a likely double contribution."""
    assert warnings([note("  What   is\ta list?", "a.md"), note("what is a LIST?", "b.md")]) == []
    with_id = replace(note("What is a list?", "b.md"), explicit_id="lists")
    assert len(warnings([note("What is a list?", "a.md"), with_id])) == 1
