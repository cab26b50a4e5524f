"""``python -m storage``: the ``storage`` command (see ``storage.cli``)."""

from storage.cli import main

raise SystemExit(main())
