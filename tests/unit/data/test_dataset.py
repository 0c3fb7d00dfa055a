"""No command destroys a dataset: prepare adds, removing is explicit, other kinds are refused, and each
dataset records what made it."""



from ada.audio.prepare import prepare
from ada.data.dataset import open_dataset

from helpers import write_audio
from support.datasets import names


def test_a_file_named_again_with_new_content_is_replaced(folder, tmp_path):
    out = tmp_path / "out"
    prepare([folder], out, progress=False)
    write_audio(folder / "f0.wav", 16000, 0.7, seed=99)
    prepare([folder / "f0.wav"], out, progress=False)
    ds = open_dataset(out)
    assert names(out) == ["f0.wav", "f1.wav", "f2.wav", "f3.wav"]
    assert [f["length"] for f in ds.files if f["path"].endswith("f0.wav")][0] > 0.6 * 16000
