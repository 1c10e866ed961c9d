"""Run the launcher as ``python -m shipline``, the same as the ``shipline`` console script."""

import sys

from shipline.cli import main

sys.exit(main())
