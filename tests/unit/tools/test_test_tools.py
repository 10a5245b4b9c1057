# SPDX-License-Identifier: GPL-3.0-or-later
"""The tools the test suite judges with: hydra's accepted endings (molecule/shared) and the
failed task a Molecule log is quoted by (scripts/play_why.py)."""

from __future__ import annotations

import importlib.util
import pathlib

TOP = pathlib.Path(__file__).resolve().parents[3]


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hydra_judge = _load("hydra_judge", TOP / "molecule/shared/hydra_judge.py")
play_why = _load("play_why", TOP / "scripts/play_why.py")

DONE = "[DATA] attacking ssh://10.0.0.1:22/\n1 of 1 target completed, 0 valid password found\n"
RACE = "[ERROR] 1 target did not resolve or could not be connected\n[ERROR] 0 target did not complete\n"


def test_hydra_exit_0_is_finished():
    assert hydra_judge.finished(0, DONE, "")


def test_hydra_race_ending_is_finished():
    assert hydra_judge.finished(255, DONE, "[WARNING] use -t 4\n" + RACE)
    assert hydra_judge.finished(255, DONE.replace("completed", "successfully completed"), RACE)


def test_hydra_other_endings_are_not_finished():
    refused = "[ERROR] could not connect to ssh://10.0.0.1:22 - Connection refused\n"
    assert not hydra_judge.finished(255, "[DATA] attacking ssh://10.0.0.1:22/\n", refused)
    assert not hydra_judge.finished(255, DONE, RACE + refused)
    assert not hydra_judge.finished(255, DONE, "")
    assert not hydra_judge.finished(255, "0 of 1 target completed\n", RACE)
    assert not hydra_judge.finished(1, DONE, RACE)


def test_play_why_quotes_the_failure_that_ended_the_play(tmp_path):
    log = tmp_path / "scenario.log"
    log.write_text(
        "\n".join(
            [
                "  \x1b[2m│\x1b[0m TASK [Expected failure] ****",
                '  │ fatal: [host]: FAILED! => {"msg": "caught by a rescue"}',
                "  │ ",
                "  │ TASK [Run hydra (before)] ****",
                '  │ fatal: [host -> localhost]: FAILED! => {"changed": false, "rc":',
                '  │   255, "msg": "non-zero return code"}',
                "  │ ",
                "  │ PLAY RECAP ****",
                "  │ host : ok=3 changed=0 unreachable=0 failed=1 skipped=0 rescued=1",
            ]
        )
    )
    lines = play_why.failed_task(play_why.lines_of(log))
    assert lines == [
        "TASK [Run hydra (before)] ****",
        'fatal: [host -> localhost]: FAILED! => {"changed": false, "rc":',
        '  255, "msg": "non-zero return code"}',
    ]


def test_play_why_finds_nothing_in_a_play_that_passed(tmp_path):
    log = tmp_path / "scenario.log"
    log.write_text("fatal: [host]: FAILED! => {}\n\nPLAY RECAP ***\nhost : ok=3 failed=0 rescued=1\n")
    assert play_why.failed_task(play_why.lines_of(log)) == []
