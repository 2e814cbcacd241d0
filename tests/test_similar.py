"""Unit tests of near-duplicate fronts: trigram Jaccard, the prefix filter and the warnings."""

from __future__ import annotations

import gc
import random
import string
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest

from anki_tools.errors import Problem, Problems, Severity
from anki_tools.notes import Kind, Note, Source
from anki_tools.result import BuildResult
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
@pytest.mark.parametrize("threshold", [0.6, 0.7, 0.75, 0.8, 0.9, 1.0])
def test_alike_pairs_equals_brute_force(seed: int, threshold: float) -> None:
    texts = generated_texts(seed, 300)
    expected = brute_force(texts, threshold)
    assert len(expected) > 10  # the texts do hold pairs at this threshold
    assert sorted(alike_pairs(texts, threshold)) == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [0.3, 0.5])
def test_alike_pairs_beyond_the_bound_are_true_and_most_of_them(
    seed: int, threshold: float
) -> None:
    """So low a threshold makes a text of these 300 alike up to 43 others, more than
    a text is compared with (similar.CANDIDATES): the pairs found are true ones, most of
    them, and nearly every text that has an alike one is found with one."""
    texts = generated_texts(seed, 300)
    expected = brute_force(texts, threshold)
    partners = Counter(text for pair in expected for text in pair[:2])
    found = sorted(alike_pairs(texts, threshold))
    assert set(found) <= set(expected)
    assert len(found) >= 0.75 * len(expected)
    assert len({text for pair in found for text in pair[:2]}) >= 0.98 * len(partners)


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


def test_a_card_alike_several_is_warned_once_naming_the_most_alike() -> None:
    notes = [
        note("What does len() return?", "a.md", 1),
        note("What does len() returns?", "b.md", 1),
        replace(note("What does len() return?", "c.md", 1), explicit_id="len"),
    ]
    found = warnings(notes, [False, False, True])
    assert found == [
        "notes/c.md:1: warning: the same front as notes/a.md:1: a double contribution? "
        "Merge them, or reword one"
    ]


# --- how the warnings are shown ----------------------------------------------------------------


def shown(notes: list[Note], check: bool = False) -> list[str]:
    """The lines a build (or a check) prints for these notes, all new."""
    problems = Problems()
    warn_double_contributions(notes, [True] * len(notes), problems)
    result = BuildResult(None if check else Path("deck.apkg"), problems=problems.items)
    return [str(p) for p in result.shown_problems()]


REVERSE = "How do you reverse a list in place in Python"


def cluster(front: str, size: int, first_file: int = 0) -> list[Note]:
    """`size` cards in files of their own whose fronts are nearly `front`."""
    return [note(f"{front} v{i}?", f"{first_file + i}.md", 2) for i in range(size)]


def test_a_cluster_of_alike_fronts_is_one_line_naming_them_all() -> None:
    notes = cluster(REVERSE, 3)
    notes += [note("What is a tuple?", "t.md"), note("What is a tuple!", "u.md", 5)]  # a pair
    assert shown(notes) == [
        "notes/1.md:2: warning: 3 fronts in deck 'Deck' are the same or nearly the same: "
        "notes/0.md:2, notes/1.md:2, notes/2.md:2: double contributions? Merge them, or "
        "reword them so they differ",
        "notes/u.md:5: warning: the same front as notes/t.md:1: a double contribution? "
        "Merge them, or reword one",
    ]


def test_a_big_cluster_names_its_first_cards_and_how_many_more() -> None:
    (line,) = shown(cluster(REVERSE, 40))
    assert line.startswith("notes/1.md:2: warning: 40 fronts in deck 'Deck' are the same or ")
    places = [f"notes/{i}.md:2" for i in range(similar.PLACES_SHOWN)]
    assert ": " + ", ".join(places) + f", … (and {40 - similar.PLACES_SHOWN} more): " in line


