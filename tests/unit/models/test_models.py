import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ada.models import ADALevel, build_model, model_spec
from ada.models.base import nll
from ada.training.config import base_config, tiny


@pytest.fixture(params=["vq", "argmax"])
def level(request):
    c = tiny(base_config("ada"))
    c.model.quantiser.kind = request.param
    spec = model_spec(c.model)
    model = build_model(spec)
    tokens = jax.random.randint(jax.random.key(0), (2, 256), 0, 256)
    variables = model.init(jax.random.key(1), tokens)
    _, vq = model.apply(variables, tokens, update=True, rng=jax.random.key(2), mutable=["vq"])
    return spec, model, {**variables, **vq}, tokens


def test_level_loss_codes_and_shapes(level):
    spec, model, variables, tokens = level
    out = model.apply(variables, tokens)
    assert out["nll"].shape == () and out["loss"] >= out["nll"]
    assert 4.5 < float(out["nll"]) < 7.0  # near log 256 at initialisation
    codes = model.apply(variables, tokens, method=ADALevel.encode)
    assert codes.shape == (2, 256 // spec.hop) and int(codes.max()) < spec.quantiser.codes
    np.testing.assert_array_equal(codes, model.apply(variables, tokens, method=ADALevel.encode))


def test_sampling_path_hears_what_training_heard(level):
    """conditioning(codes) + step-by-step local model == the training forward's logits."""
    spec, model, variables, tokens = level
    tokens = tokens[:1, :64]
    codes = model.apply(variables, tokens, method=ADALevel.encode)
    cond = model.apply(variables, codes, method=ADALevel.conditioning)
    full = model.apply(variables, tokens, cond, method=lambda m, t, c: m.local(t, c))
    cache = model.apply(variables, 1, method=ADALevel.init_cache)
    step = jax.jit(lambda prev, cache, c: model.apply(variables, prev, cache, c, method=ADALevel.step))
    prev, outs = jnp.full((1,), -1), []
    for t in range(tokens.shape[1]):
        logits, cache = step(prev, cache, cond[:, t // spec.hop])
        outs.append(logits)
        prev = tokens[:, t]
    np.testing.assert_allclose(np.stack(outs, 1), full, rtol=2e-4, atol=2e-4)
    if spec.quantiser.kind == "vq":  # codes through the codebook give the vectors training used
        vectors = variables["vq"]["quantiser"]["codebook"][codes]
        direct = model.apply(variables, vectors, method=ADALevel.conditioning_from_vectors)
        np.testing.assert_allclose(cond, direct, rtol=1e-6)


def test_nll_with_other_codes_scores_each_crop_under_the_codes_of_the_real_crop_before_it(level):
    spec, model, variables, tokens = level
    a, b = tokens[:1], tokens[1:]
    rows = jnp.concatenate([a, b, a])
    codes = model.apply(variables, rows, method=ADALevel.encode)

    def under(row, codes_of):  # by hand: the local model over one crop, biased by another's codes
        cond = model.apply(variables, codes[codes_of : codes_of + 1], method=ADALevel.conditioning)
        return nll(model.apply(variables, rows[row : row + 1], cond, method=ADALevel.local_logits), rows[row : row + 1])

    other = jax.jit(lambda t, m: model.apply(variables, t, m, method=ADALevel.nll_with_other_codes))
    # b under a's codes; a (row 0) would hear the padding row's, and the padding row counts not
    np.testing.assert_allclose(other(rows, jnp.array([1.0, 1.0, 0.0])), under(1, 0), rtol=1e-5)
    # a under the codes of a (the last row, rolled round): its own NLL
    np.testing.assert_allclose(other(rows, jnp.array([1.0, 0.0, 1.0])), model.apply(variables, a)["nll"], rtol=1e-5)
    assert abs(float(under(1, 0)) - float(under(1, 1))) > 1e-4  # the codes are heard: another's change the NLL


def test_one_hot_encoder_input_and_code_vocabularies():
    c = tiny(base_config("ada"))
    c.model.vocab, c.model.encoder_input = 64, "one_hot"
    spec = model_spec(c.model)
    assert spec.encoder.vocab == 64 and spec.local.out == 64
    model = build_model(spec)
    tokens = jax.random.randint(jax.random.key(0), (1, 128), 0, 64)
    assert model.apply(model.init(jax.random.key(1), tokens), tokens)["nll"] < np.log(64) + 1


def test_paper_level_receptive_fields():
    fields = model_spec(base_config("ada").model).receptive_fields()
    assert fields == {"local": 1024, "encoder": 512, "modulator": 512}


def test_prior_is_an_unconditioned_local_model():
    c = tiny(base_config("prior"))
    spec = model_spec(c.model)
    model = build_model(spec)
    tokens = jax.random.randint(jax.random.key(0), (2, 128), 0, 256)
    variables = model.init(jax.random.key(1), tokens)
    assert "vq" not in variables and not spec.is_level and spec.conditioning_context == 0
    assert model.apply(variables, tokens)["loss"] == model.apply(variables, tokens)["nll"]


def test_input_dropout_replaces_the_share_asked_and_only_in_training():
    from ada.models.level import drop_tokens

    tokens = jnp.full((4, 4096), 7)
    dropped = drop_tokens(tokens, 0.3, 256, jax.random.key(0))
    changed = float(jnp.mean(dropped != tokens))  # a draw of 7 itself leaves the token as it was
    assert abs(changed - 0.3 * 255 / 256) < 0.01
    assert int(dropped.min()) >= 0 and int(dropped.max()) < 256 and dropped.dtype == tokens.dtype
    np.testing.assert_array_equal(drop_tokens(tokens, 0.0, 256, jax.random.key(0)), tokens)

    c = tiny(base_config("ada"))
    plain = model_spec(c.model)
    c.model.input_dropout = 0.5
    spec = model_spec(c.model)
    assert spec.input_dropout == 0.5 and plain.input_dropout == 0.0
    tokens = jax.random.randint(jax.random.key(0), (2, 256), 0, 256)
    model, reference = build_model(spec), build_model(plain)
    variables = model.init(jax.random.key(1), tokens)
    # evaluation and sampling hear the true past: the same numbers as a level without it
    np.testing.assert_array_equal(model.apply(variables, tokens)["nll"], reference.apply(variables, tokens)["nll"])
    rng = jax.random.key(2)

    def trained(m):
        return m.apply(variables, tokens, update=True, rng=rng, mutable=["vq"])[0]["nll"]

    # in training the local model hears a corrupted past and is scored against the true tokens
    assert float(trained(model)) != float(trained(reference))
    np.testing.assert_array_equal(trained(model), trained(model))  # the same rng drops the same tokens
    c.model.input_dropout = 1.0
    with pytest.raises(ValueError, match="model.input_dropout must be in"):
        model_spec(c.model)
