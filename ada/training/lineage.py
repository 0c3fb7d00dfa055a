"""The lineage of a PBT experiment: every member's β, γ and eval NLL over its rounds, and who copied whom.

Read from the members' own histories (``members/<id>/pbt.jsonl``), written as ``lineage.json``,
``lineage.md`` (one table row per member and round) and ``lineage.png``; the best member at the
final step is named in ``best.json`` and by the ``best`` link beside them.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from ada.data.atomic import atomic_path, write_json, write_text

MEMBERS, HISTORY = "members", "pbt.jsonl"
BEST = "best"


def read_rows(root: Path) -> list[dict]:
    rows = []
    for history in sorted((root / MEMBERS).glob(f"*/{HISTORY}")):
        rows += [json.loads(line) for line in history.read_text().splitlines() if line]
    return sorted(rows, key=lambda r: (r["step"], r["member"]))


def summarise(rows: list[dict]) -> dict:
    """The best member and the population median at the final step."""
    last = max(r["step"] for r in rows)
    final = [r for r in rows if r["step"] == last]
    best = min(final, key=lambda r: r["eval_nll"])
    median = lambda k: statistics.median(r[k] for r in final) if all(k in r for r in final) else None
    return {"step": last, "members": len(final), "best": best, "median_eval_nll": median("eval_nll"),
            "median_perplexity": median("perplexity"), "exploits": sum(r["copied_from"] is not None for r in rows)}


def table(rows: list[dict]) -> str:
    lines = ["| member | round | step | β | γ | eval NLL | perplexity | copied from |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["member"], r["step"])):
        copied = f"{r['copied_from']} (step {r['copied_step']})" if r["copied_from"] else ""
        perplexity = f"{r['perplexity']:.1f}" if "perplexity" in r else ""
        lines.append(f"| {r['member']} | {r['round']} | {r['step']} | {r['beta']:.4g} | {r['decay']:.5g} | "
                     f"{r['eval_nll']:.4f} | {perplexity} | {copied} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    """β, γ and eval NLL against steps, one colour per member; an exploit is an arrow from the winner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    members = sorted({r["member"] for r in rows})
    colours = {m: plt.get_cmap("tab20")(i % 20) for i, m in enumerate(members)}
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    fields = (("beta", "β (commitment)", True), ("decay", "γ (codebook EMA decay)", False),
              ("eval_nll", "eval NLL (nats)", False))
    at = {(r["member"], r["step"]): r for r in rows}
    for ax, (key, label, log) in zip(axes, fields, strict=True):
        for m in members:
            mine = [r for r in rows if r["member"] == m]
            segments = [[]]  # a member's line breaks where it copies another: its past is not its new state's
            for r in mine:
                if r["copied_from"] and segments[-1]:
                    segments.append([])
                segments[-1].append(r)
            for i, seg in enumerate(segments):
                ax.plot([r["step"] for r in seg], [r[key] for r in seg], "-o", ms=3, color=colours[m],
                        label=m if i == 0 else None)
            for r in mine:
                source = at.get((r["copied_from"], r["copied_step"])) if r["copied_from"] else None
                if source:
                    ax.annotate("", xy=(r["step"], r[key]), xytext=(source["step"], source[key]),
                                arrowprops=dict(arrowstyle="->", color=colours[m], lw=1, ls="--"))
                    ax.plot([r["step"]], [r[key]], "x", color="black", ms=7)
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("training step")
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[0].set_title("PBT lineage (dashed arrow: a member copies the winner's checkpoint, ×: after exploit)",
                      fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def link_best(root: Path, member: str) -> None:
    """`root/best` -> members/<member>, replaced atomically."""
    tmp = root / f".{BEST}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path(MEMBERS) / member, tmp)
    os.replace(tmp, root / BEST)


def write_report(root: Path) -> dict:
    """Write lineage.{json,md,png}, best.json and the best link; returns best.json's content."""
    root = Path(root)
    rows = read_rows(root)
    if not rows:
        raise ValueError(f"{root}: no member has finished a round yet")
    summary = summarise(rows)
    best = summary["best"]
    write_json(root / "lineage.json", {"summary": summary, "rows": rows})
    write_text(root / "lineage.md", f"# PBT lineage of {root.name}\n\n![lineage](lineage.png)\n\n"
               f"Best at step {summary['step']}: **{best['member']}** (eval NLL {best['eval_nll']:.4f}); population "
               f"median eval NLL {summary['median_eval_nll']:.4f}; {summary['exploits']} exploits.\n\n" + table(rows))
    plot(rows, root / "lineage.png")
    result = {"member": best["member"], "workdir": str((root / MEMBERS / best["member"]).resolve()),
              "step": best["step"], "eval_nll": best["eval_nll"], "beta": best["beta"], "decay": best["decay"],
              **({"perplexity": best["perplexity"]} if "perplexity" in best else {}),
              "median_eval_nll": summary["median_eval_nll"], "median_perplexity": summary["median_perplexity"]}
    write_json(root / "best.json", result)
    link_best(root, best["member"])
    return result