def test_a_build_shows_a_bounded_number_of_clusters_and_where_to_see_all() -> None:
    fronts = [f"How do you open {word} files in Python" for word in ALPHABET_WORDS]
    notes = [n for at, front in enumerate(fronts) for n in cluster(front, 2 + at % 3, at * 10)]
    assert len(ALPHABET_WORDS) > similar.GROUPS_SHOWN
    built = shown(notes)
    checked = shown(notes, check=True)
    assert len(checked) == len(fronts)  # every cluster, one line each
    assert built[: similar.GROUPS_SHOWN] == checked[: similar.GROUPS_SHOWN]
    hidden = len(fronts) - similar.GROUPS_SHOWN
    cards = sum(2 + at % 3 for at in range(similar.GROUPS_SHOWN, len(fronts)))
    first_hidden = checked[similar.GROUPS_SHOWN].split(": warning: ")[0]
    assert built[similar.GROUPS_SHOWN :] == [
        f"{first_hidden}: warning: and {hidden} more groups of the same or nearly the same "
        f"fronts ({cards} cards), not shown: 'anki-tools check' lists them all"
    ]


ALPHABET_WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
ALPHABET_WORDS += ["india", "juliet", "kilo", "lima"]


def test_the_summary_counts_every_warning_however_they_are_shown() -> None:
    problems = Problems()
    notes = cluster(REVERSE, 30)
    warn_double_contributions(notes, [True] * len(notes), problems)
    result = BuildResult(Path("deck.apkg"), notes=30, cards=30, problems=problems.items)
    assert len(result.shown_problems()) == 1
    assert "(0 errors, 29 warnings)" in result.summary()


def test_other_warnings_keep_their_place_among_the_clusters() -> None:
    other = Problem(Source(Path("notes/z.md"), 4), "unknown code language 'pyhton'")
    problems = Problems()
    notes = cluster(REVERSE, 3)
    warn_double_contributions(notes, [True] * 3, problems)
    items = [replace(other, severity=Severity.WARNING), *problems.items]
    lines = [str(p) for p in BuildResult(None, problems=items).shown_problems()]
    assert lines[0] == "notes/z.md:4: warning: unknown code language 'pyhton'"
    assert lines[1].startswith("notes/1.md:2: warning: 3 fronts in deck 'Deck' ")
    assert len(lines) == 2


# --- bounded time and memory ---------------------------------------------------------------------


def adversarial(count: int) -> list[Note]:
    """Thousands of fronts like "What does `x_17` do?", 25 cards a file: the same fifty
    fronts again and again, each alike many others. Comparing each card with every card
    that shares its rarest trigrams took time quadratic in the cards."""
    return [note(f"What does `x_{i % 50}` do?", f"{i // 25}.md", i % 25 + 1) for i in range(count)]


def test_the_check_takes_time_linear_in_the_cards_on_adversarial_decks() -> None:
    def seconds(count: int) -> float:
        notes = adversarial(count)
        best = float("inf")
        gc.collect()
        gc.disable()  # a collection of the whole suite's objects is no part of the work
        try:
            for _ in range(3):
                start = time.process_time()
                warn_double_contributions(notes, [True] * count, Problems())
                best = min(best, time.process_time() - start)
        finally:
            gc.enable()
        return best

    # Four times the cards: about 4 times the time (quadratic: 16 times; it was 19).
    ratios = [seconds(8000) / max(seconds(2000), 1e-3) for _ in range(3)]
    assert min(ratios) <= 8, ratios


def test_the_check_holds_memory_linear_in_the_cards_when_all_fronts_are_alike() -> None:
    """Every pair is alike: the warnings (one a card) and the candidates must not grow
    with the pairs (they held every pair: 16 times the memory for 4 times the cards)."""

    def peak(count: int) -> int:
        notes = [note(f"What does `x` do? {'!' * (i % 3)}", f"{i}.md") for i in range(count)]
        problems = Problems()
        gc.collect()
        tracemalloc.start()
        try:
            warn_double_contributions(notes, [True] * count, problems)
            assert len(problems.items) == count - 1  # every card but the first
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak(4000) / peak(1000) <= 6
