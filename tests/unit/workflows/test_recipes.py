"""The release and research recipes: what each runs, in what order, and what a rerun skips."""

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from ada.workflows import release, sweeps
from ada.workflows.steps import Pages, Runner, WorkflowError, is_fresh


class Recorder(Runner):
    """A runner that records each `ada` command and answers it with a chosen exit code, running nothing."""

    def __init__(self, codes=None):
        super().__init__(dry_run=False)
        self.codes = codes or {}

    def ada(self, *args, timeout_minutes=None):
        self.log.append(" ".join(map(str, args)))
        return self.codes.get(str(args[args.index("--workdir") + 1]) if "--workdir" in args else None, 0)


def shipped(tmp_path) -> release.Release:
    r = release.Release(shipped=tmp_path / "pretrained", runs=tmp_path / "runs", small=tmp_path / "small",
                        heldout=tmp_path / "heldout", data=tmp_path / "medium", tiny_runs=tmp_path / "workdirs",
                        num=2, seconds=0.5,
                        sweep_level1=("1", "0.2"), sweep_stack=("1", "0.2,0.3,1"), hardware="test host")
    for member in ("level1", "level2", "prior"):
        (r.shipped / member).mkdir(parents=True)
        (r.shipped / member / "params.npz").write_bytes(b"p")
    (r.shipped / "stack.json").write_text("{}")
    for corpus in (r.small, r.heldout):
        corpus.mkdir()
        (corpus / "index.json").write_text("{}")
    return r


def test_the_card_draws_each_page_once_then_exports_onto_itself(tmp_path):
    r = shipped(tmp_path)
    run = Recorder()
    release.card(r, run)
    drawn = [c for c in run.log if c.startswith(("sample", "reconstruct"))]
    # the shipped setting joins both sweeps; each setting once, reconstructions first; then the long samples
    assert [c.split("--temperature ")[1] for c in drawn] == ["0.2", "0.2,0.3,1", "1", "0.2,0.3,1", "1", "0.2,0.3,1"]
    assert all(f"--num {r.num}" in c for c in drawn[3:5])
    assert f"--seconds 30 --num {r.long_num}" in drawn[5] and str(r.long_pages) in drawn[5]
    assert all(f"--data {r.heldout} --excerpts {r.excerpts}" in c for c in drawn if c.startswith("reconstruct"))
    export = run.log[-1]
    assert export.startswith(f"export --out {r.shipped} --overwrite --hardware test host --temperature 0.2,0.3,1")
    assert f"--measured shipped={r.pages}/0.2,0.3,1" in export and f"--sweep {r.pages}" in export
    assert f"--measured shipped (30-s samples)={r.long_pages}/0.2,0.3,1" in export
    assert "tiny demo" not in export and "previous" not in export  # no `make demo` stack, no previous export


def test_the_card_names_the_hardware_the_export_records_unless_told_otherwise(tmp_path):
    r = shipped(tmp_path)
    (r.shipped / "stack.json").write_text(json.dumps({"hardware": "one H100, 7.0 minutes of training"}))
    for given, line in (("", "one H100, 7.0 minutes of training"), ("a named host", "a named host")):
        r.hardware = given
        run = Recorder()
        release.card(r, run)
        assert f"--hardware {line} --temperature" in run.log[-1]
    (r.shipped / "stack.json").write_text("{}")  # an export that records none: trained here
    r.hardware = ""
    assert release.hardware(r, r.shipped / "stack.json") == f"{os.cpu_count()} CPU cores, no accelerator"


def test_the_card_sets_the_previous_export_beside_the_shipped_one_at_its_own_temperatures(tmp_path):
    r = shipped(tmp_path)
    r.previous = tmp_path / "previous"
    (r.previous / "level1").mkdir(parents=True)
    (r.previous / "level1" / "params.npz").write_bytes(b"p")
    (r.previous / "stack.json").write_text("{}")
    run = Recorder()
    release.card(r, run)
    before = [c for c in run.log if f"--stack {r.previous}/stack.json" in c]
    assert [c.split()[0] for c in before] == ["sample", "reconstruct", "sample"]
    assert not any("--temperature" in c for c in before)  # the previous stack file's own temperatures
    assert f"--data {r.heldout} --excerpts {r.excerpts}" in before[1] and f"--num {r.long_num}" in before[2]
    assert f"--measured previous stack={r.previous_pages(r.seconds)}/shipped temperatures" in run.log[-1]
    assert f"--measured previous stack (30-s samples)={r.previous_pages(r.long_seconds)}" in run.log[-1]
    r.previous = tmp_path / "nothing"
    with pytest.raises(WorkflowError, match="no previous export at .*nothing/stack.json"):
        release.card(r, Recorder())


