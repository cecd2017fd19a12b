from oxt.cli import main

raise SystemExit(main())
