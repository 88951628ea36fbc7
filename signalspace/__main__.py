"""``python -m signalspace``: the ``signalspace`` command."""

import sys

from signalspace.cli import main

if __name__ == "__main__":
    sys.exit(main())
