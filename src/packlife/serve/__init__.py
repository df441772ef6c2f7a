"""packlife serve: operate a real (or virtual) site with the one controller."""
