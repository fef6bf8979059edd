import argparse

import pytest

from sim.cli.options import add_execution, count_arg


def test_count_arg_names_the_rule() -> None:
    parse = count_arg(2)
    assert parse("3") == 3
    with pytest.raises(argparse.ArgumentTypeError, match=r"must be >= 2 \(got 1\)"):
        parse("1")
    with pytest.raises(argparse.ArgumentTypeError, match="must be a whole number"):
        parse("2.5")


def test_execution_options() -> None:
    p = argparse.ArgumentParser()
    add_execution(p)
    args = p.parse_args(["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert (args.workers, args.scheduler) == (2, "tcp://127.0.0.1:8786")
