import sys

from offerlang.action.run import main

sys.exit(main())
