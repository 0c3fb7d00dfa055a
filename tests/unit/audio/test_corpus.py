import json

from ada.audio.corpus import KEYBOARD, SMALL, Variation, pieces, takes


def test_variants_are_drawn_from_the_seed_and_the_piece_alone():
    v = Variation(seed=3)
    assert v.draw("bach/bwv1.6.mxl") == Variation(seed=3).draw("bach/bwv1.6.mxl")
    drawn = [v.draw(p) for p in SMALL]
    assert {d["soundfont"] for d in drawn} == {"fluidr3", "musescore"}
    assert {d["preset"] for d in drawn} == {"grand", "bright"}
    assert all(0.9 <= d["tempo"] <= 1.1 and -2 <= d["transpose"] <= 2 and 0.8 <= d["velocity"] <= 1.2
               for d in drawn)
    assert drawn != [Variation(seed=4).draw(p) for p in SMALL]


def test_small_corpus_lists_one_piece_per_work():
    assert len(SMALL) == len(set(SMALL)) and pieces("small") == SMALL


def test_medium_corpus_plays_every_piano_work_in_three_variants():
    medium, full = pieces("medium"), pieces("full")
    assert len(medium) == len(set(medium)) and set(medium) < set(full) and pieces("medium") == medium
    keyboard = [p for p in full if p.split("/")[0] in KEYBOARD]
    assert len(keyboard) == 11 and set(keyboard) <= set(medium)
    assert {takes("medium", p) for p in keyboard} == {3} and takes("medium", "bach/bwv10.7.mxl") == 2
    assert takes("medium", "palestrina/Agnus_01.krn") == 1 and takes("small", keyboard[0]) == 1
    assert takes("full", keyboard[0]) == 1
    v = Variation()
    drawn = [v.draw("joplin/maple_leaf_rag.mxl", k) for k in range(3)]
    assert drawn[0] == v.draw("joplin/maple_leaf_rag.mxl")  # take 0: the variant the other sizes play
    assert len({json.dumps(d, sort_keys=True) for d in drawn}) == 3


def test_the_held_out_works_are_in_neither_training_corpus_and_span_the_families():
    from ada.audio.corpus import HELD_OUT, SMALL, _work

    held, medium = pieces("heldout"), pieces("medium")
    assert len(held) == len(set(held)) >= 8 and set(held) < set(pieces("full"))
    assert {w.split("/", 1)[0] for w in held} == set(HELD_OUT) and len(HELD_OUT) >= 4
    assert not {_work(w) for w in held} & {_work(w) for w in medium + SMALL}  # no edition of a training work
    assert _work("bach/bwv190.7-inst.mxl") == _work("bach/bwv190.7.mxl")
