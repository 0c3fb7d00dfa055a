import matplotlib.image
import numpy as np

from ada.notes.midi import stream_names
from ada.notes.playback import COLOURS, piano_roll_png, piano_rolls_row_png
from ada.notes.representation import FIRST_PITCH_CLASS, MIN_PITCH


def colours_in(path) -> set[str]:
    pixels = (matplotlib.image.imread(path)[..., :3] * 255).round().astype(int).reshape(-1, 3)
    present = {"#%02x%02x%02x" % tuple(p) for p in np.unique(pixels, axis=0)}
    return {c for c in COLOURS if c in present}


def chorale(steps: int = 32, shift: int = 0) -> np.ndarray:
    """Four voices holding a chord (soprano highest), each a note per half bar."""
    window = np.zeros((4, steps), np.int32)
    for voice, pitch in enumerate((72, 67, 64, 48)):
        window[voice, ::8] = pitch + shift - MIN_PITCH + FIRST_PITCH_CLASS
    return window


def test_a_chorale_is_drawn_in_one_colour_per_voice(tmp_path):
    assert len(stream_names("voices")) == 4
    png = piano_roll_png(chorale(), "voices", tmp_path / "roll.png", title="chorale")
    assert colours_in(png) == set(COLOURS[:4])


def test_a_path_is_one_row_of_rolls_on_one_pitch_axis(tmp_path):
    one = piano_roll_png(chorale(), "voices", tmp_path / "one.png")
    path = [(f"t = {t}", chorale(shift=k)) for k, t in enumerate((0, 0.5, 1))]
    png = piano_rolls_row_png(path, "voices", tmp_path / "path.png")
    height, width = matplotlib.image.imread(png).shape[:2]
    assert width > 2.5 * height  # three windows side by side, not stacked
    assert colours_in(png) == set(COLOURS[:4]) and colours_in(one) == set(COLOURS[:4])
