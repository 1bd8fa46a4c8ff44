"""``python -m regllm_lf``: the same as the ``regllm-lf`` command."""

import sys

from regllm_lf.cli import main

sys.exit(main())
