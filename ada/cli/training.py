"""`ada train | pbt`: parsed the Flax-examples way (absl flags, --config FILE with --config.a.b=v overrides)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ada.cli.arguments import UsageError, writable_dir


def _config_command_flags(config_help: str, workdir_help: str, argv: list[str]):
    """The flags `ada train` and `ada pbt` share: --config (an experiment file, overridable field by field
    with --config.a.b=v) and --workdir. The overrides are read from `argv`, not sys.argv, so that
    `ada.cli.main(argv)` called from Python parses what it is given."""
    from absl import flags
    from ml_collections import config_flags

    FLAGS = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, config_help, flag_values=FLAGS, lock_config=True,
                                    sys_argv=["ada", *argv])
    flags.DEFINE_string("workdir", None, workdir_help, flag_values=FLAGS)
    return FLAGS


def cmd_train(argv: list[str]) -> int:
    """`ada train --config FILE --workdir DIR [--config.a.b=v ...]`, parsed the Flax-examples way."""
    from absl import flags

    FLAGS = _config_command_flags("experiment config file (experiments/*.py)",
                                  "checkpoints, metrics and config land here; rerun to resume", argv)
    flags.DEFINE_string("coordinator", None, "host:port of process 0, for a multi-process job", flag_values=FLAGS)
    flags.DEFINE_integer("num_processes", None, "processes in the job", flag_values=FLAGS)
    flags.DEFINE_integer("process_id", None, "this process's index", flag_values=FLAGS)
    flags.DEFINE_boolean("progress", True, "show a progress bar", flag_values=FLAGS)
    flags.DEFINE_string("init_from", None, "an exported model (pretrained/level1, pretrained/musicvae/folk_2bar, "
                        "`ada export`'s output) to start from, at its step, when the workdir has no checkpoint yet; "
                        "its config must build the same model", flag_values=FLAGS)
    config = _parse_config_command(FLAGS, argv, "ada train",
                                   "ada train --config experiments/X.py --workdir DIR [--init_from EXPORTED] "
                                   "[--config.a.b=VALUE ...]")
    if config is None:
        return 0
    if FLAGS.init_from is not None and not (Path(FLAGS.init_from) / "params.npz").is_file():
        raise UsageError(f"--init_from {FLAGS.init_from}: not an exported model (no params.npz there; "
                         "`ada export` or `ada notes export` writes one)")
    from ada.training.parallel import maybe_initialize_distributed
    from ada.training.trainer import train

    maybe_initialize_distributed(FLAGS.coordinator, FLAGS.num_processes, FLAGS.process_id)
    _, result = train(config, FLAGS.workdir, progress=FLAGS.progress, init_from=FLAGS.init_from)
    import jax

    if jax.process_index() == 0:
        shown = {k: round(v, 4) for k, v in result.items() if k in ("step", "loss", "nll", "eval_nll", "perplexity",
                                                                  "codes_used")}
        print("finished" if not result.get("stopped") else "stopped", json.dumps(shown))
    return 0


def cmd_pbt(argv: list[str]) -> int:
    """`ada pbt --config FILE --workdir DIR [--population N] [--config.a.b=v ...]`: parsed as `ada train` is."""
    from absl import flags

    FLAGS = _config_command_flags("experiment config file with a pbt section (experiments/*.py)",
                                  "the experiment: members/<id>/ workdirs, lineage, best; rerun to resume", argv)
    flags.DEFINE_integer("population", None, "members (default: the config's pbt.population)", lower_bound=2,
                         flag_values=FLAGS)
    flags.DEFINE_boolean("exploit", True, "--noexploit: the same population and rounds without exploit/explore "
                         "(the control experiment)", flag_values=FLAGS)
    flags.DEFINE_string("address", None, "a running Ray cluster (`auto`, or host:port); default: start one here",
                        flag_values=FLAGS)
    flags.DEFINE_integer("cpus", None, "CPUs of the Ray started here (default: all)", lower_bound=1,
                         flag_values=FLAGS)
    config = _parse_config_command(FLAGS, argv, "ada pbt",
                                   "ada pbt --config experiments/X.py --workdir DIR [--population N] [--noexploit] "
                                   "[--address RAY] [--config.a.b=VALUE ...]")
    if config is None:
        return 0
    from ada.data.dataset import open_dataset
    from ada.training.pbt import Schedule, run

    Schedule.from_config(config, FLAGS.population)
    open_dataset(config.data.path)  # a missing dataset: one line here, not in every member
    best = run(config, FLAGS.workdir, population=FLAGS.population, exploit=FLAGS.exploit, address=FLAGS.address,
               cpus=FLAGS.cpus)
    print(f"best member {best['member']}: eval NLL {best['eval_nll']:.4f} at step {best['step']} "
          f"(β {best['beta']:.4g}, γ {best['decay']:.5g}); population median {best['median_eval_nll']:.4f}")
    print(f"best workdir: {Path(FLAGS.workdir) / 'best'} -> {best['workdir']}")
    print(f"lineage: {Path(FLAGS.workdir) / 'lineage.md'}")
    return 0


def _parse_config_command(FLAGS, argv: list[str], command: str, usage: str):
    """`ada train` / `ada pbt`'s command line (--config FILE --workdir DIR and overrides) parsed into
    FLAGS: -> the config, or None once --help is printed. Every mistake is one UsageError."""
    from absl import flags

    if {"-h", "--help"} & set(argv):
        print(f"usage: {usage}\n")
        print(FLAGS.get_help())
        return None
    given = _config_file(argv)
    if given is not None and not Path(given.split(":", 1)[0]).is_file():  # FILE or FILE:ARGUMENT
        raise UsageError(f"--config {given}: no such config file (see experiments/*.py)")
    try:
        FLAGS([command, *argv])
    except flags.Error as e:
        text = " ".join(str(e).split())
        if "Error whilst parsing config file" in text:  # the config file's own error, without absl's traceback
            raise UsageError(f"--config {given}: {re.split(r'Traceback .*? (?=[A-Za-z]+Error: )', text)[-1]}") \
                from None
        raise UsageError(text) from None
    except (AttributeError, KeyError) as e:  # an override naming a field the config does not have
        raise _unknown_field(e, argv, given) from None
    except Exception as e:  # noqa: BLE001 - the config file is the user's code: its error is theirs
        raise _unloadable(given, e) from None
    if FLAGS["config"].value is None or FLAGS.workdir is None:
        raise UsageError(f"{command} needs --config experiments/X.py and --workdir DIR")
    config = _load_config(FLAGS, argv)
    writable_dir(FLAGS.workdir, "--workdir")
    return config


def _config_file(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    return None


def _unknown_field(e: Exception, argv: list[str], path) -> UsageError:
    field = str(e).strip("\"'")
    overrides = " ".join(a for a in argv if a.startswith("--config."))
    return UsageError(f"unknown config field {field!r} in {overrides} (the fields are those of {path}, "
                      "e.g. --config.train.steps=1000)")


def _load_config(FLAGS, argv: list[str]):
    """The config file with its overrides applied (loaded lazily by ml_collections): errors in one line."""
    path = FLAGS["config"].config_filename
    try:
        return FLAGS.config
    except (AttributeError, KeyError) as e:
        raise _unknown_field(e, argv, path) from None
    except (ValueError, TypeError) as e:
        raise UsageError(f"bad config override: {' '.join(str(e).split())}") from None
    except Exception as e:  # noqa: BLE001 - the config file is the user's code: its error is theirs
        raise _unloadable(path, e) from None


def _unloadable(path, e: Exception) -> UsageError:
    cause = e.__cause__ or e
    return UsageError(f"--config {path} cannot be loaded: {type(cause).__name__}: "
                      f"{' '.join(str(cause).split())[:300]}")


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    sub.add_parser("train", help="train a level or a prior: --config experiments/X.py --workdir DIR",
                   add_help=False)
    sub.add_parser("pbt", help="population based training of a level on Ray Tune: --config X --workdir DIR",
                   add_help=False)


# commands that parse their own command line (absl flags), not argparse's
OWN_PARSERS = {"train": cmd_train, "pbt": cmd_pbt}
