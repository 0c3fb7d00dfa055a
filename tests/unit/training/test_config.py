import functools
import importlib.util
import re

import pytest

from ada.audio.prepare import Recipe, prepare
from ada.data.dataset import DatasetError
from ada.training.config import ConfigError, validate

from helpers import MICRO


def micro_config(data):
    spec = importlib.util.spec_from_file_location("micro", MICRO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.data.path = str(data)
    return config


def test_a_model_of_audio_must_hear_it_with_its_datasets_preemphasis(recordings, tmp_path):
    prepare([recordings], tmp_path / "shaped", Recipe(preemphasis=0.85), progress=False)
    config = micro_config(tmp_path / "shaped")
    config.data.crop = 1024
    expected = r"pre-emphasis 0.85 but the model's is 0: set --config.data.preemphasis=0.85"
    with pytest.raises(ConfigError, match=expected):
        validate(config, devices=1, processes=1)
    config.data.preemphasis = 0.85
    validate(config, devices=1, processes=1)  # agreed: checked on to the splits, which hold 1,024-token crops


@pytest.mark.parametrize("field, value, message", [
    ("model.vocab", 64, "model.vocab=64 but dataset"),
    ("model.hop", 7, "model.hop=7 does not divide data.crop=256"),
    ("data.crop", 8, "data.crop=8 is shorter than the local model's receptive field (16 steps)"),
    ("data.path", "/nonexistent/data", "/nonexistent/data: no such dataset directory"),
    ("data.batch_size", 7, "data.batch_size=7 is not divisible by the 2 devices"),
    ("train.dtype", "float16", "train.dtype must be float32 or bfloat16"),
    ("model.quantiser.kind", "gumbel", "unknown quantiser 'gumbel'"),
    ("model.input_dropout", 1.0, "model.input_dropout must be in [0, 1)"),
])
def test_a_config_that_cannot_train_is_refused_by_name_before_anything_compiles(piano, field, value, message):
    """What `ada train` prints as its one `error:` line (tests/e2e/training/test_trainer.py runs two)."""
    config = micro_config(piano)
    *parents, leaf = field.split(".")
    setattr(functools.reduce(getattr, parents, config), leaf, value)
    with pytest.raises((ConfigError, DatasetError), match=re.escape(message)):
        validate(config, devices=2, processes=1)


def test_a_workdir_written_before_a_model_field_existed_resumes_at_its_old_value(tmp_path):
    import json

    from ada.training.checkpoint import record_config

    config = micro_config(tmp_path)
    old = json.loads(config.to_json())
    del old["model"]["input_dropout"]  # as config.json was written before the field
    (tmp_path / "config.json").write_text(json.dumps(old))
    record_config(tmp_path, config)  # the same model
    assert json.loads((tmp_path / "config.json").read_text())["model"]["input_dropout"] == 0.0
    (tmp_path / "config.json").write_text(json.dumps(old))
    config.model.input_dropout = 0.5
    with pytest.raises(ConfigError, match="holds a checkpoint of a different model"):
        record_config(tmp_path, config)
