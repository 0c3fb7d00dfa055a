"""`ada profile`: the predictability profile of a dataset (paper, Fig. 2).

For each receptive field r, the paper's 3-layer predictor is trained on the data (audio or codes)
by the one trainer, in WORKDIR/rf-r (so a stopped profile resumes), and its eval NLL is recorded;
r = 0 is the unigram entropy of the eval split under the train split's token frequencies. How
fast the NLL falls with r shows how much of the data's predictability lies at short range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ada.data.atomic import write_json
from ada.data.dataset import open_dataset
from ada.training.config import predictor_config
from ada.training.trainer import train


def unigram_nll(data) -> float:
    """Cross-entropy (nats) of eval tokens under add-one-smoothed train token frequencies."""
    ds = open_dataset(data)
    counts = np.ones(ds.vocab)
    for f in ds.split("train"):
        counts += np.bincount(np.asarray(ds.tokens(f)), minlength=ds.vocab)
    log_p = np.log(counts / counts.sum())
    seen = np.zeros(ds.vocab)
    for f in ds.split("eval"):
        seen += np.bincount(np.asarray(ds.tokens(f)), minlength=ds.vocab)
    return float(-(seen * log_p).sum() / seen.sum())


def profile(data, rfs: list[int], workdir, steps: int = 500, progress: bool = True) -> dict:
    workdir = Path(workdir)
    ds = open_dataset(data)
    result = {"data": str(data), "vocab": ds.vocab, "steps": steps, "nll": {}}
    for r in rfs:
        if r == 0:
            result["nll"]["0"] = unigram_nll(data)
        else:
            _, metrics = train(predictor_config(str(data), r, ds.vocab, steps), workdir / f"rf-{r}", progress)
            result["nll"][str(r)] = metrics["eval_nll"]
        write_json(workdir / "profile.json", result)  # each point kept as soon as it is known
    plot(result, workdir / "profile.png")
    return result


def plot(result: dict, path: Path) -> None:
    import matplotlib  # here: a second to import, and only the plot needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rfs = [int(r) for r in result["nll"]]
    x = [max(r, 0.5) for r in rfs]  # r = 0 (unigram) drawn at the left edge of the log axis
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(x, list(result["nll"].values()), "o-")
    ax.set_xscale("log", base=2)
    ax.set_xticks(x, [str(r) for r in rfs], fontsize=7)
    ax.set_xlabel("receptive field (steps); 0 = unigram")
    ax.set_ylabel("eval NLL (nats per step)")
    ax.set_title(f"predictability profile: {Path(result['data']).name}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
