"""Every command with bad arguments: one `error: ...` line on stderr, exit 2, nothing written.

Every case fails in argument parsing or in the checks before any model is loaded. The table runs
through `ada.cli.main` in this process, which is what the `ada` command calls; a few of its cases
run again as the command itself, in a fresh process, for what only a process shows (the exit status,
warnings at start-up). Cases that need a dataset use copies of tiny token datasets.
"""

import errno
import json
import os

import pytest

from ada import cli
from ada.cli import data as cli_data

from helpers import MICRO, ada_in_process, run_ada

D, W, S = "{data}", "{workdir}", "{stack}"  # filled in per test: a real dataset, a folder, a stack file


BAD = [
    # prepare
    (["prepare", D, "--out", "{new}", "--workers", "-1"], "--workers: must be a whole number ≥ 1, not -1"),
    (["prepare", D, "--out", "{new}", "--workers", "0"], "--workers: must be a whole number ≥ 1"),
    (["prepare", D, "--out", "{new}", "--eval-fraction", "0"], "--eval-fraction: must be a fraction"),
    (["prepare", D, "--out", "{new}", "--eval-fraction", "1.01"], "--eval-fraction: must be a fraction"),
    (["prepare", D, "--out", "{new}", "--preemphasis", "1"], "--preemphasis: must be a pre-emphasis coefficient"),
    (["corpus", "--out", "{new}", "--preemphasis", "-0.1"], "--preemphasis: must be a pre-emphasis coefficient"),
    (["prepare", D, "--out", "{new}", "--eval-fraction", "1.5"], "--eval-fraction"),
    (["prepare", D, "--out", "{new}", "--eval-fraction", "nan"], "--eval-fraction"),
    (["prepare", D, "--out", "{new}", "--top-db", "-3"], "--top-db: must be a finite number > 0"),
    (["prepare", D, "--out", "{new}", "--min-seconds", "-1"], "--min-seconds"),
    (["prepare", "--out", "{new}"], "name audio files or folders to add, or --remove PATH"),
    (["prepare", D, "--out", "{file}"], "is a file, not a folder"),
    # info
    (["info"], "the following arguments are required: dir"),
    (["info", "{new}"], "no such dataset directory"),
    (["info", "{file}"], "no such dataset directory"),
    # corpus
    (["corpus", "--out", "{new}", "--size", "huge"], "invalid choice: 'huge'"),
    (["corpus", "--out", "{new}", "--tempo", "1.2", "0.8"], "--tempo 1.2 0.8: MIN is above MAX"),
    (["corpus", "--out", "{new}", "--timeout", "0"], "--timeout: must be a finite number > 0"),
    (["corpus", "--out", "{new}", "--workers", "-1"], "--workers"),
    (["corpus", "--out", "{new}", "--transpose", "-2"], "--transpose: must be a whole number ≥ 0"),
    # encode
    (["encode", "--level", W, "--data", D, "--out", "{new}", "--window", "0"], "--window: must be a whole number ≥ 1"),
    (["encode", "--level", W, "--data", D, "--out", "{new}", "--batch-size", "0"], "--batch-size"),
    (["encode", "--level", W, "--data", D, "--out", "{new}", "--batch-size", "x"], "'x' is not a whole number"),
    (["encode", "--data", D, "--out", "{new}"], "the following arguments are required: --level"),
    (["encode", "--level", W, "--data", D, "--out", "{file}"], "is a file, not a folder"),
    # sample
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "0"], "--seconds: must be a finite number > 0, not 0"),
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "-1"], "--seconds"),
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "inf"], "--seconds"),
    (["sample", "--stack", S, "--out", "{new}", "--num", "-1"], "--num: must be a whole number ≥ 1, not -1"),
    (["sample", "--stack", S, "--out", "{new}", "--num", "0"], "--num"),
    (["sample", "--stack", S, "--out", "{new}", "--temperature", "-1"], "--temperature: must be a finite number ≥ 0"),
    (["sample", "--stack", S, "--out", "{new}", "--temperature", "nan"], "--temperature"),
    (["sample", "--stack", S, "--out", "{new}", "--temperature", "inf"], "--temperature"),
    (["sample", "--stack", S, "--out", "{new}", "--chunk", "0"], "--chunk"),
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "1e9"], "--seconds 1e+09: longer than one piece may be"),
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "600", "--num", "7"],
     "--seconds 600 × --num 7: 1.17 h of audio, about 1 GiB"),
    (["sample", "--stack", S, "--out", "{new}", "--seconds", "90", "--max-audio-seconds", "60"], "at most 60 s"),
    (["continue", "--stack", S, "--input", "{file}", "--out", "{new}", "--seconds", "3599", "--prompt-seconds", "2"],
     "--prompt-seconds + --seconds 3601: longer than one piece may be"),
    (["sample", "--stack", S, "--out", "{new}", "--seed", "-1"], "--seed"),
    (["sample", "--stack", S, "--out", "{file}"], "is a file, not a folder"),
    # reconstruct
    (["reconstruct", "--stack", S, "--out", "{new}", "--data", D, "--levels", "0"], "--levels: must be a whole"),
    (["reconstruct", "--stack", S, "--out", "{new}", "--data", D, "--levels", "-2"], "--levels"),
    (["reconstruct", "--stack", S, "--out", "{new}", "--input", "{file}", "--offset", "-1"], "--offset: must be"),
    (["reconstruct", "--stack", S, "--out", "{new}", "--data", D, "--excerpts", "0"], "--excerpts"),
    (["reconstruct", "--stack", S, "--out", "{new}", "--data", D, "--input", "{file}"], "not allowed with"),
    (["reconstruct", "--stack", S, "--out", "{new}"], "one of the arguments --input --data is required"),
    # continue
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}"], "required: --prompt-seconds"),
    (["continue", "--stack", S, "--out", "{new}", "--prompt-seconds", "1"], "required: --input"),
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}", "--prompt-seconds", "nan"], "--prompt-seconds"),
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}", "--prompt-seconds", "1", "--seconds", "0"],
     "--seconds: must be a finite number > 0"),
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}", "--prompt-seconds", "1", "--offset", "-1"],
     "--offset: must be"),
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}", "--prompt-seconds", "1", "--num", "0"], "--num"),
    (["continue", "--stack", S, "--out", "{new}", "--input", "{file}", "--prompt-seconds", "1"],
     "--input {file}: not decodable as audio"),
    (["continue", "--stack", S, "--out", "{file}", "--input", "{file}", "--prompt-seconds", "1"], "is a file, not a"),
    # eval
    (["eval", "--workdir", W, "--data", D, "--crops", "0"], "--crops"),
    (["eval", "--workdir", W, "--data", D, "--samples", "0"], "--samples"),
    (["eval", "--workdir", W, "--data", D, "--seconds", "0"], "--seconds"),
    (["eval", "--workdir", W, "--data", D, "--excerpts", "-1"], "--excerpts"),
    (["eval", "--workdir", W, "--data", D, "--out", "{file}/table"], "is a file"),
    # profile
    (["profile", "--data", D, "--workdir", "{new}", "--rf", "1,x"], "a comma list of whole numbers"),
    (["profile", "--data", D, "--workdir", "{new}", "--rf", "-1"], "--rf"),
    (["profile", "--data", D, "--workdir", "{new}", "--steps", "0"], "--steps"),
    (["profile", "--data", D, "--workdir", "{file}"], "is a file, not a folder"),
    # bench
    (["bench", "--out", "{file}/BENCH.md"], "is a file"),
    # train
    (["train", "--config", "{new}.py", "--workdir", "{new}"], "no such config file"),
    (["train", "--config", MICRO, "--workdir", "{new}", "--config.data.nope=3"], "unknown config field 'nope'"),
    (["train", "--config", MICRO, "--workdir", "{new}", "--config.nope=3"], "unknown config field 'nope'"),
    (["train", "--config", MICRO, "--workdir", "{new}", "--config.train.steps=abc"], "--config.train.steps=abc"),
    (["train", "--config", "{badconfig}", "--workdir", "{new}"], "cannot be loaded: SyntaxError"),
    (["train", "--config", MICRO, "--workdir", "{file}"], "--workdir {file} is a file, not a folder"),
    (["train", "--config", MICRO], "needs --config experiments/X.py and --workdir DIR"),
    (["train", "--config", MICRO, "--workdir", "{new}", "--bogus"], "Unknown command line flag 'bogus'"),
    # no such command
    (["bogus"], "invalid choice: 'bogus'"),
    ([], "the following arguments are required: command"),
]