def test_a_reconstruction_page_of_other_excerpts_is_drawn_again(tmp_path):
    r = shipped(tmp_path)
    page = r.pages / "1" / "reconstructions" / "reconstructions.json"
    page.parent.mkdir(parents=True)
    ours = {"source": f"{r.heldout.name} (eval split)", "excerpts": [{}] * r.excerpts}
    drawn = []
    for meta in (ours, {**ours, "source": "small (eval split)"}, {**ours, "excerpts": [{}] * 3}, {"excerpts": []}):
        page.write_text(json.dumps(meta))
        run = Recorder()
        r.drawer().draw(run, "reconstruct", r.shipped / "stack.json", [], r.pages / "1", 2, "1")
        drawn.append(len(run.log))
    assert drawn == [0, 1, 1, 1]


def test_a_page_drawn_after_its_parameters_is_not_drawn_again(tmp_path):
    r = shipped(tmp_path)
    page = r.pages / "1" / "samples" / "samples.json"
    page.parent.mkdir(parents=True)
    page.write_text("{}")
    old = time.time() - 100
    for p in r.shipped_params:
        os.utime(p, (old, old))
    assert is_fresh(page, r.shipped_params)
    run = Recorder()
    Pages(seconds=r.seconds).draw(run, "sample", r.shipped / "stack.json", r.shipped_params, r.pages / "1", 2, "1")
    assert run.log == []
    os.utime(r.shipped_params[0])  # a new export: the page is stale
    assert not is_fresh(page, r.shipped_params)
    Pages(seconds=r.seconds).draw(run, "sample", r.shipped / "stack.json", r.shipped_params, r.pages / "1", 2, "1")
    assert len(run.log) == 1


def test_the_card_sets_the_tiny_demo_stack_beside_the_shipped_one_when_there_is_one(tmp_path):
    r = shipped(tmp_path)
    (r.tiny_runs / "demo" / "samples").mkdir(parents=True)
    run = Recorder()
    release.card(r, run)
    tiny = [c for c in run.log if f"--stack {r.tiny_stack}" in c]
    assert len(tiny) == 4 and all(str(r.tiny_pages) in c for c in tiny)
    assert f"--measured tiny demo at temperature 1={r.tiny_pages}/1" in run.log[-1]


def test_training_chains_each_level_into_the_next(tmp_path):
    r = shipped(tmp_path)
    (r.data).mkdir()
    (r.data / "index.json").write_text("{}")
    run = Recorder()
    stack = release.train(r, run)
    assert [c.split()[0] for c in run.log] == ["train", "encode", "train", "encode", "train", "stack"]
    assert f"--config.data.path={r.data}-codes1" in run.log[2] and f"--out {r.data}-codes2" in run.log[3]
    assert run.log[4].endswith(f"--config.train.steps={r.steps} --config.train.steps={r.prior_steps}")
    assert run.log[0].endswith(f"--config.train.steps={r.steps} --config.train.steps={r.level1_steps}")
    written = json.loads(stack.read_text())
    assert written["prior"] == str((r.runs / "tiny_prior_4s").resolve()) and len(written["levels"]) == 2


def test_a_missing_input_stops_before_any_work_and_a_dry_run_only_notes_it(tmp_path, capsys):
    r = release.Release(shipped=tmp_path / "none", small=tmp_path / "small")
    with pytest.raises(WorkflowError, match="no exported stack at .*none/stack.json; ada release ship makes one"):
        release.card(r, Recorder())
    dry = Runner(dry_run=True)
    release.card(r, dry)
    assert "missing" in dry.log[0] and dry.log[-1].startswith("ada export") and not (tmp_path / "none").exists()


