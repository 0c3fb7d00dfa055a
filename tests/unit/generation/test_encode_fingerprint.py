"""What names a level's codes: a level resumed to a later horizon keeps its codes; other weights do not."""

import hashlib
import json

from ada.generation.encode import level_fingerprints


def test_codes_are_named_by_the_weights_not_by_how_far_training_was_asked_to_go(tmp_path):
    config = {"model": {"kind": "ada", "hop": 8}, "train": {"steps": 4000, "eval_every": 500, "learning_rate": 1e-3}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    first = level_fingerprints(tmp_path, 4000)
    # resumed to a later horizon at the same step (what `ada release train --level1-steps` does to a trained level)
    config["train"].update(steps=16701, eval_every=2000)
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert level_fingerprints(tmp_path, 4000)[0] == first[0]
    assert level_fingerprints(tmp_path, 4500)[0] != first[0]  # another checkpoint
    config["train"]["learning_rate"] = 2e-4  # other weights at the same step
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert level_fingerprints(tmp_path, 4000)[0] != first[0]
    # codes encoded before the horizon was left out recorded the hash of the whole config file and the step
    text = (tmp_path / "config.json").read_text()
    assert level_fingerprints(tmp_path, 4000)[1] == hashlib.sha256((text + "4000").encode()).hexdigest()[:12]