@pytest.fixture
def places(tmp_path, token_dataset):
    data = token_dataset([3000, 2000, 2500])
    (tmp_path / "file").write_text("a file where a folder belongs")
    (tmp_path / "workdir").mkdir()
    (tmp_path / "stack.json").write_text(json.dumps({"levels": ["workdir"], "prior": "workdir"}))
    (tmp_path / "bad_config.py").write_text("def get_config(:\n")
    return {"data": data, "workdir": tmp_path / "workdir", "stack": tmp_path / "stack.json",
            "new": tmp_path / "new", "file": tmp_path / "file", "badconfig": tmp_path / "bad_config.py"}


def assert_one_error_line(proc, message):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
    assert message in lines[0], (message, lines[0])
    assert "Traceback" not in proc.stderr


def _id(args) -> str:
    return " ".join(map(str, args[:1] + args[-2:])).replace(str(MICRO), "MICRO")


@pytest.mark.parametrize("args, message", BAD, ids=[_id(a) for a, _ in BAD])
def test_bad_arguments_are_one_error_line(places, capsys, args, message):
    args = [str(a).format(**places) for a in args]
    message = message.format(**places)
    assert_one_error_line(ada_in_process(capsys, *args), message)
    assert not places["new"].exists(), "nothing is written for a refused command"