def test_a_level1_size_stopped_by_its_time_limit_counts_as_swept_and_is_not_run_again(tmp_path):
    r = shipped(tmp_path)
    for d in (r.data, r.small):
        d.mkdir(exist_ok=True)
        (d / "index.json").write_text("{}")
    s = sweeps.Sweep(runs=tmp_path / "sweep", minutes=0.01)
    for name in sweeps.LEVEL1_SIZES:
        (s.runs / name).mkdir(parents=True)
    run = Recorder(codes={str(s.runs / "tiny"): 124})
    sweeps.level1(s, r, run)
    assert all((s.runs / name / "swept").exists() for name in sweeps.LEVEL1_SIZES)
    assert [c.split()[0] for c in run.log] == ["train"] * 3 + ["eval"]
    again = Recorder()
    sweeps.level1(s, r, again)
    assert [c.split()[0] for c in again.log] == ["eval"]


def test_every_level2_variant_overrides_fields_the_tiny_level2_config_has():
    from ada.training.config import base_config, level2, tiny

    c = tiny(level2(base_config("ada")))
    for name, overrides in {**sweeps.LEVEL2_VARIANTS, **sweeps.LEVEL1_SIZES}.items():
        for o in overrides:
            field, value = o.removeprefix("--config.").split("=")
            node = c
            for part in field.split(".")[:-1]:
                node = node[part]
            assert field.split(".")[-1] in node, (name, o)
            assert value


def test_a_failed_step_stops_the_recipe_with_one_line(tmp_path):
    with pytest.raises(WorkflowError, match=r"ada info .* exited 2; fix what it said and rerun"):
        Runner().ada("info", tmp_path / "no-dataset")


def test_the_excerpt_is_seconds_8_to_20_of_its_render(tmp_path):
    import numpy as np
    import soundfile as sf

    source = tmp_path / "render.flac"
    sf.write(source, np.linspace(-0.5, 0.5, 16000 * 25), 16000)
    release.write_excerpt(source, tmp_path / "excerpt.flac", Runner())
    x, rate = sf.read(tmp_path / "excerpt.flac")
    whole, _ = sf.read(source)
    assert rate == 16000 and np.array_equal(x, whole[8 * 16000:20 * 16000])
    assert not list(Path(tmp_path).glob(".*tmp"))


def test_the_overview_figure_is_drawn_from_an_excerpt_its_reconstruction_and_a_sample(tmp_path):
    import numpy as np
    import soundfile as sf

    from ada.workflows import figures

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "stack.json").write_text("{}")
    runs = tmp_path / "runs"
    for folder, name in (("reconstructions", "original-00"), ("reconstructions", "reconstruction-00"),
                         ("samples", "sample-00")):
        (runs / folder).mkdir(parents=True, exist_ok=True)
        sf.write(runs / folder / f"{name}.wav", 0.1 * np.sin(np.arange(8000) * 0.1), 16000)
    run = Recorder()
    out = figures.overview(run, shipped, tmp_path / "images" / "overview.png", runs)
    assert [c.split()[0] for c in run.log] == ["reconstruct", "sample", "draw"]
    assert f"--input {shipped / 'excerpt.flac'}" in run.log[0]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not list(out.parent.glob(".*tmp"))


