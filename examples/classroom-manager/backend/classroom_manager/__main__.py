"""Start the HTTP server: ``python3 -m classroom_manager``."""

from classroom_manager.server import main

raise SystemExit(main())
