import importlib.util

import pytest

from ada.audio.prepare import Recipe, prepare
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