def test_each_fidelity_round_trains_evaluates_and_adds_a_point_to_each_curve(tmp_path):
    import importlib.util

    from ada.generation.audio import CONTRAST_GAPS
    from ada.workflows import fidelity

    from helpers import REPO
    spec = importlib.util.spec_from_file_location("study", REPO / "experiments" / "level1_study.py")
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    assert fidelity.CANDIDATES == study.ARGUMENTS

    data, heldout, runs, curves = tmp_path / "medium", tmp_path / "heldout", tmp_path / "study", tmp_path / "curves"
    for d in (data, heldout):
        d.mkdir()
        (d / "index.json").write_text("{}")

    class Evaluating(Recorder):  # answers `ada eval` with the file it writes
        def ada(self, *args, timeout_minutes=None):
            super().ada(*args)
            if args[0] == "eval":
                workdir = Path(args[args.index("--workdir") + 1])
                step = 100 * len(fidelity.read_curve(curves / f"{workdir.name}.jsonl")) + 100
                (workdir / "eval-heldout.json").write_text(json.dumps(
                    [{"step": step, "eval_nll": 2.5, "contrast_gap_db": 7.5, "contrast_gap_worst_db": 10.25}]))
                (workdir / "metrics.jsonl").write_text(json.dumps({"step": step, "steps_per_s": step / 1800}) + "\n")
                found = workdir / "eval" / "reconstructions" / "sample-0"
                found.mkdir(parents=True, exist_ok=True)
                bands = [n for n in CONTRAST_GAPS[1:]]  # one excerpt per held-out work: 7, 7.5 and 8 dB lost
                (found / "reconstructions.json").write_text(json.dumps({"excerpts": [
                    {"harmonic_contrast_gap_db": g, **{b: g + k for k, b in enumerate(bands)}} for g in (7, 7.5, 8)]}))
                shutil.copy(tmp_path / "tone.wav", found / "reconstruction-00.wav")
            else:
                assert timeout_minutes == 30 and "--noprogress" in args
            return 0

    import shutil

    import soundfile as sf

    from ada.listening.measures import harmonic_contrast

    t = np.arange(32000) / 16000
    tone = 0.5 * sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 12))
    sf.write(tmp_path / "tone.wav", tone, 16000)
    heard = f"{harmonic_contrast(sf.read(tmp_path / 'tone.wav')[0]).mean():.1f}"  # the reconstructions' own contrast
    for name in ("tiny", "rf1024"):
        (runs / name).mkdir(parents=True)
    table = tmp_path / "table.md"
    run = Evaluating()
    for _ in range(2):  # two rounds: each candidate's curve gains a point per round
        fidelity.fidelity(run, runs, data, heldout, ("tiny", "rf1024"), minutes=30, table=table, curves=curves)
    assert [c.split()[0] for c in run.log] == ["train", "eval", "train", "eval", "table"] * 2
    assert not any("--init_from" in c for c in run.log)
    assert [p["train_hours"] for p in fidelity.read_curve(curves / "rf1024.jsonl")] == [0.5, 0.5]
    rows = [line for line in table.read_text().splitlines() if line.startswith("| rf1024 |")]
    # the mean ± its standard error over the excerpts (sd 0.41 / sqrt(2)), their count, and each band's mean
    assert rows == [f"| rf1024 | 0.50 | 100 | 2.500 | 7.5 ± 0.29 (3) | 7.5 | 8.5 | 9.5 | 10.5 | 11.5 | {heard} |",
                    f"| rf1024 | 0.50 | 200 | 2.500 | 7.5 ± 0.29 (3) | 7.5 | 8.5 | 9.5 | 10.5 | 11.5 | {heard} |"]
    fidelity.record_point(runs / "rf1024", curves / "rf1024.jsonl")  # the same step again adds nothing
    assert len(fidelity.read_curve(curves / "rf1024.jsonl")) == 2
    # one candidate's round, on a machine without the other's workdir, its new workdir begun from an export
    shutil.rmtree(runs / "tiny")
    fidelity.fidelity(run, runs, data, heldout, ("rf1024",), minutes=30, table=table, curves=curves,
                      init_from=tmp_path / "exported")
    assert run.log[-3].endswith(f"--noprogress --init_from={tmp_path / 'exported'}")
    assert [line.split(" | ")[0] for line in table.read_text().splitlines() if line.startswith("| tiny ")] == [
        "| tiny"] * 2  # keeps the other's rows: the curves are kept apart from the workdirs


def test_a_noise_shaped_candidate_trains_and_is_measured_on_its_own_preparation_of_the_same_works(tmp_path):
    from ada.workflows import fidelity

    run = Runner(dry_run=True)
    data, heldout = tmp_path / "medium", tmp_path / "heldout"
    fidelity.fidelity(run, tmp_path / "study", data, heldout, ("tiny_pe",), minutes=1, table=tmp_path / "t.md",
                      curves=tmp_path / "curves")
    lines = [line for line in run.log if not line.startswith("missing")]
    assert lines[0] == f"ada prepare {data}/renders --out {tmp_path}/medium-pe85 --preemphasis 0.85 --quiet"
    assert f"--config.data.path={tmp_path}/medium-pe85" in lines[1] and lines[1].startswith("ada train")
    assert lines[2] == (f"ada prepare {heldout}/renders --out {tmp_path}/heldout-pe85 --preemphasis 0.85 --quiet "
                        "--eval-fraction 1")
    assert lines[3].startswith(f"ada eval --workdir {tmp_path}/study/tiny_pe --data {tmp_path}/heldout-pe85")


