"""How good a model is: spectral distances between audio clips (more measures join for `ada eval`)."""

from __future__ import annotations

import numpy as np

from ada import SAMPLE_RATE

STFT_SIZES = (2048, 1024, 512, 256, 128)


def _log_magnitude(x: np.ndarray, n_fft: int) -> np.ndarray:
    import librosa

    return np.log(np.abs(librosa.stft(np.asarray(x, np.float32), n_fft=n_fft, hop_length=n_fft // 4)) + 1e-5)


def log_stft_distance(a: np.ndarray, b: np.ndarray, sizes=STFT_SIZES) -> float:
    """Multi-scale log-STFT distance: mean |log|A| − log|B|| over five FFT sizes (phase-blind)."""
    n = min(len(a), len(b))
    return float(np.mean([np.mean(np.abs(_log_magnitude(a[:n], s) - _log_magnitude(b[:n], s))) for s in sizes]))


def log_mel_distance(a: np.ndarray, b: np.ndarray, n_mels: int = 80) -> float:
    """Mean absolute difference of log-mel spectrograms (1024-point FFT, hop 256, 80 bands)."""
    import librosa

    n = min(len(a), len(b))

    def mel(x):
        m = librosa.feature.melspectrogram(y=np.asarray(x[:n], np.float32), sr=SAMPLE_RATE, n_fft=1024,
                                           hop_length=256, n_mels=n_mels)
        return np.log(m + 1e-5)

    return float(np.mean(np.abs(mel(a) - mel(b))))


def _sweep(model, variables, data, split: str, crop: int, batch_size: int, crops: int, encode=None):
    """Mean NLL over a fixed sweep of a split; with `encode`, also the codes of those crops."""
    import jax

    from ada.loader import eval_batches
    from ada.models import ADALevel
    from ada.train import make_eval_step

    eval_step = jax.jit(make_eval_step(model))  # the trainer's own eval step
    codes_of = jax.jit(lambda v, t: model.apply(v, t, method=ADALevel.encode)) if encode else None
    total = count = 0.0
    codes = []
    for batch in eval_batches(data, crop=crop, batch_size=batch_size, max_crops=crops, split=split, shard=(0, 1)):
        nll, rows = eval_step(variables, batch)
        total, count = total + float(nll), count + float(rows)
        if codes_of is not None:
            codes.append(np.asarray(codes_of(variables, batch["tokens"]))[batch["mask"] > 0])
    return total / max(count, 1), (np.concatenate(codes) if codes else None)


def evaluate(workdir, data, crops: int = 256, excerpts: int = 3, samples: int = 2, seconds: float = 2.0,
             batch_size: int = 16, out=None) -> dict:
    """NLL on train and eval (EMA parameters); for a level, code usage and reconstruction distances."""
    from pathlib import Path

    import jax.numpy as jnp

    from ada.dataset import DatasetError, open_dataset
    from ada.nn.quantise import usage_stats
    from ada.train import load_state

    config, spec, model, state = load_state(workdir)
    ds = open_dataset(data)
    if ds.vocab != spec.vocab:
        raise DatasetError(f"{data} has vocabulary {ds.vocab} but {workdir} models {spec.vocab}")
    variables = state.eval_variables
    crop = config.data.crop
    result = {"model": Path(workdir).name, "kind": spec.kind, "step": int(state.step), "data": str(data)}
    result["train_nll"], _ = _sweep(model, variables, ds, "train", crop, batch_size, crops)
    result["eval_nll"], codes = _sweep(model, variables, ds, "eval", crop, batch_size, crops, spec.kind == "ada")
    if spec.kind == "ada":
        usage = usage_stats(jnp.asarray(codes), spec.code_vocab)
        result.update(codebook=spec.code_vocab, perplexity=float(usage["perplexity"]),
                      codes_used=int(usage["codes_used"]))
        if ds.index.get("kind") == "audio" and excerpts:
            result.update(_reconstruction_distances(workdir, ds, excerpts, samples, seconds,
                                                    Path(out or Path(workdir) / "eval") / "reconstructions"))
    return result


def _reconstruction_distances(workdir, ds, excerpts: int, samples: int, seconds: float, out) -> dict:
    from ada.render import excerpts_from, reconstruct
    from ada.stack import level_stack

    stack = level_stack(workdir)
    frames = int(seconds * SAMPLE_RATE) // stack.hop * stack.hop
    chosen = excerpts_from(ds, "eval", excerpts, frames)
    found = {"log_stft": [], "log_mel": []}
    for k in range(samples):  # the same stack each time: its samplers compile once
        r = reconstruct(stack, chosen, out / f"sample-{k}", levels=1, seed=1000 * k)
        found["log_stft"] += [x["log_stft_to_original"] for x in r["results"]]
        found["log_mel"] += [x["log_mel_to_original"] for x in r["results"]]
    return {"log_stft_distance": float(np.mean(found["log_stft"])), "log_mel_distance": float(np.mean(found["log_mel"])),
            "reconstructions": f"{excerpts} excerpts × {samples} samples of {seconds:g} s"}


TABLE_HEADER = ("| model | step | train NLL | eval NLL | perplexity | codes used | log-STFT | log-mel |\n"
                "|---|---|---|---|---|---|---|---|")


def markdown_row(r: dict) -> str:
    """One row shaped like the paper's Tables 1 and 2 (NLL in nats per timestep)."""
    def f(key, fmt):
        return format(r[key], fmt) if key in r else "–"

    codes = f"{r['codes_used']} / {r['codebook']}" if "codes_used" in r else "–"
    return (f"| {r['model']} | {r['step']} | {f('train_nll', '.3f')} | {f('eval_nll', '.3f')} | {f('perplexity', '.1f')} "
            f"| {codes} | {f('log_stft_distance', '.3f')} | {f('log_mel_distance', '.3f')} |")
