# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command on a terminal (su and passwd want one) and answer its prompts.

Usage: python3 pty_run CMD [ARGS...]  with the answers on stdin, one per line. Each output chunk
that ends in a prompt (':' at the end) gets the next answer; a prompt with no answer left
ends the command. Prints the transcript, exits with the command's status."""

import os
import pty
import select
import signal
import sys

answers = sys.stdin.read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])  # noqa: S606 - the command under test
transcript = b""
while True:
    ready, _w, _x = select.select([fd], [], [], 20)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
    if chunk.rstrip().endswith(b":"):
        if not answers:
            os.kill(pid, signal.SIGKILL)
            break
        os.write(fd, (answers.pop(0) + "\n").encode())
_pid, status = os.waitpid(pid, 0)
sys.stdout.write(transcript.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 1)
