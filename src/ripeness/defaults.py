"""Defaults shared by the command line and the library, kept free of heavy imports."""

WARM_START_EXAMPLES = 16_000  # enough for the tiny model to pass its bars in ~2 minutes
MAX_TRAINED_DIFFICULTY = 6  # hardest arithmetic level in the warm start (steps)
