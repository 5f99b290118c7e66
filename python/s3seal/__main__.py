"""``python -m s3seal``: the ``s3seal`` command."""

import sys

from s3seal.cli import main

sys.exit(main())
