"""``python -m monitor.stories``: the child a cold start warms the story index in
(:mod:`monitor.stories.coldstart`); the daemon starts it, with its order on stdin."""

import sys

from monitor.stories.coldstart import main

sys.exit(main())
