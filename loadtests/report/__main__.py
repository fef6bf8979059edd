"""`python -m loadtests.report RUN_DIR OPTIONS_JSON`: what `fansim loadreport` runs."""

import sys

from loadtests.report.summary import main

sys.exit(main(sys.argv[1:]))
