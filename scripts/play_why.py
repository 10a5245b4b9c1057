"""play_why.py LOG: prints the task that failed a Molecule scenario and Ansible's message.

A scenario's log holds many ``fatal:`` lines that are expected (negative tests caught by a
rescue or by ``ignore_errors``). The one that failed the run is the last ``fatal:`` before
the first PLAY RECAP that counts a failed host; it is printed with its task's name and its
message (at most 14 lines, 300 characters each, colour codes removed). When the log has no
such recap (pytest failed in verify, or Molecule itself), the pytest and Molecule verdicts
are printed instead. Nothing is printed for a log without a failure.
"""

import re
import sys

COLOUR = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"^\s*│ ?")
FAILED_RECAP = re.compile(r"\bfailed=[1-9]")
VERDICT = re.compile(r"(^|\s)(FAILED|ERROR)[ :]|::test_|\d+ (failed|error)")


def lines_of(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [BOX.sub("", COLOUR.sub("", line.rstrip("\n"))) for line in handle]


def failed_task(lines):
    recap = None
    for index, line in enumerate(lines):
        if line.startswith("PLAY RECAP"):
            for row in lines[index + 1 : index + 50]:
                if not row.strip():
                    break
                if FAILED_RECAP.search(row):
                    recap = index
                    break
        if recap is not None:
            break
    if recap is None:
        return []
    fatal = None
    for index in range(recap - 1, -1, -1):
        if lines[index].startswith(("fatal: [", "failed: [")):
            fatal = index
            break
    if fatal is None:
        return []
    task = next((lines[i] for i in range(fatal, -1, -1) if lines[i].startswith("TASK [")), "")
    block = [lines[fatal]]
    for line in lines[fatal + 1 : fatal + 13]:
        if not line.startswith(" ") or not line.strip():
            break
        block.append(line)
    return ([task] if task else []) + block


def main(path):
    lines = lines_of(path)
    found = failed_task(lines)
    if not found:
        found = [line for line in lines if VERDICT.search(line) and "failed=0" not in line][-8:]
    for line in found:
        print(line[:300])
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: play_why.py LOG")
    sys.exit(main(sys.argv[1]))
