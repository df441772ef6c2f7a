"""Pure, vectorised physics functions (numba-compiled where they sit in the inner loop)."""
