"""Continuation (primed sampling): the prompt is fed through the one sampler, then sampling goes on.

The sampler tests use micro models at their initial parameters (what is checked is the sampler's
arithmetic, not what a model learnt); the end-to-end tests use the micro stack trained on piano.
"""

import jax
import numpy as np
import pytest

from ada.generation.sampler import Sampler, sample_naive

LENGTH = 96


def _codes(spec, num):
    if not spec.is_level:
        return None
    return np.random.default_rng(0).integers(0, spec.code_vocab, (num, LENGTH // spec.hop))


def _prompt(spec, num, given):
    return np.random.default_rng(given).integers(0, spec.vocab, (num, given))


# prompt lengths: none, inside the first chunk, exactly one chunk, across a chunk boundary, the whole length
@pytest.mark.parametrize("given, temperature", [(0, 1.0), (16, 1.0), (32, 0.0), (72, 1.0), (LENGTH, 1.0)])
def test_incremental_equals_naive_with_a_prompt_and_keeps_the_prompt(micro, given, temperature):
    which, model, variables, spec = micro
    num, key = 2, jax.random.key(5)
    codes, prompt = _codes(spec, num), _prompt(spec, num, given)
    fast = Sampler(model, variables, spec, chunk=32).sample(num, LENGTH, key, temperature, codes, prompt)
    slow = sample_naive(model, variables, spec, num, LENGTH, key, temperature, codes, prompt)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast[:, :given], prompt)  # the output's prompt part is the prompt
    rechunked = Sampler(model, variables, spec, chunk=8).sample(num, LENGTH, key, temperature, codes, prompt)
    np.testing.assert_array_equal(fast, rechunked)  # where chunks fall changes nothing
    if temperature and given < LENGTH:
        assert len(np.unique(fast[:, given:])) > 5  # real draws after the prompt


def test_a_zero_length_prompt_is_unprimed_sampling(micro):
    which, model, variables, spec = micro
    key, codes = jax.random.key(9), _codes(spec, 3)
    sampler = Sampler(model, variables, spec, chunk=32)
    plain = sampler.sample(3, LENGTH, key, 1.0, codes)
    np.testing.assert_array_equal(sampler.sample(3, LENGTH, key, 1.0, codes, np.zeros((3, 0), int)), plain)
    np.testing.assert_array_equal(sample_naive(model, variables, spec, 3, LENGTH, key, 1.0, codes,
                                               np.zeros((3, 0), int)), plain)


def test_what_follows_depends_on_the_prompt(micro):
    """The prompt reaches the cache: greedy continuations of two prompts differ, and differ from unprimed."""
    which, model, variables, spec = micro
    sampler, codes = Sampler(model, variables, spec, chunk=32), _codes(spec, 1)
    given = 32
    a, b = (sampler.sample(1, LENGTH, jax.random.key(0), 0.0, codes, np.full((1, given), v)) for v in (3, 200))
    unprimed = sampler.sample(1, LENGTH, jax.random.key(0), 0.0, codes)
    assert not np.array_equal(a[:, given:], b[:, given:])
    assert not np.array_equal(a[:, given:], unprimed[:, given:])


def test_a_bad_prompt_is_refused(micro):
    which, model, variables, spec = micro
    sampler, codes = Sampler(model, variables, spec, chunk=32), _codes(spec, 2)
    with pytest.raises(ValueError, match="prompt must be"):
        sampler.sample(2, LENGTH, jax.random.key(0), 1.0, codes, np.zeros((2, LENGTH + spec.hop), int))
    with pytest.raises(ValueError, match="prompt must be"):
        sampler.sample(2, LENGTH, jax.random.key(0), 1.0, codes, np.zeros((1, 8), int))
