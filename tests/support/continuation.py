"""Shared by tests/unit/generation/test_continue.py and tests/e2e/generation/test_continue.py."""

import jax
import jax.numpy as jnp
import pytest

from ada.models import build_model, model_spec
from ada.training.config import base_config, wavenet

import micro_config


def _model(which: str):
    """(model, variables, spec) of the micro level or a small prior, at their initial parameters."""
    if which == "level":
        cfg = micro_config.get_config()
    else:
        cfg = base_config("prior")
        cfg.model.local = wavenet(2, 3, 2, 16, 8, 16)
    spec = model_spec(cfg.model)
    model = build_model(spec)
    variables = model.init(jax.random.key(1), jnp.zeros((1, 64), jnp.int32))
    return model, variables, spec


@pytest.fixture(scope="module", params=["level", "prior"])
def micro(request):
    return request.param, *_model(request.param)
