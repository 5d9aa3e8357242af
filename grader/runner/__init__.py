"""Running untrusted submissions: sandbox backends and the grading session over them."""