# argparse's own refusal, a check of ours before any model loads, and a config override refused through absl
IN_A_PROCESS = [case for case in BAD if case[1] in ("invalid choice: 'huge'", "at most 60 s",
                                                    "unknown config field 'nope'")][:3]


@pytest.mark.parametrize("args, message", IN_A_PROCESS, ids=[_id(a) for a, _ in IN_A_PROCESS])
def test_the_command_itself_prints_one_error_line_and_exits_2(places, args, message):
    args = [str(a).format(**places) for a in args]
    assert_one_error_line(run_ada(*args, check=False), message.format(**places))
    assert not places["new"].exists()


def test_a_shard_truncated_after_prepare_is_found_by_info_and_readers(token_dataset, tmp_path):
    data = token_dataset([3000, 2000, 2500])
    [shard] = data.glob("shard-*.npy")
    shard.write_bytes(shard.read_bytes()[:-100])
    assert_one_error_line(run_ada("info", data, check=False), "truncated")
    assert_one_error_line(run_ada("train", "--config", MICRO, "--workdir", tmp_path / "w",
                                  f"--config.data.path={data}", check=False), "truncated")


@pytest.mark.parametrize("stack", [
    {"levels": [1, 2]}, {"levels": ["w"], "prior": 3}, {"levels": [""], "prior": "w"}, {"levels": [None]},
    {"levels": "w"}, ["w"],
])
def test_a_malformed_stack_entry_is_one_error_line(tmp_path, capsys, stack):
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack))
    proc = ada_in_process(capsys, "sample", "--stack", path, "--out", tmp_path / "out")
    assert_one_error_line(proc, str(path))
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_workdir_is_one_error_line(tmp_path):
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o555)
    try:
        proc = run_ada("train", "--config", MICRO, "--workdir", tmp_path / "ro" / "w", check=False)
        assert_one_error_line(proc, "not writable")
    finally:
        os.chmod(tmp_path / "ro", 0o755)


def test_a_full_disk_is_one_error_line(monkeypatch, capsys, tmp_path):
    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "checkpoints" / "6"))

    monkeypatch.setattr(cli_data, "cmd_info", full)
    assert cli.main(["info", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: No space left on device") and "rerun" in err[0]


def test_a_full_disk_inside_a_library_exception_is_one_error_line(monkeypatch, capsys):
    def wrapped(args):  # what an asynchronous Orbax save reports when tensorstore hits a full disk
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as e:
            raise ValueError("Error writing local file \"/w/checkpoints/8/state/d/x\": No space left on device") \
                from e

    monkeypatch.setattr(cli_data, "cmd_info", wrapped)
    assert cli.main(["info", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: No space left on device")


def test_a_bug_keeps_its_traceback(monkeypatch):
    def bug(args):
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(cli_data, "cmd_info", bug)
    with pytest.raises(OSError):
        cli.main(["info", "x"])
