"""Entry point of the frozen app: PyInstaller needs a script, Hearth's is `desktop.app:main`."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
