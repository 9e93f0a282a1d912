from akeneo_sync.cli import main

raise SystemExit(main())
