"""The reference solution of the BPTT homework, its seeded instances and its mistake catalogue."""
