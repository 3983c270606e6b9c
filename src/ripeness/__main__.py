"""`python -m ripeness ...` (as `accelerate launch -m ripeness train CONFIG` runs it)."""

from ripeness.cli import main

raise SystemExit(main())
