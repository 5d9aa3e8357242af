"""A correct submission: the test puts a hostile numpy.py next to it."""

import numpy as np
