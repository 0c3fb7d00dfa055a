import sys

from ada.cli.main import main

sys.exit(main())