def test_the_study_table_says_what_mulaw_itself_loses_on_the_held_out_renders(tmp_path):
    import soundfile as sf

    from ada.workflows import fidelity

    renders = tmp_path / "heldout" / "renders"
    renders.mkdir(parents=True)
    t = np.arange(5 * 16000) / 16000
    for n, f0 in enumerate((110.0, 147.0)):  # struck notes whose partials fall as 1/k²
        x = sum(np.exp(-1.5 * (t % 1.25)) * np.sin(2 * np.pi * f0 * k * t) / k**2
                for k in range(1, 40) if f0 * k < 7000)
        sf.write(renders / f"work{n}.flac", 0.9 * x / np.abs(x).max(), 16000)
    table = fidelity.fidelity_table(tmp_path / "study", tmp_path / "curves", (), tmp_path / "heldout")
    rows = {line.split(" | ")[0][2:]: line for line in table.splitlines() if line.startswith("| rendered")
            or line.startswith("| μ-law")}
    assert list(rows) == ["rendered", "μ-law, pre-emphasis 0", "μ-law, pre-emphasis 0.85"]
    top = {k: float(v.rstrip(" |").split(" | ")[-1]) for k, v in rows.items()}  # 1.6–3.2 kHz
    assert top["rendered"] > top["μ-law, pre-emphasis 0.85"] > top["μ-law, pre-emphasis 0"] + 2


def test_the_study_names_the_corpus_renders_folder_as_the_corpus_does():
    from ada.audio.corpus import RENDERS
    from ada.workflows import fidelity

    assert fidelity.RENDERS == RENDERS  # named twice so that the `ada` command starts without importing JAX


class Sampler(Recorder):
    """A recorder whose `ada sample` writes the page a real one would, with a key hold of `hold[stack]`."""

    def __init__(self, hold):
        super().__init__()
        self.hold = hold

    def ada(self, *args, timeout_minutes=None):
        code = super().ada(*args, timeout_minutes=timeout_minutes)
        if args[0] == "sample":
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True)
            stack = Path(args[args.index("--stack") + 1]).stem
            measures = {"key_hold": {"mean": self.hold[stack], "std": 0.1, "n": 5},
                        "key_clarity": {"mean": 0.6, "std": 0.02, "n": 5}}
            page = {"prior": f"{stack} (step 6000)", "temperature": "level 1 0.2, level 2 0.3, prior 1",
                    "measures": measures}
            (out / "samples.json").write_text(json.dumps(page))
        return code


def test_the_key_hold_study_samples_each_prior_for_30_s_beside_the_shipped_one_and_the_corpus(tmp_path):
    from ada.workflows import key_hold

    shipped, data = tmp_path / "pretrained", tmp_path / "medium"
    for folder in (shipped, Path(f"{data}-codes2")):
        folder.mkdir()
    (shipped / "stack.json").write_text("{}")
    (Path(f"{data}-codes2") / "index.json").write_text("{}")
    corpus = {"key_hold": {"mean": 0.35, "std": 0.08, "n": 65}, "key_clarity": {"mean": 0.78, "std": 0.04, "n": 65},
              "harmonic_contrast_db": {"mean": 25.4, "std": 1.3, "n": 65}}
    run = Sampler({"stack": 0.28, "tiny_prior_16s": 0.42})
    table = key_hold.study(run, tmp_path / "runs", shipped, data, tmp_path / "heldout", table=tmp_path / "t.md",
                           corpus=lambda path, split, count: {"measures": corpus, "what": f"{split} split"})
    assert [c.split()[0] for c in run.log] == ["sample", "train", "stack", "sample", "table"]
    assert "--seconds 30" in run.log[0] and f"--config.data.path={data}-codes2" in run.log[1]
    assert json.loads((tmp_path / "runs" / "tiny_prior_16s.json").read_text())["levels"] == \
        [str((shipped / "level1").resolve()), str((shipped / "level2").resolve())]
    rows = {line.split(" | ")[0]: line for line in table.read_text().splitlines() if line.startswith("| ")}
    # each mean ± std / sqrt(n - 1); key hold also over the training corpus's, whose 0.8 share is the target
    assert "| 0.350 ± 0.010 | 0.780 ± 0.005 | 25.400 ± 0.163 | 1.00 |" in rows["| corpus, train split (medium)"]
    assert "| 5 | 0.280 ± 0.050 | 0.600 ± 0.010 | – | 0.80 |" in rows["| shipped stack (its prior)"]
    assert rows["| shipped levels, tiny_prior_16s"].endswith("| 1.20 |")
    assert "at least 0.8 × the training corpus's (0.280)" in table.read_text()
    again = Sampler({})  # a rerun resumes the prior's training and draws no page again
    key_hold.study(again, tmp_path / "runs", shipped, data, tmp_path / "heldout", table=tmp_path / "t.md",
                   corpus=lambda path, split, count: {"measures": corpus, "what": f"{split} split"})
    assert [c.split()[0] for c in again.log] == ["train", "stack", "table"]


