from __future__ import annotations

from overt.cli import main

main()
