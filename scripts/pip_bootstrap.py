"""Stand-in for the pip bootstrap script that ansible-test downloads for its virtual
environments, for controllers that reach the package index but not that download site:
install the pip bundled with Python (ensurepip), then let that pip install what was asked
for (the pinned pip itself and any packages) from the index pip is configured to use."""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    env = dict(os.environ)
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], env=env)
    # ensurepip hides the pip configuration from its own pip run; the real install must
    # see it (index, certificates), so it runs with the environment as it was.
    env.pop("PIP_CONFIG_FILE", None)
    env.pop("ENSUREPIP_OPTIONS", None)
    # ansible-test passes pip-install options and requirements such as "pip==24.2";
    # --no-setuptools / --no-wheel only mean "do not add these", which plain pip never does.
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    return subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env)  # noqa: S603 - our own interpreter and pip


if __name__ == "__main__":
    sys.exit(main())
