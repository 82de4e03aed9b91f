import sys

from lstm_viz.cli import main

sys.exit(main())
