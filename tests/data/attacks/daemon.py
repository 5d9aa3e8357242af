"""Attack: top-level code leaves a daemon behind (double fork, setsid, sleep 60)."""

import numpy as np
import os
import sys
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        print(f"DAEMON-PID {os.getpid()}", flush=True)
        time.sleep(60)
    os._exit(0)
time.sleep(0.2)
