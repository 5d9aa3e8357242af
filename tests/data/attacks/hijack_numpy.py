"""Attack: a fake numpy placed next to the submission (copied there as numpy.py)."""

print("HIJACKED", flush=True)