class Reconstructor(Recorder):
    """Writes each reconstructions page it is asked for: every excerpt's chroma to its original is the value the
    page's stack file (or, for the shipped stack, its level count) is given."""

    def __init__(self, chroma: dict):
        super().__init__()
        self.chroma = chroma

    def ada(self, *args, timeout_minutes=None):
        code = super().ada(*args, timeout_minutes=timeout_minutes)
        if args[0] == "reconstruct":
            stack, levels = Path(args[args.index("--stack") + 1]), args[args.index("--levels") + 1]
            c = self.chroma[stack.stem if stack.stem != "stack" else levels]
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True)
            excerpts = [{"chroma_to_original": c + d, "key_clarity": 0.7, "key_clarity_of_original": 0.74,
                         "harmonic_contrast_gap_db": 6.0, "noisiness": 1.5} for d in (-0.1, 0.0, 0.1)]
            level2 = {} if str(levels) == "1" else {"level 2": f"{stack.stem} (step 4000, hop 8, K 64)"}
            (out / "reconstructions.json").write_text(json.dumps(
                {"levels": levels, "temperature": "level 1 0.2, level 2 0.3", "excerpts": excerpts, **level2,
                 "source": f"{Path(args[args.index('--data') + 1]).name} (eval split)"}))
        return code


def test_the_level2_sweep_measures_each_variant_on_the_held_out_works_beside_the_shipped_levels(tmp_path):
    r = shipped(tmp_path)
    Path(f"{r.data}-codes1").mkdir()
    (Path(f"{r.data}-codes1") / "index.json").write_text("{}")
    s = sweeps.Sweep(runs=tmp_path / "sweep", heldout=r.heldout, excerpts=3, level2_variants=("hop4",))
    run = Reconstructor({1: 0.9, 2: 0.6, "hop4": 0.7})
    table = sweeps.level2(s, r, run, table=tmp_path / "level2.md")
    assert [c.split()[0] for c in run.log] == ["reconstruct", "reconstruct", "train", "stack", "reconstruct",
                                                "table"]
    assert all(f"--data {r.heldout} --excerpts 3" in c for c in run.log if c.startswith("reconstruct"))
    assert "--levels 1" in run.log[0] and "--levels 2" in run.log[1] and "--config.model.hop=4" in run.log[2]
    rows = [line for line in table.read_text().splitlines() if line.startswith("| ")][1:]
    # one row per page, in order; each a mean ± its standard error over the excerpts (0.1 / sqrt(3))
    assert [row.split(" | ")[0] for row in rows] == ["| shipped level 1 alone", "| shipped levels 1 and 2",
                                                     "| shipped level 1, level 2 `hop4`"]
    assert "| 3 | 0.700 ± 0.058 | 0.700 ± 0.000 |" in rows[2]
    # which level 2 each row went through: none for level 1 alone, its step, hop and codes otherwise
    assert rows[0].split(" | ")[1] == "–" and rows[2].split(" | ")[1] == "step 4000, hop 8, K 64"
    assert "The originals' key clarity: 0.740 ± 0.000" in table.read_text()
    again = Reconstructor({})  # a rerun resumes the variant and draws no page again
    sweeps.level2(s, r, again, table=tmp_path / "level2.md")
    assert [c.split()[0] for c in again.log] == ["train", "stack", "table"]
    long = Reconstructor({"long": 0.7})  # a variant with its own length names its steps once, the sweep's not
    sweeps.level2(sweeps.Sweep(runs=tmp_path / "sweep", heldout=r.heldout, excerpts=3, level2_variants=("long",)),
                  r, long, table=tmp_path / "level2.md")
    [train] = [c for c in long.log if c.startswith("train")]
    assert train.count("--config.train.steps=") == 1 and "--config.train.steps=16000" in train
    with pytest.raises(WorkflowError, match="--level2-variants nope: not a variant"):
        sweeps.level2(sweeps.Sweep(level2_variants=("nope",)), r, Recorder())
